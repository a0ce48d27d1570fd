using System.Diagnostics.Metrics;
using CryptoPipeline.ServiceDefaults;

namespace CryptoPipeline.Ingest;

/// <summary>
/// The Ingest service's <see cref="System.Diagnostics.ActivitySource"/> and <see cref="Meter"/>
/// (<c>CryptoPipeline.Ingest</c>) and its instruments. Per-symbol instruments carry the tags
/// <see cref="ExchangeTag"/> and <see cref="SymbolTag"/>; the add methods use the allocation-free
/// tag overloads because they run once per exchange message.
/// </summary>
public sealed class IngestTelemetry : ServiceTelemetry
{
    public const string ExchangeTag = "exchange";
    public const string SymbolTag = "symbol";
    public const string TopicTag = "topic";
    public const string KindTag = "kind";
    public const string ReasonTag = "reason";
    public const string OutcomeTag = "outcome";

    /// <summary>Span of one batch of messages handed to the Kafka producer.</summary>
    public const string PublishSpanName = "ingest.publish";

    public IngestTelemetry(IMeterFactory meterFactory)
        : base("Ingest", meterFactory)
    {
        Messages = Meter.CreateCounter<long>("cryptopipeline.ingest.messages", "{message}", "Messages received from an exchange or a replayed recording, by exchange and kind (trade, quote, …).");
        Trades = Meter.CreateCounter<long>("cryptopipeline.ingest.trades", "{trade}", "Trades handed to the publisher, by exchange and symbol.");
        Quotes = Meter.CreateCounter<long>("cryptopipeline.ingest.quotes", "{quote}", "Best bid/ask updates handed to the publisher, by exchange and symbol.");
        PriceTicks = Meter.CreateCounter<long>("cryptopipeline.ingest.price_ticks", "{tick}", "Polled prices handed to the publisher, by exchange and symbol.");
        DuplicatesDropped = Meter.CreateCounter<long>("cryptopipeline.ingest.duplicates_dropped", "{trade}", "Trades dropped because their trade id was already published, by exchange and symbol.");
        GapsFound = Meter.CreateCounter<long>("cryptopipeline.ingest.gaps_found", "{gap}", "Ranges of missing trade ids detected, by exchange and symbol.");
        GapsFilled = Meter.CreateCounter<long>("cryptopipeline.ingest.gaps_filled", "{gap}", "Ranges of missing trade ids back-filled completely, by exchange and symbol.");
        GapTradesFilled = Meter.CreateCounter<long>("cryptopipeline.ingest.gap_trades_filled", "{trade}", "Trades recovered by back-fill, by exchange and symbol.");
        GapRepairs = Meter.CreateCounter<long>("cryptopipeline.ingest.gap_repairs", "{gap}", "Gaps repaired at the Monitor's request, by exchange and outcome (filled, unfillable).");
        Reconnects = Meter.CreateCounter<long>("cryptopipeline.ingest.reconnects", "{reconnect}", "Feed reconnections, by exchange and reason.");
        BadInput = Meter.CreateCounter<long>("cryptopipeline.ingest.bad_input", "{message}", "Exchange input skipped as invalid, by exchange and kind of defect.");
        Published = Meter.CreateCounter<long>("cryptopipeline.ingest.published", "{message}", "Messages Kafka acknowledged, by topic.");
        DeliveryErrors = Meter.CreateCounter<long>("cryptopipeline.ingest.delivery_errors", "{message}", "Messages Kafka did not acknowledge, by topic and error.");
        PublishLatency = Meter.CreateHistogram<double>("cryptopipeline.ingest.publish_latency", "ms", "From handing a message to the publisher to Kafka's acknowledgement.");
    }

    public Counter<long> Messages { get; }

    public Counter<long> Trades { get; }

    public Counter<long> Quotes { get; }

    public Counter<long> PriceTicks { get; }

    public Counter<long> DuplicatesDropped { get; }

    public Counter<long> GapsFound { get; }

    public Counter<long> GapsFilled { get; }

    public Counter<long> GapTradesFilled { get; }

    public Counter<long> GapRepairs { get; }

    public Counter<long> Reconnects { get; }

    public Counter<long> BadInput { get; }

    public Counter<long> Published { get; }

    public Counter<long> DeliveryErrors { get; }

    public Histogram<double> PublishLatency { get; }

    /// <summary>Adds to a per-symbol counter (<see cref="Trades"/>, <see cref="DuplicatesDropped"/>, <see cref="GapsFound"/>, …).</summary>
    public static void Add(Counter<long> counter, long delta, string exchange, string symbol) =>
        counter.Add(delta, new(ExchangeTag, exchange), new(SymbolTag, symbol));

    /// <summary>Counts one message of <paramref name="kind"/> (<c>trade</c>, <c>quote</c>, <c>control</c>, …) from <paramref name="exchange"/>.</summary>
    public void CountMessage(string exchange, string kind) =>
        Messages.Add(1, new(ExchangeTag, exchange), new(KindTag, kind));

    /// <summary>Counts one gap repaired at the Monitor's request, <paramref name="outcome"/> being <c>filled</c> or <c>unfillable</c>.</summary>
    public void CountGapRepair(string exchange, string outcome) =>
        GapRepairs.Add(1, new(ExchangeTag, exchange), new(OutcomeTag, outcome));

    public void CountReconnect(string exchange, string reason) =>
        Reconnects.Add(1, new(ExchangeTag, exchange), new(ReasonTag, reason));
}
