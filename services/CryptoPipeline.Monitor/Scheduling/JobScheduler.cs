using System.Collections.Concurrent;

namespace CryptoPipeline.Monitor.Scheduling;

/// <summary>
/// Runs each enabled job on its schedule, on the injected <see cref="TimeProvider"/>, and starts runs on request.
/// A schedule continues from the job's last run in <c>job_runs</c> (on any monitor), so a restart neither repeats a
/// run nor forgets one: occurrences missed while no monitor ran (or while a run overran) are caught up once or
/// skipped, as <see cref="JobSettings.CatchUp"/> says, never once each. Several monitors may schedule the same job;
/// <see cref="JobRunner"/> lets exactly one of them run each occurrence.
/// </summary>
internal sealed partial class JobScheduler(
    IServiceProvider services,
    JobCatalog catalog,
    TimeProvider time,
    ILogger<JobScheduler> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ClockJump = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _nextRuns = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, Task> _triggered = new();
    private readonly CancellationTokenSource _stopping = new();

    // Resolved when first used: building them builds the data source, which reads the connection string, and the host
    // builds its hosted services before it validates the options, which must get to report every bad setting.
    private JobRunner Runner => services.GetRequiredService<JobRunner>();

    private JobRunStore Runs => services.GetRequiredService<JobRunStore>();

    /// <summary>When this monitor next runs <paramref name="job"/> on schedule; null when it does not schedule it (disabled, or not started yet).</summary>
    public DateTimeOffset? NextRunAt(string job) => _nextRuns.TryGetValue(job, out var next) ? next : null;

    /// <summary>Starts a run of <paramref name="job"/> now, outside its schedule; the run goes on after the call returns.</summary>
    public async Task<RunStart> TriggerAsync(ScheduledJob job)
    {
        var start = await Runner.StartAsync(job, occurrence: null, _stopping.Token);
        if (start.Completion is { } completion)
        {
            LogTriggered(job.Name, start.RunId);
            _triggered[start.RunId] = ObserveAsync(job.Name, start.RunId, completion);
        }

        return start;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await base.StopAsync(cancellationToken);
        await Task.WhenAll(_triggered.Values).WaitAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _stopping.Dispose();
        base.Dispose();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(catalog.Jobs.Where(j => j.Enabled).Select(j => RunScheduleAsync(j, stoppingToken)));

    private async Task RunScheduleAsync(ScheduledJob job, CancellationToken stoppingToken)
    {
        try
        {
            var due = await FirstDueAsync(job, stoppingToken);
            while (true)
            {
                _nextRuns[job.Name] = due;
                await DelayUntilAsync(due, stoppingToken);

                await RunOccurrenceAsync(job, due, stoppingToken);
                due = Due(job, job.Schedule.Next(due), time.GetUtcNow());
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            _nextRuns.TryRemove(job.Name, out _);
        }
    }

    /// <summary>
    /// Waits until the clock reaches <paramref name="due"/>. Timers count relative to when they are set, so a clock
    /// that jumps while one is being set (an NTP step, a test's manual clock) would leave it late: it is set again.
    /// </summary>
    private async Task DelayUntilAsync(DateTimeOffset due, CancellationToken stoppingToken)
    {
        while (time.GetUtcNow() is var now && now < due)
        {
            using var reset = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var delay = Task.Delay(due - now, time, reset.Token);
            if (time.GetUtcNow() - now > ClockJump)
            {
                await reset.CancelAsync();
                continue;
            }

            await delay;
        }
    }

    private async Task RunOccurrenceAsync(ScheduledJob job, DateTimeOffset due, CancellationToken stoppingToken)
    {
        try
        {
            var start = await Runner.StartAsync(job, due, stoppingToken);
            if (start.Completion is { } completion)
            {
                await completion;
            }
            else
            {
                LogNotRun(job.Name, due, start.Kind);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            // Most likely PostgreSQL is away; the next occurrence tries again.
            LogRunFailed(e, job.Name, due);
        }
    }

    private async Task<DateTimeOffset> FirstDueAsync(ScheduledJob job, CancellationToken stoppingToken)
    {
        while (true)
        {
            try
            {
                var last = await Runs.LastStartAsync(job.Name, stoppingToken);
                var now = time.GetUtcNow();
                if (last is { } started)
                {
                    return Due(job, job.Schedule.Next(started), now);
                }

                // Never ran anywhere: the first occurrence counts as missed.
                var first = job.CatchUp == CatchUpPolicy.RunOnce ? now : job.Schedule.Next(now);
                LogFirstSchedule(job.Name, job.Schedule.Text, first);
                return first;
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogHistoryUnavailable(job.Name, e.Message, RetryDelay);
                await Task.Delay(RetryDelay, time, stoppingToken);
            }
        }
    }

    /// <summary>When to run next, given the schedule's next occurrence: that one, or a catch-up of those already past.</summary>
    private DateTimeOffset Due(ScheduledJob job, DateTimeOffset next, DateTimeOffset now)
    {
        if (next > now)
        {
            return next;
        }

        var latest = job.Schedule.Latest(next, now);
        if (job.CatchUp == CatchUpPolicy.RunOnce)
        {
            LogCatchingUp(job.Name, next, latest);
            return latest;
        }

        var following = job.Schedule.Next(latest);
        LogSkipping(job.Name, next, latest, following);
        return following;
    }

    private async Task ObserveAsync(string job, long runId, Task<JobResult> completion)
    {
        try
        {
            await completion;
        }
        catch (Exception e)
        {
            LogRunFailed(e, job, time.GetUtcNow());
        }
        finally
        {
            _triggered.TryRemove(runId, out _);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job} ({Schedule}) has never run; first run at {First:O}")]
    private partial void LogFirstSchedule(string job, string schedule, DateTimeOffset first);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job} missed its runs from {First:O} to {Latest:O}; running once now (CatchUp=RunOnce)")]
    private partial void LogCatchingUp(string job, DateTimeOffset first, DateTimeOffset latest);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job} missed its runs from {First:O} to {Latest:O}; skipped, next run at {Next:O} (CatchUp=Skip)")]
    private partial void LogSkipping(string job, DateTimeOffset first, DateTimeOffset latest, DateTimeOffset next);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {Job}: the occurrence at {Due:O} was not run here ({Reason})")]
    private partial void LogNotRun(string job, DateTimeOffset due, RunStartKind reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job} triggered by hand: run {RunId}")]
    private partial void LogTriggered(string job, long runId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {Job}: the run due at {Due:O} could not be run or recorded")]
    private partial void LogRunFailed(Exception exception, string job, DateTimeOffset due);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job}: cannot read its run history ({Error}); retrying in {Delay}")]
    private partial void LogHistoryUnavailable(string job, string error, TimeSpan delay);
}
