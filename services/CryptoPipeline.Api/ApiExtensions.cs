using CryptoPipeline.Api;
using CryptoPipeline.Database.Hosting;
using CryptoPipeline.ServiceDefaults;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.Hosting;

public static class ApiExtensions
{
    /// <summary>The route group of the versioned API.</summary>
    public const string ApiPrefix = "/api/v1";

    /// <summary>
    /// Registers the Api (DESIGN.md §4 tables, read only): PostgreSQL (<c>ConnectionStrings:cryptodb</c>, migrated at
    /// start), the <c>Api</c>, <c>Api:RateLimit</c> and <c>Api:Stream</c> options validated at start, the queries,
    /// the live stream's poller, validation, ProblemDetails, rate limiting, output caching, the OpenAPI document and
    /// the <c>CryptoPipeline.Api</c> telemetry. Safe beside other services' registrations in one host (Standalone);
    /// a second call changes nothing. Pair with <see cref="MapApi"/>.
    /// </summary>
    public static TBuilder AddApi<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(ApiMarker)))
        {
            return builder;
        }

        services.AddSingleton<ApiMarker>();
        builder.AddCryptoDatabase();
        services.AddValidatedOptions<ApiOptions>(builder.Configuration, ApiOptions.SectionName);
        services.AddValidatedOptions<RateLimitOptions>(builder.Configuration, RateLimitOptions.SectionName);
        services.AddValidatedOptions<StreamOptions>(builder.Configuration, StreamOptions.SectionName);

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ApiTelemetry>();
        services.AddSingleton<CandleQueries>();
        services.AddSingleton<MarketQueries>();
        services.AddSingleton<CompatibleQueries>();
        services.AddSingleton<PipelineQueries>();
        services.AddSingleton<MarketFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<MarketFeed>());

        // First in the chain for the Api's types; every other type (ProblemDetails, other services') keeps its resolver.
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default));
        services.AddProblemDetails();
        services.AddExceptionHandler<DatabaseUnavailableHandler>();
        services.AddValidation();
        services.AddOpenApi();
        services.AddSingleton<FinalDataPolicy>();
        services.AddOutputCache();
        services.AddOptions<OutputCacheOptions>()
            .Configure<FinalDataPolicy>((cache, policy) => cache.AddPolicy(FinalDataPolicy.Name, policy));
        services.AddRateLimiter(ApiRateLimits.Configure);
        return builder;
    }

    /// <summary>
    /// Maps the Api: the dashboard at <c>/</c> (served from the assembly), the seven original endpoints (at the root and
    /// under <c>/compat</c>), <see cref="ApiPrefix"/> with per-client rate limiting, and the OpenAPI document at
    /// <c>/openapi/v1.json</c>; adds the exception handler (ProblemDetails, never a stack trace), status-code pages,
    /// the rate limiter and the output cache to the pipeline. Call it after <c>MapDefaultEndpoints</c>.
    /// </summary>
    public static WebApplication MapApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRateLimiter();
        app.UseOutputCache();
        app.UseDashboard();

        app.MapOpenApi();
        app.MapCompatibleEndpoints();

        var api = app.MapGroup(ApiPrefix)
            .RequireRateLimiting(ApiRateLimits.Policy)
            .WithTags("CryptoPipeline API v1");
        api.MapSymbolsApi();
        api.MapCandlesApi();
        api.MapTickersApi();
        api.MapStatisticsApi();
        api.MapPipelineApi();
        api.MapStreamApi();
        return app;
    }

    private sealed class ApiMarker;
}
