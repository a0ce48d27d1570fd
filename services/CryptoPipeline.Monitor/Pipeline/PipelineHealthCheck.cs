using CryptoPipeline.Monitor.Scheduling;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace CryptoPipeline.Monitor.Pipeline;

/// <summary>
/// <c>/health</c>'s <c>pipeline</c> entry: the latest pipeline check, whichever monitor ran it. Unhealthy when the
/// processor is stalled or gone or Kafka is unreachable, Degraded for stale instruments, lag over the limit or a check
/// too old to trust, Healthy otherwise. It never restarts the monitor: it is not tagged for liveness.
/// </summary>
internal sealed class PipelineHealthCheck(PipelineStatusStore store, JobCatalog jobs, IOptions<PipelineOptions> options, TimeProvider time) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var report = await store.LoadAsync(cancellationToken);
        if (report is null)
        {
            return jobs.Find(JobDeclarations.PipelineCheck.Name)?.Enabled == true
                ? HealthCheckResult.Degraded("No pipeline check has run yet.")
                : HealthCheckResult.Healthy("The pipeline check is disabled (Monitor:Jobs:pipeline-check:Enabled).");
        }

        var age = time.GetUtcNow() - report.CheckedAt;
        if (age > options.Value.MaxReportAge)
        {
            return HealthCheckResult.Degraded(
                $"The latest pipeline check is from {report.CheckedAt:O}, {age.TotalSeconds:0} s ago (more than Monitor:Pipeline:MaxReportAge, {options.Value.MaxReportAge}).");
        }

        return report.Status switch
        {
            PipelineReport.Unhealthy => HealthCheckResult.Unhealthy(report.Summary),
            PipelineReport.Degraded => HealthCheckResult.Degraded(report.Summary),
            _ => HealthCheckResult.Healthy(report.Summary),
        };
    }
}
