using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace CryptoPipeline.Api;

/// <summary>A candle of the live stream: the whole interval as it stands after the commit that changed it.</summary>
public sealed record CandleEvent(string Exchange, string Symbol, string Interval, CandleRow Candle);

/// <summary>A ticker change of the live stream: latest trade and best bid/ask of one instrument.</summary>
public sealed record TickEvent(
    string Exchange,
    string Symbol,
    decimal? Last,
    decimal? Bid,
    decimal? Ask,
    decimal? Spread,
    DateTimeOffset? LastTradeTime,
    DateTimeOffset? QuoteTime,
    DateTimeOffset UpdatedAt,
    string Source);

/// <summary>The first event of every stream: what it is subscribed to. Events that follow were committed after it.</summary>
public sealed record StreamHello(string Exchange, string? Symbol, string Interval, int PollIntervalMs);

public sealed record StreamHeartbeat(DateTimeOffset Time);

/// <summary>
/// The live stream's one poller and its fan-out. While at least one client listens, it looks every
/// <see cref="StreamOptions.PollInterval"/> for rows of <c>trades_1min_agg</c> and <c>current_prices</c> committed since
/// its last look (by <c>updated_at</c>, indexed by migration 0005) and queues each change, serialized once, for every
/// client that wants it: 1-minute candles as they are, longer intervals re-aggregated once per poll from their minutes.
/// Polling, rather than a trigger with NOTIFY, leaves the processor's transactions untouched: a slow or absent Api can
/// never fill PostgreSQL's notification queue and fail the writer's commits.
/// </summary>
internal sealed partial class MarketFeed(
    NpgsqlDataSource dataSource,
    CandleQueries candles,
    IOptions<StreamOptions> options,
    IOptions<JsonOptions> json,
    ApiTelemetry telemetry,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<MarketFeed> logger) : BackgroundService
{
    private const string ChangedCandles = """
        SELECT exchange, symbol, window_start, window_end, open, high, low, close, volume, quote_volume, taker_buy_volume,
               taker_buy_quote_volume, trade_count, vwap, is_final, source, updated_at
        FROM trades_1min_agg
        WHERE updated_at > coalesce(@since, now()) - @lookback
        ORDER BY updated_at
        """;

    private const string ChangedPrices = """
        SELECT exchange, symbol, last_price, bid_price, ask_price, spread, last_trade_time, quote_time, updated_at, source
        FROM current_prices
        WHERE updated_at > coalesce(@since, now()) - @lookback
        ORDER BY updated_at
        """;

    private readonly ConcurrentDictionary<StreamSubscription, byte> _subscriptions = new();
    private readonly SemaphoreSlim _subscribed = new(0);

    // What was sent, by row, so that the overlapping looks send each committed change once.
    private readonly Dictionary<(string Exchange, string Symbol, DateTimeOffset Start), DateTimeOffset> _sentCandles = [];
    private readonly Dictionary<(string Exchange, string Symbol), DateTimeOffset> _sentTicks = [];

    // The database's clock at the previous look; null after an idle spell.
    private DateTimeOffset? _lastLook;

    public int ClientCount => _subscriptions.Count;

    /// <summary>The client's events until it disconnects or the application stops, starting with a <see cref="StreamHello"/>.</summary>
    public async IAsyncEnumerable<SseItem<string>> ReadAsync(StreamSubscription subscription, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        _subscriptions.TryAdd(subscription, 0);
        telemetry.StreamClients.Add(1);
        _subscribed.Release();
        try
        {
            yield return new SseItem<string>(
                Serialize(new StreamHello(subscription.Exchange, subscription.Symbol, subscription.Interval.Name, (int)options.Value.PollInterval.TotalMilliseconds)),
                "hello")
            {
                ReconnectionInterval = TimeSpan.FromSeconds(2),
            };

            while (await WaitForEventsAsync(subscription, stop.Token) is { } ready)
            {
                if (!ready)
                {
                    yield return new SseItem<string>(Serialize(new StreamHeartbeat(time.GetUtcNow())), "heartbeat");
                    continue;
                }

                while (subscription.Events.Reader.TryRead(out var item))
                {
                    yield return item;
                }
            }
        }
        finally
        {
            _subscriptions.TryRemove(subscription, out _);
            telemetry.StreamClients.Add(-1);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            if (_subscriptions.IsEmpty)
            {
                _lastLook = null;
                _sentCandles.Clear();
                _sentTicks.Clear();
                await _subscribed.WaitAsync(stoppingToken);
                continue;
            }

            try
            {
                await PollAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The stream outlives a failed look (PostgreSQL restarting, a failover): the next look reads what it missed.
                LogPollFailed(e);
            }

            await Task.Delay(options.Value.PollInterval, time, stoppingToken);
        }
    }

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var lookback = options.Value.Lookback;
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT now()"));
        foreach (var sql in new[] { ChangedCandles, ChangedPrices })
        {
            var command = new NpgsqlBatchCommand(sql);
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?>("since", NpgsqlDbType.TimestampTz) { TypedValue = _lastLook });
            command.Parameters.Add(new NpgsqlParameter<TimeSpan>("lookback", NpgsqlDbType.Interval) { TypedValue = lookback });
            batch.BatchCommands.Add(command);
        }

        var changedCandles = new List<(string Exchange, string Symbol, CandleRow Candle)>();
        var ticks = new List<TickEvent>();
        DateTimeOffset now;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            now = reader.GetFieldValue<DateTimeOffset>(0);

            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var key = (reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2));
                var updatedAt = reader.GetFieldValue<DateTimeOffset>(16);
                if (_sentCandles.TryGetValue(key, out var sent) && sent == updatedAt)
                {
                    continue;
                }

                _sentCandles[key] = updatedAt;
                changedCandles.Add((key.Item1, key.Item2, new CandleRow(
                    key.Item3, reader.GetFieldValue<DateTimeOffset>(3), reader.GetDecimal(4), reader.GetDecimal(5), reader.GetDecimal(6),
                    reader.GetDecimal(7), reader.GetDecimal(8), reader.GetDecimal(9), reader.GetDecimal(10), reader.GetDecimal(11),
                    reader.GetInt64(12), MarketQueries.Number(reader, 13), reader.GetBoolean(14), reader.GetString(15))));
            }

            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var key = (reader.GetString(0), reader.GetString(1));
                var updatedAt = reader.GetFieldValue<DateTimeOffset>(8);
                if (_sentTicks.TryGetValue(key, out var sent) && sent == updatedAt)
                {
                    continue;
                }

                _sentTicks[key] = updatedAt;
                ticks.Add(new TickEvent(
                    key.Item1, key.Item2, MarketQueries.Number(reader, 2), MarketQueries.Number(reader, 3), MarketQueries.Number(reader, 4),
                    MarketQueries.Number(reader, 5), MarketQueries.Time(reader, 6), MarketQueries.Time(reader, 7), updatedAt, reader.GetString(9)));
            }
        }

        _lastLook = now;
        Forget(_sentCandles, now - lookback);
        Forget(_sentTicks, now - lookback);

        foreach (var tick in ticks)
        {
            Publish(s => s.WantsTicks(tick.Exchange), new SseItem<string>(Serialize(tick), "tick"));
        }

        await PublishCandlesAsync(changedCandles, cancellationToken);
        telemetry.StreamPollDuration.Record(clock.Elapsed.TotalMilliseconds);
    }

    private async Task PublishCandlesAsync(List<(string Exchange, string Symbol, CandleRow Candle)> changed, CancellationToken cancellationToken)
    {
        // Longer intervals: each changed interval is aggregated once, however many clients watch it.
        var intervals = new HashSet<(string Exchange, string Symbol, CandleInterval Interval, DateTimeOffset Start)>();
        foreach (var (exchange, symbol, candle) in changed)
        {
            var oneMinute = new Lazy<SseItem<string>>(() => new SseItem<string>(
                Serialize(new CandleEvent(exchange, symbol, CandleInterval.OneMinute.Name, candle)), "candle"));
            foreach (var subscription in _subscriptions.Keys.Where(s => s.WantsCandles(exchange, symbol)))
            {
                if (subscription.Interval == CandleInterval.OneMinute)
                {
                    Queue(subscription, oneMinute.Value);
                }
                else
                {
                    intervals.Add((exchange, symbol, subscription.Interval, subscription.Interval.Floor(candle.OpenTime)));
                }
            }
        }

        foreach (var (exchange, symbol, interval, start) in intervals)
        {
            var rows = await candles.GetAsync(exchange, symbol, interval, start, start + interval.Length, cancellationToken);
            foreach (var candle in rows)
            {
                var item = new SseItem<string>(Serialize(new CandleEvent(exchange, symbol, interval.Name, candle)), "candle");
                Publish(s => s.WantsCandles(exchange, symbol) && s.Interval == interval, item);
            }
        }
    }

    private void Publish(Func<StreamSubscription, bool> wants, SseItem<string> item)
    {
        foreach (var subscription in _subscriptions.Keys)
        {
            if (wants(subscription))
            {
                Queue(subscription, item);
            }
        }
    }

    private void Queue(StreamSubscription subscription, SseItem<string> item)
    {
        subscription.Events.Writer.TryWrite(item);
        telemetry.StreamEvents.Add(1, new KeyValuePair<string, object?>(ApiTelemetry.EventTag, item.EventType));
    }

    private static void Forget<TKey>(Dictionary<TKey, DateTimeOffset> sent, DateTimeOffset before)
        where TKey : notnull
    {
        foreach (var (key, updatedAt) in sent)
        {
            if (updatedAt <= before)
            {
                sent.Remove(key);
            }
        }
    }

    /// <summary>True when events wait, false when a heartbeat is due, null when the stream ends.</summary>
    private async Task<bool?> WaitForEventsAsync(StreamSubscription subscription, CancellationToken stop)
    {
        using var heartbeat = CancellationTokenSource.CreateLinkedTokenSource(stop);
        heartbeat.CancelAfter(options.Value.HeartbeatInterval);
        try
        {
            return await subscription.Events.Reader.WaitToReadAsync(heartbeat.Token) ? true : null;
        }
        catch (OperationCanceledException)
        {
            return stop.IsCancellationRequested ? null : false;
        }
    }

    private string Serialize<T>(T value) => JsonSerializer.Serialize(value, json.Value.SerializerOptions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The live stream's poller failed; it tries again at the next poll")]
    private partial void LogPollFailed(Exception error);
}
