namespace CryptoPipeline.Ingest.Replay;

/// <summary>
/// Holds each record back until its place on the replay clock: the first record goes at once, record t at
/// (t − first) / speed later. Behind schedule it does not wait (it catches up); a recorded clock that steps
/// back does not make it wait either.
/// </summary>
internal sealed class ReplayPacer(ReplaySpeed speed, TimeProvider time)
{
    // Below a millisecond a timer would cost more than the wait is worth.
    internal static readonly TimeSpan MinWait = TimeSpan.FromMilliseconds(1);

    private long _startedAt;
    private DateTimeOffset? _first;

    /// <summary>The recorded time the pacer is waiting for, while it waits.</summary>
    public DateTimeOffset? WaitingFor { get; private set; }

    public ValueTask WaitAsync(DateTimeOffset recorded, CancellationToken cancellationToken)
    {
        if (speed.IsMax)
        {
            return ValueTask.CompletedTask;
        }

        if (_first is not { } first)
        {
            _first = recorded;
            _startedAt = time.GetTimestamp();
            return ValueTask.CompletedTask;
        }

        var due = (recorded - first) / speed.Factor;
        var wait = due - time.GetElapsedTime(_startedAt);
        return wait < MinWait ? ValueTask.CompletedTask : WaitForAsync(recorded, wait, cancellationToken);
    }

    private async ValueTask WaitForAsync(DateTimeOffset recorded, TimeSpan wait, CancellationToken cancellationToken)
    {
        WaitingFor = recorded;
        await Task.Delay(wait, time, cancellationToken);
        WaitingFor = null;
    }
}
