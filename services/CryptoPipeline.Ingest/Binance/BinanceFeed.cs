using System.Text.Json;
using CryptoPipeline.Ingest.Feeds;
using CryptoPipeline.Ingest.Publishing;
using Npgsql;

namespace CryptoPipeline.Ingest.Binance;

/// <summary>
/// The live feed of one Binance market: resolves the symbols (the configured list, or every trading USDT pair
/// from <c>exchangeInfo</c>), learns where each stood before this start (<paramref name="progress"/>, when there is
/// one), spreads their streams over connections and runs them until the host stops.
/// </summary>
/// <remarks>
/// The market's options and REST client are resolved when the feed starts: the host builds its hosted services before
/// it validates the options, and reading them earlier would report only this market's bad settings instead of all.
/// </remarks>
internal sealed class BinanceFeed(
    BinanceMarket market,
    IServiceProvider services,
    IMarketDataSink sink,
    IIngestionJournal journal,
    PublishedTradeProgress? progress,
    IngestTelemetry telemetry,
    BadInputLog badInput,
    IEnumerable<IRawFrameObserver> rawFrameObservers,
    TimeProvider time,
    ILogger<BinanceFeed> logger) : BackgroundService
{
    /// <summary>Tries to read where the symbols stood before the feed starts without knowing.</summary>
    private const int ResumeAttempts = 5;

    private static readonly TimeSpan MinRetryDelay = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var options = services.GetRequiredKeyedService<BinanceOptions>(market.Exchange);
        var rest = services.GetRequiredKeyedService<BinanceRestClient>(market.Exchange);
        var feed = new BinanceFeedContext(market, options, time, sink, journal, telemetry, badInput, rest, [.. rawFrameObservers], logger);

        var symbols = options.AllUsdtPairs ? await UsdtPairsAsync(rest, options, stoppingToken) : options.Symbols;
        if (symbols.Count == 0)
        {
            BinanceLog.NoUsdtPairs(logger, market.Exchange);
            return;
        }

        var resume = progress is null ? new Dictionary<string, PublishedTrade>() : await ResumeAsync(progress, options, symbols, stoppingToken);
        var plan = BinanceStreamPlan.Create(market.Exchange, options, symbols);
        BinanceLog.Starting(logger, market.Exchange, symbols.Count, plan.Sum(s => s.Streams.Count), plan.Count);
        var baseUri = new Uri(options.WebSocketBaseUrl);
        var shards = plan.Select(s => new BinanceShard(feed, s.Name, new Uri(baseUri, s.Path), s.Streams, s.Symbols, resume));
        await Task.WhenAll(shards.Select(s => s.RunAsync(stoppingToken)));
    }

    /// <summary>Asks <c>exchangeInfo</c> until it answers: without it there is nothing to subscribe.</summary>
    private async Task<IReadOnlyList<string>> UsdtPairsAsync(BinanceRestClient rest, BinanceOptions options, CancellationToken cancellationToken)
    {
        var delay = options.ReconnectDelay > MinRetryDelay ? options.ReconnectDelay : MinRetryDelay;
        while (true)
        {
            try
            {
                return await rest.GetUsdtSymbolsAsync(cancellationToken);
            }
            catch (Exception e) when (e is HttpRequestException or JsonException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                BinanceLog.ExchangeInfoFailed(logger, market.Exchange, delay, e.Message);
                await Task.Delay(delay, time, cancellationToken);
                delay = delay * 2 < options.MaxReconnectDelay ? delay * 2 : options.MaxReconnectDelay;
            }
        }
    }

    /// <summary>
    /// The last trade of each symbol published before this start. Without it, trades missed while Ingest was not running
    /// cannot be noticed: a database that stays away is retried a few times, then the feed starts without and records so.
    /// </summary>
    private async Task<IReadOnlyDictionary<string, PublishedTrade>> ResumeAsync(PublishedTradeProgress progress, BinanceOptions options, IReadOnlyList<string> symbols, CancellationToken cancellationToken)
    {
        var delay = options.ReconnectDelay > MinRetryDelay ? options.ReconnectDelay : MinRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await progress.ResumeAsync(market.Exchange, symbols, cancellationToken);
            }
            catch (NpgsqlException e) when (e.IsTransient && attempt < ResumeAttempts)
            {
                BinanceLog.ResumeRetrying(logger, market.Exchange, delay, e.Message);
                await Task.Delay(delay, time, cancellationToken);
                delay = delay * 2 < options.MaxReconnectDelay ? delay * 2 : options.MaxReconnectDelay;
            }
            catch (NpgsqlException e)
            {
                BinanceLog.ResumeFailed(logger, market.Exchange, e.Message);
                await journal.RecordEventAsync(market.Exchange, connection: null, BinanceEvents.ResumeFailed, e.Message, cancellationToken);
                return new Dictionary<string, PublishedTrade>();
            }
        }
    }
}
