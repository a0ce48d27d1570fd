using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CryptoPipeline.ServiceDefaults.FunctionalTests;

public class HealthEndpointTests
{
    [Theory]
    [InlineData("/health")]
    [InlineData("/alive")]
    public async Task Probe_answers_200_with_a_json_report_in_production(string path)
    {
        await using var service = await TestService.StartAsync([]);

        using var response = await service.Client.GetAsync(path, TestContext.Current.CancellationToken);
        using var report = await ReadReport(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Healthy", report.RootElement.GetProperty("status").GetString());
        var self = Assert.Single(report.RootElement.GetProperty("checks").EnumerateArray());
        Assert.Equal("self", self.GetProperty("name").GetString());
        Assert.Equal("Healthy", self.GetProperty("status").GetString());
        Assert.Equal("live", Assert.Single(self.GetProperty("tags").EnumerateArray()).GetString());
    }

    [Fact]
    public async Task Failing_readiness_check_makes_health_503_and_says_why_while_alive_stays_200()
    {
        await using var service = await TestService.StartAsync([], builder => builder.Services.AddHealthChecks()
            .AddCheck("kafka", () => HealthCheckResult.Unhealthy("Broker unreachable.", new IOException("Connection refused 127.0.0.1:9092"))));

        using var health = await service.Client.GetAsync("/health", TestContext.Current.CancellationToken);
        using var alive = await service.Client.GetAsync("/alive", TestContext.Current.CancellationToken);
        using var healthReport = await ReadReport(health);
        using var aliveReport = await ReadReport(alive);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal("Unhealthy", healthReport.RootElement.GetProperty("status").GetString());
        var kafka = Assert.Single(healthReport.RootElement.GetProperty("checks").EnumerateArray(), c => c.GetProperty("name").GetString() == "kafka");
        Assert.Equal("Unhealthy", kafka.GetProperty("status").GetString());
        Assert.Equal("Broker unreachable.", kafka.GetProperty("description").GetString());
        Assert.Equal("Connection refused 127.0.0.1:9092", kafka.GetProperty("error").GetString());

        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        Assert.Equal("self", Assert.Single(aliveReport.RootElement.GetProperty("checks").EnumerateArray()).GetProperty("name").GetString());
    }

    private static async Task<JsonDocument> ReadReport(HttpResponseMessage response) =>
        await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken), cancellationToken: TestContext.Current.CancellationToken);
}
