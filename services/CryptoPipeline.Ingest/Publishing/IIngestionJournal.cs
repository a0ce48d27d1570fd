namespace CryptoPipeline.Ingest.Publishing;

/// <summary>
/// Durable record of what a feed could not deliver and of its connection life: trade-id gaps
/// (<c>ingestion_gaps</c>) and connects, drops, reconnects and rotations (<c>ingestion_events</c>).
/// </summary>
public interface IIngestionJournal
{
    /// <summary>Records an open gap; recording the same range again is a no-op.</summary>
    ValueTask RecordGapAsync(string exchange, string symbol, long firstMissingId, long lastMissingId, string? detail, CancellationToken cancellationToken);

    ValueTask MarkGapFilledAsync(string exchange, string symbol, long firstMissingId, long lastMissingId, CancellationToken cancellationToken);

    ValueTask MarkGapUnfillableAsync(string exchange, string symbol, long firstMissingId, long lastMissingId, string reason, CancellationToken cancellationToken);

    ValueTask RecordEventAsync(string exchange, string? connection, string kind, string? detail, CancellationToken cancellationToken);
}
