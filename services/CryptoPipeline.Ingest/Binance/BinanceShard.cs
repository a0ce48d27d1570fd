using System.Net.WebSockets;
using System.Threading.Channels;
using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.Feeds;
using CryptoPipeline.Ingest.Publishing;

namespace CryptoPipeline.Ingest.Binance;

/// <summary>
/// One group of at most <see cref="BinanceOptions.StreamsPerConnection"/> streams on one path: keeps a
/// connection open for them (reconnecting with exponential backoff and jitter, replacing it before Binance's
/// 24-hour cut with an overlapping one), and runs the single loop that orders each symbol's trades, drops
/// duplicates, back-fills gaps over REST and publishes.
/// </summary>
internal sealed class BinanceShard
{
    private const int ItemCapacity = 4096;

    /// <summary>After a failed replacement the old connection carries on and the next try comes this much later.</summary>
    private static readonly TimeSpan RotationRetryDelay = TimeSpan.FromMinutes(1);

    /// <summary>How long a replacement has to deliver before the old connection is kept instead.</summary>
    private static readonly TimeSpan MinReplacementWait = TimeSpan.FromSeconds(30);

    private readonly BinanceFeedContext _feed;
    private readonly string _name;
    private readonly Uri _uri;
    private readonly IReadOnlyList<string> _streams;
    private readonly BinanceStreamParser _parser;
    private readonly Dictionary<string, SymbolState> _symbols;
    private readonly Channel<ShardItem> _items = Channel.CreateBounded<ShardItem>(
        new BoundedChannelOptions(ItemCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly List<Trade> _ready = [];
    private int _generation;

    /// <summary>A shard whose symbols continue after their trades in <c>resume</c>, the last ones published before this start.</summary>
    public BinanceShard(BinanceFeedContext feed, string name, Uri uri, IReadOnlyList<string> streams, IReadOnlyList<string> symbols, IReadOnlyDictionary<string, PublishedTrade> resume)
    {
        _feed = feed;
        _name = name;
        _uri = uri;
        _streams = streams;
        _parser = new BinanceStreamParser(feed.Market, symbols);
        _symbols = symbols.ToDictionary(s => s, s => new SymbolState(s), StringComparer.Ordinal);
        foreach (var state in _symbols.Values)
        {
            if (resume.TryGetValue(state.Symbol, out var last))
            {
                state.Trades.ResumeAfter(last.TradeId, last.TradeTime);
                BinanceLog.Resuming(feed.Logger, feed.Exchange, state.Symbol, last.TradeId, last.TradeTime);
            }
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var scope = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var processing = ProcessAsync(scope.Token);
        var connecting = ConnectAsync(scope.Token);

        // Either loop failing stops the other; the failure (not the cancellation it caused) is what surfaces.
        await Task.WhenAny(processing, connecting);
        await scope.CancelAsync();
        _items.Writer.TryComplete();
        await Task.WhenAll(processing, connecting).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var task in new[] { processing, connecting })
        {
            if (task.IsFaulted)
            {
                await task;
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var backoff = new ReconnectBackoff(_feed.Options.ReconnectDelay, _feed.Options.MaxReconnectDelay, Random.Shared);
        var delay = TimeSpan.Zero;
        BinanceConnection? current = null;
        try
        {
            while (true)
            {
                if (current is null)
                {
                    if (delay > TimeSpan.Zero)
                    {
                        await Task.Delay(delay, _feed.Time, cancellationToken);
                    }

                    current = NewConnection();
                    if (!await TryOpenAsync(current, BinanceEvents.ConnectFailed, cancellationToken))
                    {
                        delay = backoff.Next();
                        await current.DisposeAsync();
                        current = null;
                        continue;
                    }

                    BinanceLog.Connected(_feed.Logger, _feed.Exchange, current.Id, _uri, _streams.Count);
                    await _feed.Journal.RecordEventAsync(_feed.Exchange, current.Id, BinanceEvents.Connected, $"{_streams.Count} streams on {_uri}", cancellationToken);
                }

                var rotateIn = _feed.Options.RotateConnectionsAfter;
                while (current is not null)
                {
                    using var rotationWait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    var rotationDue = Task.Delay(rotateIn, _feed.Time, rotationWait.Token);
                    var finished = await Task.WhenAny(current.Completion, rotationDue);
                    await rotationWait.CancelAsync();
                    cancellationToken.ThrowIfCancellationRequested();
                    if (finished == current.Completion)
                    {
                        var disconnect = await current.Completion;

                        // A connection that worked is reopened at once; one that never delivered backs off.
                        if (current.DeliveredData)
                        {
                            backoff.Reset();
                            delay = TimeSpan.Zero;
                        }
                        else
                        {
                            delay = backoff.Next();
                        }

                        await current.DisposeAsync();
                        BinanceLog.Disconnected(_feed.Logger, _feed.Exchange, current.Id, disconnect.Detail);
                        _feed.Telemetry.CountReconnect(_feed.Exchange, disconnect.Tag);
                        await _feed.Journal.RecordEventAsync(_feed.Exchange, current.Id, BinanceEvents.Disconnected, disconnect.Detail, cancellationToken);
                        current = null;
                    }
                    else if (await ReplaceAsync(current, cancellationToken) is { } replacement)
                    {
                        current = replacement;
                        rotateIn = _feed.Options.RotateConnectionsAfter;
                    }
                    else
                    {
                        rotateIn = RotationRetryDelay;
                    }
                }
            }
        }
        finally
        {
            if (current is not null)
            {
                await current.CloseAsync("stopping");
                await current.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Opens a replacement beside <paramref name="current"/> and, once it is subscribed and delivering, closes
    /// the old one. Both feed the same loop meanwhile, which drops the trades they both deliver.
    /// </summary>
    private async Task<BinanceConnection?> ReplaceAsync(BinanceConnection current, CancellationToken cancellationToken)
    {
        var next = NewConnection();
        var adopted = false;
        try
        {
            if (!await TryOpenAsync(next, BinanceEvents.RotationFailed, cancellationToken))
            {
                return null;
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var deadline = Task.Delay(Max(_feed.Options.NoDataTimeout, MinReplacementWait), _feed.Time, wait.Token);
            var first = await Task.WhenAny(next.Ready, next.Completion, deadline);
            await wait.CancelAsync();
            cancellationToken.ThrowIfCancellationRequested();
            if (first != next.Ready)
            {
                var failure = first == next.Completion ? (await next.Completion).Detail : "the replacement delivered nothing in time";
                BinanceLog.RotationFailed(_feed.Logger, _feed.Exchange, next.Id, failure);
                await _feed.Journal.RecordEventAsync(_feed.Exchange, next.Id, BinanceEvents.RotationFailed, failure, cancellationToken);
                return null;
            }

            await current.CloseAsync($"replaced by {next.Id}");
            await current.DisposeAsync();
            BinanceLog.Rotated(_feed.Logger, _feed.Exchange, current.Id, next.Id);
            _feed.Telemetry.CountReconnect(_feed.Exchange, "rotation");
            await _feed.Journal.RecordEventAsync(_feed.Exchange, next.Id, BinanceEvents.Rotated, $"replaced {current.Id} before the 24-hour cut", cancellationToken);
            adopted = true;
            return next;
        }
        finally
        {
            if (!adopted)
            {
                await next.DisposeAsync();
            }
        }
    }

    private BinanceConnection NewConnection() =>
        new($"{_name}.{++_generation}", _uri, _streams, _feed, _parser, _items.Writer);

    private async Task<bool> TryOpenAsync(BinanceConnection connection, string failureEvent, CancellationToken cancellationToken)
    {
        try
        {
            await connection.OpenAsync(cancellationToken);
            return true;
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            BinanceLog.ConnectFailed(_feed.Logger, _feed.Exchange, connection.Id, _uri, e.Message);
            await _feed.Journal.RecordEventAsync(_feed.Exchange, connection.Id, failureEvent, e.Message, cancellationToken);
            return false;
        }
    }

    private async Task ProcessAsync(CancellationToken cancellationToken)
    {
        await foreach (var item in _items.Reader.ReadAllAsync(cancellationToken))
        {
            switch (item.Kind)
            {
                case ShardItemKind.Trade:
                    await OnTradeAsync(item.Trade!, cancellationToken);
                    break;
                case ShardItemKind.Quote:
                    await OnQuoteAsync(item.Quote!, cancellationToken);
                    break;
                case ShardItemKind.GapDue:
                    await OnGapDueAsync(_symbols[item.Symbol!], item.Gap!, cancellationToken);
                    break;
                default:
                    await OnBackfilledAsync(_symbols[item.Symbol!], item.Gap!, item.Backfill!, cancellationToken);
                    break;
            }
        }
    }

    private async Task OnTradeAsync(Trade trade, CancellationToken cancellationToken)
    {
        var state = _symbols[trade.Symbol];
        var before = state.Trades.OpenGap;
        if (state.Trades.Offer(trade, _ready) == TradeOffer.Duplicate)
        {
            IngestTelemetry.Add(_feed.Telemetry.DuplicatesDropped, 1, _feed.Exchange, state.Symbol);
        }

        await PublishReadyAsync(state, cancellationToken);
        if (before is not null && before != state.Trades.OpenGap && before.Recorded)
        {
            // Late frames completed a gap that was already recorded (its back-fill was still under way).
            await GapFilledAsync(state, before, backfilled: 0, cancellationToken);
        }

        await WatchNewGapAsync(state, before, cancellationToken);
        if (state.Trades.OpenGap is { } open && state.Trades.HeldCount > _feed.Options.MaxHeldTradesPerSymbol)
        {
            await AbandonAsync(
                state,
                open,
                $"more than {_feed.Market.ConfigurationSection}:MaxHeldTradesPerSymbol ({_feed.Options.MaxHeldTradesPerSymbol}) live trades arrived before the back-fill finished",
                cancellationToken);
        }
    }

    private async Task OnQuoteAsync(Quote quote, CancellationToken cancellationToken)
    {
        var state = _symbols[quote.Symbol];

        // Two overlapping connections deliver the same book update: keep the newest only.
        if (quote.UpdateId is { } updateId)
        {
            if (updateId <= state.LastQuoteUpdateId)
            {
                return;
            }

            state.LastQuoteUpdateId = updateId;
        }

        await _feed.Sink.PublishAsync(quote, cancellationToken);
    }

    /// <summary>Starts the grace period of a gap that opened since <paramref name="before"/>.</summary>
    private async Task WatchNewGapAsync(SymbolState state, TradeGap? before, CancellationToken cancellationToken)
    {
        var after = state.Trades.OpenGap;
        if (after is null || after == before)
        {
            return;
        }

        var grace = _feed.Options.GapBackfillDelay;
        if (grace <= TimeSpan.Zero)
        {
            await OnGapDueAsync(state, after, cancellationToken);
            return;
        }

        _ = DeliverLaterAsync(ShardItem.GapDue(state.Symbol, after), grace, cancellationToken);
    }

    private async Task DeliverLaterAsync(ShardItem item, TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, _feed.Time, cancellationToken);
            await _items.Writer.WriteAsync(item, cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            // The shard is stopping: the gap dies with it.
        }
    }

    private async Task OnGapDueAsync(SymbolState state, TradeGap gap, CancellationToken cancellationToken)
    {
        if (state.Trades.OpenGap != gap)
        {
            // Closed by late frames within the grace period: reordering, not loss.
            return;
        }

        await RecordGapAsync(state, gap, cancellationToken);
        if (BeyondRestartLimit(gap) is { } restartReason)
        {
            await AbandonAsync(state, gap, restartReason, cancellationToken);
            return;
        }

        if (gap.Size > _feed.Options.MaxBackfillTrades)
        {
            await AbandonAsync(
                state,
                gap,
                $"{gap.Size} missing trades are more than {_feed.Market.ConfigurationSection}:MaxBackfillTrades ({_feed.Options.MaxBackfillTrades})",
                cancellationToken);
            return;
        }

        _ = BackfillAsync(state.Symbol, gap, gap.FirstMissingId, gap.LastId, cancellationToken);
    }

    /// <summary>Why the trades of a gap that spans a restart are not back-filled, or null when they are within the limits.</summary>
    private string? BeyondRestartLimit(TradeGap gap)
    {
        if (gap.Restart is not { } restart)
        {
            return null;
        }

        var options = _feed.Options;
        var section = _feed.Market.ConfigurationSection;
        if (gap.Size > options.MaxRestartBackfillTrades)
        {
            return $"{gap.Size} trades happened while Ingest was not running, more than {section}:MaxRestartBackfillTrades ({options.MaxRestartBackfillTrades})";
        }

        var away = restart.FirstTradeTime - restart.LastTradeTime;
        return away > options.MaxRestartBackfillAge
            ? $"Ingest was not running for {away:c} of trading, longer than {section}:MaxRestartBackfillAge ({options.MaxRestartBackfillAge:c})"
            : null;
    }

    private async Task RecordGapAsync(SymbolState state, TradeGap gap, CancellationToken cancellationToken)
    {
        gap.Recorded = true;
        var missing = gap.MissingRanges().Sum(r => r.Last - r.First + 1);
        IngestTelemetry.Add(_feed.Telemetry.GapsFound, 1, _feed.Exchange, state.Symbol);
        BinanceLog.GapDetected(_feed.Logger, _feed.Exchange, state.Symbol, gap.FirstId, gap.LastId, missing);
        var detail = gap.Restart is null
            ? $"{missing} of {gap.Size} trade ids missing from the stream"
            : $"{gap.Size} trade ids after {gap.FirstId - 1}, the last one published before Ingest restarted";
        await _feed.Journal.RecordGapAsync(_feed.Exchange, state.Symbol, gap.FirstId, gap.LastId, detail, cancellationToken);
    }

    private async Task BackfillAsync(string symbol, TradeGap gap, long fromId, long lastId, CancellationToken cancellationToken)
    {
        try
        {
            var result = await _feed.Backfill.FetchAsync(symbol, fromId, lastId, cancellationToken);
            await _items.Writer.WriteAsync(ShardItem.Backfilled(symbol, gap, result), cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            // The shard is stopping.
        }
    }

    private async Task OnBackfilledAsync(SymbolState state, TradeGap gap, BackfillResult result, CancellationToken cancellationToken)
    {
        if (state.Trades.OpenGap != gap)
        {
            // Filled by late frames or given up while REST was answering.
            return;
        }

        var backfilled = state.Trades.CloseGap(result.Trades, _ready);
        await PublishReadyAsync(state, cancellationToken);
        IngestTelemetry.Add(_feed.Telemetry.GapTradesFilled, backfilled, _feed.Exchange, state.Symbol);
        await _feed.Backfill.ResolveAsync(_feed.Journal, state.Symbol, gap.FirstId, gap.LastId, result, gap.MissingRanges(), backfilled, cancellationToken);
        await WatchNewGapAsync(state, gap, cancellationToken);
    }

    /// <summary>Gives up on <paramref name="gap"/>: publishes what it has and releases the trades held behind it.</summary>
    private async Task AbandonAsync(SymbolState state, TradeGap gap, string reason, CancellationToken cancellationToken)
    {
        state.Trades.CloseGap([], _ready);
        await PublishReadyAsync(state, cancellationToken);
        if (!gap.Recorded)
        {
            await RecordGapAsync(state, gap, cancellationToken);
        }

        await GapUnfillableAsync(state, gap, reason, cancellationToken);
        await WatchNewGapAsync(state, gap, cancellationToken);
    }

    private ValueTask GapFilledAsync(SymbolState state, TradeGap gap, int backfilled, CancellationToken cancellationToken) =>
        _feed.Backfill.FilledAsync(_feed.Journal, state.Symbol, gap.FirstId, gap.LastId, backfilled, cancellationToken);

    private ValueTask GapUnfillableAsync(SymbolState state, TradeGap gap, string reason, CancellationToken cancellationToken) =>
        _feed.Backfill.UnfillableAsync(_feed.Journal, state.Symbol, gap.FirstId, gap.LastId, reason, cancellationToken);

    private async Task PublishReadyAsync(SymbolState state, CancellationToken cancellationToken)
    {
        if (_ready.Count == 0)
        {
            return;
        }

        foreach (var trade in _ready)
        {
            await _feed.Sink.PublishAsync(trade, cancellationToken);
        }

        _ready.Clear();
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private sealed class SymbolState(string symbol)
    {
        public string Symbol { get; } = symbol;

        public TradeSequencer Trades { get; } = new();

        public long LastQuoteUpdateId { get; set; } = -1;
    }
}
