namespace CryptoPipeline.Ingest.Replay;

/// <summary>
/// The replay's progress and its end, for a host that runs a bounded replay to completion (Standalone's
/// <c>--exit-when-done</c>): <see cref="Completion"/> finishes once the end of input is marked in Kafka, so
/// everything replayed is there, or fails with the reason the replay stopped.
/// </summary>
public sealed class ReplayCompletion
{
    private readonly TaskCompletionSource<ReplaySummary> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ReplayProgress Progress { get; } = new();

    public Task<ReplaySummary> Completion => _completion.Task;

    internal void Complete(ReplaySummary summary) => _completion.TrySetResult(summary);

    internal void Fail(Exception exception) => _completion.TrySetException(exception);

    internal void Cancel() => _completion.TrySetCanceled();
}

/// <summary>What a finished replay did.</summary>
public sealed record ReplaySummary(int Files, long Messages, long Trades, long Quotes, long Skipped, TimeSpan Elapsed);
