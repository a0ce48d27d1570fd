using System.ComponentModel.DataAnnotations;
using CryptoPipeline.Monitor.Scheduling;

namespace CryptoPipeline.Monitor;

/// <summary>Settings of the monitor, configuration section <c>Monitor</c>; every default works as it is.</summary>
public sealed class MonitorOptions : IValidatableObject
{
    public const string SectionName = "Monitor";

    /// <summary>Shortest API key accepted: a guessable key would be worse than none.</summary>
    public const int MinApiKeyLength = 16;

    /// <summary>
    /// <c>Monitor:ApiKey</c>: the key a caller sends in the <c>X-Api-Key</c> header to trigger a job. Not set (the
    /// default): triggering is disabled, never open.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// <c>Monitor:Jobs:&lt;job&gt;:Schedule</c>, <c>:Enabled</c>, <c>:CatchUp</c> and <c>:Timeout</c> for each job by
    /// name (<c>pipeline-check</c>, <c>reconciliation</c>, <c>gap-repair</c>, <c>maintenance</c>); a job not
    /// listed, or a setting left out, keeps the job's default.
    /// </summary>
    public Dictionary<string, JobSettings> Jobs { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>True when <see cref="ApiKey"/> is set, so that jobs may be triggered over HTTP.</summary>
    public bool TriggerEnabled => !string.IsNullOrWhiteSpace(ApiKey);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (TriggerEnabled && ApiKey!.Trim().Length < MinApiKeyLength)
        {
            yield return new ValidationResult(
                $"ApiKey must be at least {MinApiKeyLength} characters (or unset to disable triggering), got {ApiKey.Trim().Length}",
                [nameof(ApiKey)]);
        }

        foreach (var (name, settings) in Jobs)
        {
            if (!JobDeclarations.All.Any(j => j.Name.Equals(name, StringComparison.OrdinalIgnoreCase)))
            {
                yield return new ValidationResult(
                    $"Jobs:{name} is not a job; the jobs are {string.Join(", ", JobDeclarations.All.Select(j => j.Name))}",
                    [nameof(Jobs)]);
                continue;
            }

            if (settings.Schedule is not null && !JobSchedule.TryParse(settings.Schedule, out _, out var error))
            {
                yield return new ValidationResult(
                    $"Jobs:{name}:Schedule must be {JobSchedule.Syntax}, got '{settings.Schedule}': {error}", [nameof(Jobs)]);
            }

            if (settings.Timeout is { } timeout && (timeout < JobSettings.MinTimeout || timeout > JobSettings.MaxTimeout))
            {
                yield return new ValidationResult(
                    $"Jobs:{name}:Timeout must be between {JobSettings.MinTimeout} and {JobSettings.MaxTimeout}, got {timeout}", [nameof(Jobs)]);
            }

            if (settings.CatchUp is { } catchUp && !Enum.IsDefined(catchUp))
            {
                yield return new ValidationResult($"Jobs:{name}:CatchUp must be RunOnce or Skip, got {catchUp}", [nameof(Jobs)]);
            }
        }
    }

    /// <summary>The schedule settings of <paramref name="job"/>: the configured ones over the job's defaults.</summary>
    internal JobSettings For(JobDeclaration job)
    {
        var configured = Jobs.FirstOrDefault(p => p.Key.Equals(job.Name, StringComparison.OrdinalIgnoreCase)).Value;
        return new JobSettings
        {
            Schedule = configured?.Schedule?.Trim() ?? job.DefaultSchedule,
            Enabled = configured?.Enabled ?? true,
            CatchUp = configured?.CatchUp ?? CatchUpPolicy.RunOnce,
            Timeout = configured?.Timeout ?? job.DefaultTimeout,
        };
    }
}

/// <summary>One job's settings, <c>Monitor:Jobs:&lt;job&gt;</c>.</summary>
public sealed class JobSettings
{
    internal static readonly TimeSpan MinTimeout = TimeSpan.FromSeconds(1);
    internal static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(1);

    /// <summary>An interval (<c>00:05:00</c>) or a five-field cron expression in UTC (<c>*/5 * * * *</c>).</summary>
    public string? Schedule { get; set; }

    /// <summary>False stops the schedule; the job can still be triggered by hand.</summary>
    public bool? Enabled { get; set; }

    /// <summary>What happens to runs missed while no monitor was running (or while a run overran); default <see cref="CatchUpPolicy.RunOnce"/>.</summary>
    public CatchUpPolicy? CatchUp { get; set; }

    /// <summary>A run still going after this long is cancelled and recorded as failed.</summary>
    public TimeSpan? Timeout { get; set; }
}

/// <summary>What a schedule does about the occurrences it missed.</summary>
public enum CatchUpPolicy
{
    /// <summary>Run once straight away for all the missed occurrences together (never once per missed occurrence).</summary>
    RunOnce,

    /// <summary>Leave them out and wait for the next occurrence.</summary>
    Skip,
}
