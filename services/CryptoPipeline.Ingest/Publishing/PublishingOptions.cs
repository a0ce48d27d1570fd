using System.ComponentModel.DataAnnotations;

namespace CryptoPipeline.Ingest.Publishing;

/// <summary>
/// The Kafka publisher: section <c>Ingest:Publishing</c>. Brokers, client id and the partition count of
/// the topics created at start-up come from the shared <c>Kafka</c> settings (<c>Kafka:Partitions</c>, default 6).
/// </summary>
public sealed class PublishingOptions
{
    public const string SectionName = IngestOptions.SectionName + ":Publishing";

    /// <summary>
    /// <c>Ingest:Publishing:BufferCapacity</c>: how many messages may wait in this process for Kafka's
    /// acknowledgement. When Kafka is slow or away the buffer fills, and then the sources wait (back-pressure)
    /// instead of memory growing; about 300 bytes per message.
    /// </summary>
    [Range(1, 10_000_000)]
    public int BufferCapacity { get; set; } = 100_000;

    /// <summary>
    /// <c>Ingest:Publishing:DeliveryTimeout</c>: how long the producer keeps retrying a message before it
    /// reports the delivery as failed (counted, logged, health Degraded). Unset (the default): it retries
    /// until Kafka takes it, so an outage holds the sources back rather than losing trades.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "24.00:00:00")]
    public TimeSpan? DeliveryTimeout { get; set; }

    /// <summary><c>Ingest:Publishing:ShutdownTimeout</c>: how long stopping waits for Kafka to take what is still buffered.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// <c>Ingest:Publishing:StallAfter</c>: how long messages may wait without any acknowledgement before
    /// the <c>kafka-publisher</c> health check turns Degraded.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan StallAfter { get; set; } = TimeSpan.FromSeconds(30);
}
