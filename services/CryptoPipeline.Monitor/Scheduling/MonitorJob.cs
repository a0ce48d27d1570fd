using System.Text.Json.Nodes;

namespace CryptoPipeline.Monitor.Scheduling;

/// <summary>A job the scheduler runs; registered in the container, declared by <see cref="JobDeclarations"/>.</summary>
internal interface IMonitorJob
{
    JobDeclaration Declaration { get; }

    /// <summary>Does the job's work once. Throwing records the run as failed with the exception's message.</summary>
    Task<JobResult> RunAsync(JobContext context, CancellationToken cancellationToken);
}

/// <summary>The run a job is doing: its id in <c>job_runs</c> and when it started (the scheduler's clock).</summary>
internal sealed record JobContext(long RunId, DateTimeOffset StartedAt);

/// <summary>How a run ended, as <c>job_runs.status</c> spells it.</summary>
internal static class RunStatus
{
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Skipped = "skipped";
}

/// <summary>What a run reports: its status, a message for people, and figures for <c>job_runs.metrics</c>.</summary>
internal sealed record JobResult(string Status, string Message, JsonObject? Metrics = null)
{
    public static JobResult Succeeded(string message, JsonObject? metrics = null) => new(RunStatus.Succeeded, message, metrics);

    public static JobResult Failed(string message, JsonObject? metrics = null) => new(RunStatus.Failed, message, metrics);

    /// <summary>The job found nothing to do (e.g. no candles to reconcile); not a failure.</summary>
    public static JobResult Skipped(string message, JsonObject? metrics = null) => new(RunStatus.Skipped, message, metrics);
}

/// <summary>A declared job with its effective settings and parsed schedule.</summary>
internal sealed class ScheduledJob(IMonitorJob implementation, JobSettings settings, JobSchedule schedule)
{
    public string Name => implementation.Declaration.Name;

    public JobDeclaration Declaration => implementation.Declaration;

    public IMonitorJob Implementation => implementation;

    public JobSchedule Schedule => schedule;

    public bool Enabled => settings.Enabled!.Value;

    public CatchUpPolicy CatchUp => settings.CatchUp!.Value;

    public TimeSpan Timeout => settings.Timeout!.Value;
}

/// <summary>
/// The jobs of this monitor with their settings (<c>Monitor:Jobs</c>), resolved on first use: the host builds its
/// hosted services before it validates the options, and must get to report every bad setting.
/// </summary>
internal sealed class JobCatalog(IEnumerable<IMonitorJob> jobs, Microsoft.Extensions.Options.IOptions<MonitorOptions> options)
{
    private readonly Lazy<IReadOnlyList<ScheduledJob>> _jobs = new(() =>
    [
        .. jobs.Select(job =>
        {
            var settings = options.Value.For(job.Declaration);
            JobSchedule.TryParse(settings.Schedule, out var schedule, out _);
            return new ScheduledJob(job, settings, schedule!);
        }),
    ]);

    public IReadOnlyList<ScheduledJob> Jobs => _jobs.Value;

    public IEnumerable<string> Names => Jobs.Select(j => j.Name);

    public ScheduledJob? Find(string? name) => Jobs.FirstOrDefault(j => j.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
}
