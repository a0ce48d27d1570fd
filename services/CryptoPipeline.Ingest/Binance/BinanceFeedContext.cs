using CryptoPipeline.Ingest.Feeds;
using CryptoPipeline.Ingest.Publishing;

namespace CryptoPipeline.Ingest.Binance;

/// <summary>What every part of one market's feed shares: settings, clock, outputs and instruments.</summary>
internal sealed class BinanceFeedContext(
    BinanceMarket market,
    BinanceOptions options,
    TimeProvider time,
    IMarketDataSink sink,
    IIngestionJournal journal,
    IngestTelemetry telemetry,
    BadInputLog badInput,
    BinanceRestClient rest,
    IReadOnlyList<IRawFrameObserver> rawFrameObservers,
    ILogger logger)
{
    public BinanceMarket Market { get; } = market;

    public string Exchange => Market.Exchange;

    public BinanceOptions Options { get; } = options;

    public TimeProvider Time { get; } = time;

    public IMarketDataSink Sink { get; } = sink;

    public IIngestionJournal Journal { get; } = journal;

    public IngestTelemetry Telemetry { get; } = telemetry;

    public BadInputLog BadInput { get; } = badInput;

    public BinanceRestClient Rest { get; } = rest;

    public BinanceBackfill Backfill { get; } = new(rest, telemetry, time, logger);

    /// <summary>See every complete frame the connections receive (the recorder, when one is configured).</summary>
    public IReadOnlyList<IRawFrameObserver> RawFrameObservers { get; } = rawFrameObservers;

    public ILogger Logger { get; } = logger;
}
