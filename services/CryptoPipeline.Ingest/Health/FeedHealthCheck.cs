using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CryptoPipeline.Ingest.Health;

/// <summary>
/// <c>ingest-feeds</c>: Degraded while a watched feed has been silent longer than it may be. Degraded, not
/// Unhealthy: the process is fine and its feeds reconnect on their own; restarting it would not help.
/// </summary>
internal sealed class FeedHealthCheck(FeedActivity activity) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var feeds = activity.Check();
        var data = feeds.ToDictionary(f => f.Expectation.Feed, f => (object)Math.Round(f.Silence.TotalSeconds, 1));
        var stale = feeds.Where(f => f.IsStale).ToList();
        if (stale.Count == 0)
        {
            return Task.FromResult(HealthCheckResult.Healthy(
                feeds.Count == 0 ? "No live feed to watch." : $"{feeds.Count} feed(s) delivering.",
                data));
        }

        var description = "Stale: " + string.Join("; ", stale.Select(f => string.Create(
            CultureInfo.InvariantCulture,
            $"{f.Expectation.Feed} ({f.Expectation.Exchange}) silent for {f.Silence.TotalSeconds:0} s, allowed {f.Expectation.MaxSilence.TotalSeconds:0} s")));
        return Task.FromResult(HealthCheckResult.Degraded(description, data: data));
    }
}
