using System.Text.Json;
using CryptoPipeline.Ingest.Feeds;
using CryptoPipeline.Ingest.Publishing;

namespace CryptoPipeline.Ingest.Binance;

/// <summary>
/// The live feed of one Binance market: resolves the symbols (the configured list, or every trading USDT pair
/// from <c>exchangeInfo</c>), spreads their streams over connections and runs them until the host stops.
/// </summary>
internal sealed class BinanceFeed(
    BinanceMarket market,
    BinanceOptions options,
    HttpClient http,
    IMarketDataSink sink,
    IIngestionJournal journal,
    IngestTelemetry telemetry,
    BadInputLog badInput,
    IEnumerable<IRawFrameObserver> rawFrameObservers,
    TimeProvider time,
    ILogger<BinanceFeed> logger) : BackgroundService
{
    private static readonly TimeSpan MinRetryDelay = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var rest = new BinanceRestClient(http, market, options, new RestWeightGate(time, options.RestWeightBudgetPerMinute), badInput, time, logger);
        var feed = new BinanceFeedContext(market, options, time, sink, journal, telemetry, badInput, rest, [.. rawFrameObservers], logger);

        var symbols = options.AllUsdtPairs ? await UsdtPairsAsync(rest, stoppingToken) : options.Symbols;
        if (symbols.Count == 0)
        {
            BinanceLog.NoUsdtPairs(logger, market.Exchange);
            return;
        }

        var plan = BinanceStreamPlan.Create(market.Exchange, options, symbols);
        BinanceLog.Starting(logger, market.Exchange, symbols.Count, plan.Sum(s => s.Streams.Count), plan.Count);
        var baseUri = new Uri(options.WebSocketBaseUrl);
        var shards = plan.Select(s => new BinanceShard(feed, s.Name, new Uri(baseUri, s.Path), s.Streams, s.Symbols));
        await Task.WhenAll(shards.Select(s => s.RunAsync(stoppingToken)));
    }

    /// <summary>Asks <c>exchangeInfo</c> until it answers: without it there is nothing to subscribe.</summary>
    private async Task<IReadOnlyList<string>> UsdtPairsAsync(BinanceRestClient rest, CancellationToken cancellationToken)
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
}
