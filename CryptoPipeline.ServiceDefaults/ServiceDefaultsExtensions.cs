using Microsoft.Extensions.Hosting;

namespace CryptoPipeline.ServiceDefaults;

/// <summary>What every CryptoPipeline service shares (DESIGN.md §2, §7): telemetry and health checks.</summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>
    /// OpenTelemetry traces, metrics and logs (exported over OTLP when an endpoint is configured) and the
    /// default health checks. Pair with <see cref="HealthEndpoints.MapDefaultEndpoints"/>.
    /// </summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        return builder;
    }
}
