using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace CryptoPipeline.ServiceDefaults;

/// <summary>
/// <c>/health</c> (readiness: every check) and <c>/alive</c> (liveness: checks tagged <c>live</c>) in every
/// environment, because azd deploys in Production and its probes need them there (DESIGN.md §2).
/// </summary>
public static class HealthEndpoints
{
    public const string HealthPath = "/health";
    public const string AlivePath = "/alive";

    /// <summary>Tag of the checks that decide liveness: a failing one means restart the process.</summary>
    public const string LiveTag = "live";

    /// <summary>Adds the <c>self</c> check, tagged <see cref="LiveTag"/>: the process answers, so it is alive.</summary>
    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy("The process is running."), [LiveTag]);
        return builder;
    }

    /// <summary>
    /// Maps both endpoints. Each answers 200 when healthy or degraded and 503 when unhealthy, with a JSON
    /// body listing every check's status, description, duration and error, for people reading it.
    /// </summary>
    public static TEndpoints MapDefaultEndpoints<TEndpoints>(this TEndpoints endpoints)
        where TEndpoints : IEndpointRouteBuilder
    {
        endpoints.MapHealthChecks(HealthPath, new HealthCheckOptions { ResponseWriter = WriteReport });
        endpoints.MapHealthChecks(AlivePath, new HealthCheckOptions
        {
            Predicate = registration => registration.Tags.Contains(LiveTag),
            ResponseWriter = WriteReport,
        });
        return endpoints;
    }

    private static async Task WriteReport(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        await using (var json = new Utf8JsonWriter(context.Response.BodyWriter, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("status", report.Status.ToString());
            json.WriteNumber("durationMs", Math.Round(report.TotalDuration.TotalMilliseconds, 3));
            json.WriteStartArray("checks");
            foreach (var (name, entry) in report.Entries)
            {
                json.WriteStartObject();
                json.WriteString("name", name);
                json.WriteString("status", entry.Status.ToString());
                json.WriteString("description", entry.Description);
                json.WriteNumber("durationMs", Math.Round(entry.Duration.TotalMilliseconds, 3));
                if (entry.Exception is { } exception)
                {
                    json.WriteString("error", exception.Message);
                }

                json.WriteStartArray("tags");
                foreach (var tag in entry.Tags)
                {
                    json.WriteStringValue(tag);
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }
}
