using CryptoPipeline.Contracts;

namespace CryptoPipeline.Ingest.Publishing;

/// <summary>
/// Where every source hands its normalized messages. The Kafka publisher behind it keeps a
/// bounded buffer: when Kafka is slow or away, these calls wait (back-pressure on the source)
/// instead of growing memory without bound.
/// </summary>
public interface IMarketDataSink
{
    ValueTask PublishAsync(Trade trade, CancellationToken cancellationToken);

    ValueTask PublishAsync(Quote quote, CancellationToken cancellationToken);

    ValueTask PublishAsync(PriceTick tick, CancellationToken cancellationToken);

    /// <summary>A bounded source (replay) has sent everything: mark the end on every partition.</summary>
    ValueTask PublishEndOfInputAsync(CancellationToken cancellationToken);
}
