using CryptoPipeline.Kafka;
using CryptoPipeline.Processor;
using CryptoPipeline.Processor.Consuming;
using CryptoPipeline.Processor.Health;
using CryptoPipeline.Processor.Sink;
using CryptoPipeline.Processor.Telemetry;
using CryptoPipeline.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

public static class ProcessorExtensions
{
    /// <summary>Name of the readiness check that Kafka answers; shared with any other service in the process that adds one.</summary>
    public const string KafkaHealthCheckName = "kafka";

    /// <summary>
    /// Registers the processor (DESIGN.md §5): PostgreSQL (<c>ConnectionStrings:cryptodb</c>, migrated at start),
    /// Kafka (<c>ConnectionStrings:kafka</c>), the <c>Processor</c> options validated at start, the consumer as a
    /// hosted service, readiness checks for PostgreSQL and Kafka, and the <c>CryptoPipeline.Processor</c>
    /// telemetry. Safe beside other services' registrations in one host (Standalone); a second call changes nothing.
    /// </summary>
    public static TBuilder AddProcessor<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(ProcessorMarker)))
        {
            return builder;
        }

        services.AddSingleton<ProcessorMarker>();
        builder.AddCryptoDatabase();
        builder.AddKafkaClients();
        services.AddValidatedOptions<ProcessorOptions>(builder.Configuration, ProcessorOptions.SectionName);

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ProcessorTelemetry>();
        services.AddSingleton<PostgresSink>();
        services.AddHostedService<ProcessorWorker>();

        services.TryAddSingleton<KafkaHealthCheck>();
        services.AddHealthChecks();
        services.Configure<HealthCheckServiceOptions>(health =>
        {
            if (!health.Registrations.Any(r => r.Name == KafkaHealthCheckName))
            {
                health.Registrations.Add(new HealthCheckRegistration(
                    KafkaHealthCheckName, sp => sp.GetRequiredService<KafkaHealthCheck>(), failureStatus: null, tags: ["ready"]));
            }
        });
        return builder;
    }

    private sealed class ProcessorMarker;
}
