using System.Collections.Concurrent;
using CryptoPipeline.Ingest.Publishing;

namespace CryptoPipeline.Ingest.FunctionalTests.Binance;

/// <summary>An <see cref="IIngestionJournal"/> that keeps every call, for the tests to read.</summary>
internal sealed class RecordingJournal : IIngestionJournal
{
    private readonly ConcurrentQueue<JournalGap> _gaps = new();
    private readonly ConcurrentQueue<JournalEvent> _events = new();

    /// <summary>Every gap call in order: <c>open</c>, then <c>filled</c> or <c>unfillable</c>.</summary>
    public IReadOnlyList<JournalGap> Gaps => [.. _gaps];

    public IReadOnlyList<JournalEvent> Events => [.. _events];

    public IReadOnlyList<JournalEvent> EventsOf(string kind) => [.. _events.Where(e => e.Kind == kind)];

    public ValueTask RecordGapAsync(string exchange, string symbol, long firstMissingId, long lastMissingId, string? detail, CancellationToken cancellationToken) =>
        Add(new JournalGap(exchange, symbol, firstMissingId, lastMissingId, "open", detail));

    public ValueTask MarkGapFilledAsync(string exchange, string symbol, long firstMissingId, long lastMissingId, CancellationToken cancellationToken) =>
        Add(new JournalGap(exchange, symbol, firstMissingId, lastMissingId, "filled", null));

    public ValueTask MarkGapUnfillableAsync(string exchange, string symbol, long firstMissingId, long lastMissingId, string reason, CancellationToken cancellationToken) =>
        Add(new JournalGap(exchange, symbol, firstMissingId, lastMissingId, "unfillable", reason));

    public ValueTask RecordEventAsync(string exchange, string? connection, string kind, string? detail, CancellationToken cancellationToken)
    {
        _events.Enqueue(new JournalEvent(exchange, connection, kind, detail));
        return ValueTask.CompletedTask;
    }

    private ValueTask Add(JournalGap gap)
    {
        _gaps.Enqueue(gap);
        return ValueTask.CompletedTask;
    }
}

internal sealed record JournalGap(string Exchange, string Symbol, long FirstId, long LastId, string Status, string? Detail);

internal sealed record JournalEvent(string Exchange, string? Connection, string Kind, string? Detail);
