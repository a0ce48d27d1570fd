using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace CryptoPipeline.ServiceDefaults;

/// <summary>
/// OpenTelemetry built with the core SDK (<see cref="OpenTelemetrySdk.Create"/>): no hosting or
/// instrumentation packages exist here. .NET 10 emits the ASP.NET Core, HttpClient, runtime and Npgsql
/// signals natively, so subscribing to their sources and meters does most of it; <see cref="RequestSpanCompletion"/>
/// adds the request span's route and status.
/// </summary>
public static class OpenTelemetryDefaults
{
    // Every service's own source and meter, then the platform's.
    private static readonly string[] ActivitySources =
        [ServiceTelemetry.NamePrefix + "*", "Microsoft.AspNetCore", "System.Net.Http", "Npgsql"];

    private static readonly string[] Meters =
        [ServiceTelemetry.NamePrefix + "*", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Net.Http", "System.Runtime", "Npgsql"];

    /// <summary>
    /// Registers one <see cref="OpenTelemetrySdk"/> in the container, which disposes it on shutdown and so
    /// flushes what is still buffered, and routes the host's logs through it (correlated with the current
    /// trace). OTLP export happens only when an <c>OTEL_EXPORTER_OTLP_*ENDPOINT</c> setting is present.
    /// </summary>
    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        // ASP.NET Core 10 leaves even method, path and server off its request spans unless this is off (the
        // .NET 11 default); route, status and the span name come from RequestSpanCompletion.
        AppContext.SetSwitch("Microsoft.AspNetCore.Hosting.SuppressActivityOpenTelemetryData", false);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IStartupFilter, RequestSpanCompletion>());

        builder.Services.AddSingleton(services => CreateSdk(
            services.GetRequiredService<IConfiguration>(),
            services.GetRequiredService<IHostEnvironment>().ApplicationName));

        // The host resolves its logger factory while it is built, which creates the SDK with it, so tracing
        // and metrics are on from the first request.
        builder.Services.AddSingleton<ILoggerProvider>(services =>
            new SdkLoggerProvider(services.GetRequiredService<OpenTelemetrySdk>().GetLoggerFactory()));
        return builder;
    }

    private static OpenTelemetrySdk CreateSdk(IConfiguration configuration, string applicationName)
    {
        var export = OtlpSettings.IsExportConfigured(configuration);
        return OpenTelemetrySdk.Create(otel =>
        {
            // The SDK reads every OTEL_* setting (endpoint, protocol, headers, intervals, service name,
            // resource attributes) from this, so appsettings, environment and command line all work.
            otel.Services.AddSingleton(configuration);
            otel.ConfigureResource(resource => resource
                .Clear()
                .AddService(applicationName)
                .AddTelemetrySdk()
                .AddEnvironmentVariableDetector());
            otel.WithTracing(tracing => tracing
                .AddSource(ActivitySources)
                .AddProcessor(new HealthProbeSpanFilter()));
            otel.WithMetrics(metrics => metrics.AddMeter(Meters));
            otel.WithLogging(
                _ => { },
                options =>
                {
                    options.IncludeFormattedMessage = true;
                    options.IncludeScopes = true;
                });

            // The host's logging rules decide what is logged; the SDK's own factory must not drop Debug on top.
            otel.Services.Configure<LoggerFilterOptions>(filters => filters.MinLevel = LogLevel.Trace);
            if (export)
            {
                otel.UseOtlpExporter();
            }
        });
    }
}
