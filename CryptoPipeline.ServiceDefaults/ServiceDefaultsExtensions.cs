using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Hosting;

namespace CryptoPipeline.ServiceDefaults;

/// <summary>What every CryptoPipeline service shares (DESIGN.md §2, §7): telemetry and health checks.</summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>
    /// Log levels every service starts from; any configuration source (appsettings, environment, command line) overrides
    /// them. Npgsql logs every command at Information, which would bury what a person needs to read.
    /// </summary>
    public static IReadOnlyDictionary<string, string?> LoggingDefaults { get; } = new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Npgsql"] = "Warning",
    };

    /// <summary>
    /// OpenTelemetry traces, metrics and logs (exported over OTLP when an endpoint is configured), the
    /// default health checks and <see cref="LoggingDefaults"/>. Pair with <see cref="HealthEndpoints.MapDefaultEndpoints"/>.
    /// </summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);

        // First source, so every other one wins.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = LoggingDefaults });
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        return builder;
    }
}
