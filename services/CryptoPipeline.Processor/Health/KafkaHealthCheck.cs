using Confluent.Kafka;
using CryptoPipeline.Contracts;
using CryptoPipeline.Kafka;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace CryptoPipeline.Processor.Health;

/// <summary>
/// Healthy when a Kafka broker answers a metadata request for <c>raw_trades</c> within
/// <see cref="ProcessorOptions.KafkaHealthCheckTimeout"/>.
/// </summary>
internal sealed class KafkaHealthCheck(IOptions<KafkaOptions> kafkaOptions, IOptions<ProcessorOptions> options) : IHealthCheck, IDisposable
{
    private readonly Lazy<IAdminClient> _admin = new(() => new AdminClientBuilder(kafkaOptions.Value.CreateAdminConfig()).Build());

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        // GetMetadata blocks up to the timeout: keep it off the request's thread.
        Task.Run(
            () =>
            {
                var metadata = _admin.Value.GetMetadata(Topics.RawTrades, options.Value.KafkaHealthCheckTimeout);
                return metadata.Brokers.Count > 0
                    ? HealthCheckResult.Healthy($"{metadata.Brokers.Count} broker(s) answered.")
                    : HealthCheckResult.Unhealthy("Kafka answered with no brokers.");
            },
            cancellationToken);

    public void Dispose()
    {
        if (_admin.IsValueCreated)
        {
            _admin.Value.Dispose();
        }
    }
}
