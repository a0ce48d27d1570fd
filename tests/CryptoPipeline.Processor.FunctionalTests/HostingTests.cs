using System.Net;
using System.Text.Json;
using CryptoPipeline.Processor.FunctionalTests.Infrastructure;
using CryptoPipeline.ServiceDefaults;
using CryptoPipeline.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CryptoPipeline.Processor.FunctionalTests;

/// <summary>How the processor is hosted: readiness, settings validation, composition with other services.</summary>
public sealed class HostingTests(PostgresFixture postgres)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Readiness_fails_while_kafka_is_unreachable_and_recovers_with_it()
    {
        using var kafka = new PipelineKafka();
        var database = await postgres.CreateDatabaseAsync(cancellationToken: Cancellation);
        await using var host = await ProcessorHost.StartAsync(kafka.BootstrapServers, database);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/health", Cancellation)).StatusCode);

        kafka.Cluster.SetBrokerDown(1);
        var down = await Eventually.Until(
            () => CheckAsync(host, "/health"),
            report => report.Status == HttpStatusCode.ServiceUnavailable,
            TimeSpan.FromSeconds(30),
            "readiness to fail",
            Cancellation);
        Assert.Equal("Unhealthy", down.Checks["kafka"]);
        Assert.Equal("Healthy", down.Checks["postgres"]);

        // Liveness does not depend on Kafka: restarting the process would not bring it back.
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/alive", Cancellation)).StatusCode);

        kafka.Cluster.SetBrokerUp(1);
        await Eventually.Until(
            () => CheckAsync(host, "/health"),
            report => report.Status == HttpStatusCode.OK,
            TimeSpan.FromSeconds(30),
            "readiness to recover",
            Cancellation);
    }

    [Fact]
    public async Task Processor_composes_with_other_services_in_one_host_and_registers_each_check_once()
    {
        using var kafka = new PipelineKafka();
        var database = await postgres.CreateDatabaseAsync(cancellationToken: Cancellation);
        var builder = CreateBuilder(ProcessorHost.Settings(kafka.BootstrapServers, database));
        builder.AddServiceDefaults();

        // What Standalone does: several services, each registering its own dependencies.
        builder.AddCryptoDatabase();
        builder.AddProcessor();
        builder.AddProcessor();
        await using var app = builder.Build();
        app.MapDefaultEndpoints();
        await app.StartAsync(Cancellation);
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };

        var report = await CheckAsync(client, "/health");
        Assert.Equal(HttpStatusCode.OK, report.Status);
        Assert.Equal(["kafka", "postgres", "self"], report.Checks.Keys.Order());
        await app.StopAsync(Cancellation);
    }

    [Fact]
    public async Task Invalid_processor_settings_fail_the_start_naming_each_key_and_value()
    {
        var database = await postgres.CreateDatabaseAsync(cancellationToken: Cancellation);
        var builder = CreateBuilder(ProcessorHost.Settings("127.0.0.1:9", database, new Dictionary<string, string?>
        {
            ["Processor:MaxBatchMessages"] = "0",
            ["Processor:MaxBatchDelay"] = "00:05:00",
            ["Processor:ConsumerGroup"] = "",
            ["Processor:FirstRetryDelay"] = "00:00:10",
            ["Processor:MaxRetryDelay"] = "00:00:01",
            ["Processor:RawTradeHistory:RetentionDays"] = "0",
        }));
        builder.AddProcessor();
        await using var app = builder.Build();

        var thrown = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(Cancellation));

        Assert.Equal(
            [
                "Processor:ConsumerGroup is required",
                "Processor:MaxBatchMessages must be between 1 and 1000000, got 0",
                "Processor:MaxBatchDelay must be between 00:00:00.0010000 and 00:01:00, got 00:05:00",
                "Processor: MaxRetryDelay (00:00:01) must not be below FirstRetryDelay (00:00:10)",
                "Processor: RawTradeHistory:RetentionDays must be between 1 and 3650, got 0",
            ],
            thrown.Failures);
    }

    private static WebApplicationBuilder CreateBuilder(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(settings);
        return builder;
    }

    private static Task<HealthReport> CheckAsync(ProcessorHost host, string path) => CheckAsync(host.Client, path);

    private static async Task<HealthReport> CheckAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path, Cancellation);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancellation));
        var checks = json.RootElement.GetProperty("checks").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("status").GetString()!);
        return new HealthReport(response.StatusCode, checks);
    }

    private sealed record HealthReport(HttpStatusCode Status, Dictionary<string, string> Checks);
}
