using System.Globalization;
using CryptoPipeline.Ingest.Publishing;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace CryptoPipeline.Ingest.Health;

/// <summary>
/// <c>kafka-publisher</c>: Unhealthy after a fatal producer error (only a restart helps, so it is tagged
/// <c>live</c>); Degraded while the topics are not ready, while buffered messages get no acknowledgement,
/// when the buffer is nearly full (sources are being held back) or after recent delivery failures.
/// </summary>
internal sealed class KafkaPublisherHealthCheck(KafkaMarketDataPublisher publisher, IOptions<PublishingOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = publisher.GetStatus();
        var data = new Dictionary<string, object>
        {
            ["buffered"] = status.Buffered,
            ["capacity"] = status.Capacity,
            ["deliveryFailures"] = status.DeliveryFailures,
        };
        if (status.FatalError is { } fatal)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"The Kafka producer failed fatally: {fatal}. Restart the service.", data: data));
        }

        var problems = new List<string>();
        if (!status.TopicsReady)
        {
            problems.Add($"Kafka topics not ready: {status.TopicsProblem ?? "connecting"}");
        }

        if (status.Buffered > 0 && status.SinceLastAcknowledgement > options.Value.StallAfter)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"no acknowledgement from Kafka for {status.SinceLastAcknowledgement.TotalSeconds:0} s with {status.Buffered} message(s) waiting"));
        }

        if (status.Buffered >= status.Capacity * 9L / 10)
        {
            problems.Add($"buffer {status.Buffered}/{status.Capacity} full: the sources are held back");
        }

        if (status.RecentFailure is { } failure)
        {
            problems.Add($"{status.DeliveryFailures} delivery failure(s), the last: {failure}");
        }

        return Task.FromResult(problems.Count == 0
            ? HealthCheckResult.Healthy($"Publishing; {status.Buffered} message(s) awaiting acknowledgement.", data)
            : HealthCheckResult.Degraded(string.Join("; ", problems), data: data));
    }
}
