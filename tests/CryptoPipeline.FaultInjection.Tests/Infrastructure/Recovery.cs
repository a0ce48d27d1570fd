using System.Diagnostics;

namespace CryptoPipeline.FaultInjection.Tests.Infrastructure;

/// <summary>
/// How long one fault held the pipeline up, both from the moment the fault was injected: until the processor's
/// first commit after the fault was over, and until the candles counted every trade the market had made by then
/// (caught up; when Ingest replays files, until the processor consumed everything Kafka held then). Null: not within
/// the deadline.
/// </summary>
internal sealed record RecoveryTime(TimeSpan? FirstCommit, TimeSpan? CaughtUp)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Starts measuring when the fault is over (the service restarted, the server back): call it then. The first
    /// commit is the first one seen from then on that goes beyond what was committed when the fault was injected.
    /// </summary>
    public static async Task<RecoveryTime> MeasureAsync(Pipeline pipeline, FaultStart fault, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var (faultAt, before) = (fault.At, fault.Committed);
        var position = pipeline.MarketPosition();
        var ends = position is null ? await Pipeline.Tolerant(() => Task.FromResult<IReadOnlyDictionary<(string, int), long>?>(pipeline.EndOffsets()), null) : null;
        TimeSpan? firstCommit = null, caughtUp = null;
        var clock = Stopwatch.StartNew();
        while ((firstCommit is null || caughtUp is null) && clock.Elapsed < timeout && !cancellationToken.IsCancellationRequested)
        {
            if (firstCommit is null)
            {
                var committed = await Pipeline.Tolerant(() => pipeline.CommittedAsync(cancellationToken), -1L);
                if (before < 0)
                {
                    // PostgreSQL was not answering when the fault began: the first answer sets the baseline.
                    before = committed;
                }
                else if (committed > before)
                {
                    firstCommit = Stopwatch.GetElapsedTime(faultAt);
                }
            }

            // Live: every trade the market had made when the fault ended; replayed: everything Kafka held then.
            if (caughtUp is null && await Pipeline.Tolerant(
                () => position is not null ? pipeline.CountsEverythingUpToAsync(position, cancellationToken)
                    : ends is not null ? pipeline.CommittedAsync(ends, cancellationToken)
                    : Task.FromResult(false),
                false))
            {
                caughtUp = Stopwatch.GetElapsedTime(faultAt);
            }

            await Task.Delay(PollInterval, CancellationToken.None);
        }

        return new RecoveryTime(firstCommit, caughtUp);
    }
}

/// <summary>When a fault was injected (a stopwatch reading) and the sum of the processor's committed offsets then (-1: unknown).</summary>
internal sealed record FaultStart(long At, long Committed);
