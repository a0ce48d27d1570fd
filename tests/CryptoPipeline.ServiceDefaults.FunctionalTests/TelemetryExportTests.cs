using System.Diagnostics;
using System.Net;
using CryptoPipeline.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;

namespace CryptoPipeline.ServiceDefaults.FunctionalTests;

public class TelemetryExportTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Traces_metrics_and_logs_reach_the_OTLP_endpoint_while_the_service_runs()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        var greetingTraceId = default(ActivityTraceId);
        await using var service = await TestService.StartAsync(
            [
                new("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.Endpoint.ToString()),
                new("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
                new("OTEL_SERVICE_NAME", "greeting-service"),
                new("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=functional-test"),
                new("OTEL_METRIC_EXPORT_INTERVAL", "200"),
                new("OTEL_BSP_SCHEDULE_DELAY", "100"),
                new("OTEL_BLRP_SCHEDULE_DELAY", "100"),
                new("Logging:LogLevel:" + typeof(TelemetryExportTests).FullName, "Debug"),
            ],
            builder => builder.Services.AddSingleton<GreetingTelemetry>(),
            app => app.MapGet("/greetings/{name}", (string name, GreetingTelemetry telemetry, ILogger<TelemetryExportTests> logger) =>
            {
                using var span = telemetry.ActivitySource.StartActivity(GreetingTelemetry.SpanName);
                greetingTraceId = span!.TraceId;
                telemetry.Greetings.Add(1);
                logger.LogInformation("Composed a greeting for {Name}", name);
                logger.LogDebug("Greeting detail for {Name}", name);
                return $"Hello, {name}";
            }));

        // Probes first: were they exported, they would arrive no later than the greeting that follows them.
        Assert.Equal(HttpStatusCode.OK, (await service.Client.GetAsync("/alive", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await service.Client.GetAsync("/health", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal("Hello, ada", await service.Client.GetStringAsync("/greetings/ada", TestContext.Current.CancellationToken));

        await Eventually.Until(
            () => receiver.Received("traces", "GET /greetings/{name}", GreetingTelemetry.SpanName, "CryptoPipeline.FunctionalTests", "greeting-service", "functional-test"),
            Deadline,
            "the request span and the custom span at the OTLP receiver",
            TestContext.Current.CancellationToken);
        await Eventually.Until(
            () => receiver.Received("metrics", GreetingTelemetry.CounterName, "http.server.request.duration", "greeting-service"),
            Deadline,
            "the custom counter and ASP.NET Core's request duration at the OTLP receiver",
            TestContext.Current.CancellationToken);
        await Eventually.Until(
            () => receiver.Received("logs", "Composed a greeting for ada", "Greeting detail for ada", "greeting-service") && receiver.Received("logs", TraceIdBytes(greetingTraceId)),
            Deadline,
            "the information and debug log records, carrying the greeting's trace id, at the OTLP receiver",
            TestContext.Current.CancellationToken);

        Assert.False(receiver.Received("traces", "GET /alive"), "liveness probe spans must not be exported");
        Assert.False(receiver.Received("traces", "GET /health"), "readiness probe spans must not be exported");
    }

    [Fact]
    public async Task Buffered_telemetry_is_flushed_to_the_OTLP_endpoint_when_the_service_stops()
    {
        await using var receiver = await OtlpReceiver.StartAsync();

        // Default intervals: metrics every 60 s, spans every 5 s. Only the flush on shutdown delivers them sooner.
        var service = await TestService.StartAsync(
            [
                new("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.Endpoint.ToString()),
                new("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ],
            builder => builder.Services.AddSingleton<GreetingTelemetry>(),
            app => app.MapGet("/greetings/{name}", (string name, GreetingTelemetry telemetry) =>
            {
                using var span = telemetry.ActivitySource.StartActivity(GreetingTelemetry.SpanName);
                telemetry.Greetings.Add(1);
                return $"Hello, {name}";
            }));
        Assert.NotNull(service.App.Services.GetService<OpenTelemetrySdk>());
        Assert.Equal("Hello, grace", await service.Client.GetStringAsync("/greetings/grace", TestContext.Current.CancellationToken));

        var applicationName = service.App.Environment.ApplicationName;
        await service.DisposeAsync();

        Assert.True(receiver.Received("metrics", GreetingTelemetry.CounterName, applicationName), $"metrics after shutdown ({receiver.Summary()})");
        Assert.True(receiver.Received("traces", GreetingTelemetry.SpanName, applicationName), $"spans after shutdown ({receiver.Summary()})");
    }

    [Fact]
    public async Task Without_an_OTLP_endpoint_the_service_runs_without_exporting()
    {
        // Blank values hide any OTEL_* endpoint the machine running the tests may have set.
        await using var service = await TestService.StartAsync(
            [
                new("OTEL_EXPORTER_OTLP_ENDPOINT", ""),
                new("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", ""),
                new("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", ""),
                new("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", ""),
            ],
            map: app => app.MapGet("/greetings/{name}", (string name) => $"Hello, {name}"));

        Assert.Equal("Hello, linus", await service.Client.GetStringAsync("/greetings/linus", TestContext.Current.CancellationToken));
        Assert.NotNull(service.App.Services.GetService<OpenTelemetrySdk>());
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", "OTEL_EXPORTER_OTLP_PROTOCOL must be 'grpc' or 'http/protobuf', got 'http/json'.")]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4317", "OTEL_EXPORTER_OTLP_ENDPOINT must be an absolute http:// or https:// URL, got 'localhost:4317'.")]
    [InlineData("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "/v1/logs", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT must be an absolute http:// or https:// URL, got '/v1/logs'.")]
    public void Unusable_OTLP_setting_stops_the_service_with_a_message_naming_it(string key, string value, string expected)
    {
        var builder = TestService.CreateBuilder([new(key, value)]);
        builder.AddServiceDefaults();

        var thrown = Assert.Throws<InvalidOperationException>(() => builder.Build());

        Assert.Equal(expected, thrown.Message);
    }

    private static byte[] TraceIdBytes(ActivityTraceId traceId)
    {
        var bytes = new byte[16];
        traceId.CopyTo(bytes);
        return bytes;
    }
}
