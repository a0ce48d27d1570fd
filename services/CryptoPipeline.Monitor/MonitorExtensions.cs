using CryptoPipeline.Database.Hosting;
using CryptoPipeline.Kafka;
using CryptoPipeline.Monitor.Alerts;
using CryptoPipeline.Monitor.Endpoints;
using CryptoPipeline.Monitor.Gaps;
using CryptoPipeline.Monitor.Maintenance;
using CryptoPipeline.Monitor.Pipeline;
using CryptoPipeline.Monitor.Reconciliation;
using CryptoPipeline.Monitor.Scheduling;
using CryptoPipeline.Monitor;
using CryptoPipeline.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

public static class MonitorExtensions
{
    /// <summary>The route group of the monitor's API; distinct from the Api's, so both compose in one host.</summary>
    public const string ApiPrefix = "/api/v1/monitor";

    /// <summary>The monitor's OpenAPI document, served at <c>/api/v1/monitor/openapi/monitor.json</c>.</summary>
    public const string OpenApiDocument = "monitor";

    /// <summary>
    /// Registers the monitor (issue 5): PostgreSQL (<c>ConnectionStrings:cryptodb</c>, migrated at start), Kafka
    /// (<c>ConnectionStrings:kafka</c>), the <c>Monitor</c>, <c>Monitor:Pipeline</c>, <c>Monitor:Alerts</c>,
    /// <c>Monitor:Reconciliation</c>, <c>Monitor:GapRepair</c> and <c>Monitor:Maintenance</c> options validated at
    /// start, the jobs and their scheduler, the alert rules and webhook, the <c>pipeline</c> health check, validation,
    /// ProblemDetails, the OpenAPI document and the <c>CryptoPipeline.Monitor</c> telemetry. Safe beside other services'
    /// registrations in one host (Standalone); a second call changes nothing. Pair with <see cref="MapMonitorApi"/>.
    /// </summary>
    public static TBuilder AddMonitor<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(MonitorMarker)))
        {
            return builder;
        }

        services.AddSingleton<MonitorMarker>();
        builder.AddCryptoDatabase();
        builder.AddKafkaClients();
        var configuration = builder.Configuration;
        services.AddValidatedOptions<MonitorOptions>(configuration, MonitorOptions.SectionName);
        services.AddValidatedOptions<PipelineOptions>(configuration, PipelineOptions.SectionName);
        services.AddValidatedOptions<AlertOptions>(configuration, AlertOptions.SectionName);
        services.AddValidatedOptions<ReconciliationOptions>(configuration, ReconciliationOptions.SectionName);
        services.AddValidatedOptions<GapRepairOptions>(configuration, GapRepairOptions.SectionName);
        services.AddValidatedOptions<MaintenanceOptions>(configuration, MaintenanceOptions.SectionName);

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<MonitorTelemetry>();

        services.AddSingleton<IMonitorJob, PipelineCheckJob>();
        services.AddSingleton<IMonitorJob, ReconciliationJob>();
        services.AddSingleton<IMonitorJob, GapRepairJob>();
        services.AddSingleton<IMonitorJob, MaintenanceJob>();
        services.AddSingleton<JobCatalog>();
        services.AddSingleton<JobRunStore>();
        services.AddSingleton<JobRunner>();
        services.AddSingleton<JobScheduler>();
        services.AddHostedService(sp => sp.GetRequiredService<JobScheduler>());

        services.AddSingleton<AlertEvaluator>();
        services.AddSingleton<AlertWebhook>();
        services.AddHostedService(sp => sp.GetRequiredService<AlertWebhook>());
        services.AddHttpClient(AlertWebhook.HttpClientName);

        services.AddSingleton<KafkaOffsetsProbe>();
        services.AddSingleton<PipelineStatusStore>();
        services.AddSingleton<BinanceKlinesClient>();
        services.AddHttpClient(BinanceKlinesClient.HttpClientName)
            .ConfigureHttpClient((sp, http) => http.Timeout = sp.GetRequiredService<IOptions<ReconciliationOptions>>().Value.RequestTimeout);
        services.AddSingleton<MonitorQueries>();
        services.AddHealthChecks().AddCheck<PipelineHealthCheck>("pipeline", tags: ["ready"]);

        // First in the chain for the monitor's types; every other type keeps its resolver.
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, MonitorJsonContext.Default));
        services.AddProblemDetails();
        services.AddExceptionHandler<DatabaseUnavailableHandler>();
        services.AddValidation();
        services.AddOpenApi(OpenApiDocument, openApi => openApi.ShouldInclude = description => description.GroupName == OpenApiDocument);
        return builder;
    }

    /// <summary>
    /// Maps the monitor's API under <see cref="ApiPrefix"/> and its OpenAPI document, and adds the exception handler
    /// (ProblemDetails, never a stack trace) and status-code pages to the pipeline. Call it after <c>MapDefaultEndpoints</c>.
    /// </summary>
    public static WebApplication MapMonitorApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapOpenApi(ApiPrefix + "/openapi/{documentName}.json");
        app.MapGroup(ApiPrefix)
            .WithTags("CryptoPipeline Monitor v1")
            .WithGroupName(OpenApiDocument)
            .MapMonitorEndpoints();
        return app;
    }

    private sealed class MonitorMarker;
}
