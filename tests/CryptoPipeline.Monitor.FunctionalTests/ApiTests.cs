using System.Net;
using System.Text.Json;
using CryptoPipeline.Monitor.FunctionalTests.Infrastructure;
using CryptoPipeline.ServiceDefaults;
using CryptoPipeline.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CryptoPipeline.Monitor.FunctionalTests;

public sealed class ApiFixture(PostgresFixture postgres) : IAsyncLifetime
{
    internal MonitorHost Monitor { get; private set; } = null!;

    public async ValueTask InitializeAsync() =>
        Monitor = await MonitorHost.StartAsync(await postgres.CreateDatabaseAsync(), settings: new Dictionary<string, string?> { ["Monitor:ApiKey"] = MonitorHost.ApiKey });

    public async ValueTask DisposeAsync() => await Monitor.DisposeAsync();
}

/// <summary>The HTTP API's contract: ProblemDetails for bad input, the OpenAPI document, the jobs it lists.</summary>
public sealed class ApiTests(ApiFixture fixture, PostgresFixture postgres) : IClassFixture<ApiFixture>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public static TheoryData<string, string, string> Rejected => new()
    {
        // path, parameter named in the problem, a phrase of what it accepts
        { "/api/v1/monitor/runs?page=0", "page", "between 1 and 100000" },
        { "/api/v1/monitor/runs?page=abc", "page", "between 1 and 100000" },
        { "/api/v1/monitor/runs?page=99999999999999999999", "page", "between 1 and 100000" },
        { "/api/v1/monitor/runs?pageSize=0", "pageSize", "between 1 and 500" },
        { "/api/v1/monitor/runs?pageSize=501", "pageSize", "between 1 and 500" },
        { "/api/v1/monitor/runs?status=done", "status", "running, succeeded, failed, skipped" },
        { "/api/v1/monitor/runs?job=backup", "job", "pipeline-check, reconciliation, gap-repair, maintenance" },
        { "/api/v1/monitor/runs?job=x%27%3B%20DROP%20TABLE%20job_runs%3B--", "job", "pipeline-check, reconciliation, gap-repair, maintenance" },
        { "/api/v1/monitor/alerts?state=closed", "state", "open, resolved, all" },
        { "/api/v1/monitor/alerts?rule=cpu", "rule", "stale-symbol, consumer-lag" },
        { "/api/v1/monitor/alerts?page=-1", "page", "between 1 and 100000" },
        { "/api/v1/monitor/runs/1/mismatches?pageSize=100000", "pageSize", "between 1 and 500" },
    };

    [Theory]
    [MemberData(nameof(Rejected))]
    public async Task Bad_input_is_400_problem_details_that_name_the_parameter_and_what_it_accepts(string path, string parameter, string accepts)
    {
        using var response = await fixture.Monitor.Client.GetAsync(path, Cancellation);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancellation));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var message = Assert.Single(problem.RootElement.GetProperty("errors").GetProperty(parameter).EnumerateArray()).GetString();
        Assert.Contains(accepts, message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/v1/monitor/jobs/backup", "Unknown job")]
    [InlineData("/api/v1/monitor/runs/424242", "Unknown run")]
    [InlineData("/api/v1/monitor/runs/424242/mismatches", "Unknown run")]
    [InlineData("/api/v1/monitor/runs/latest", null)]
    [InlineData("/api/v1/monitor/nothing-here", null)]
    public async Task What_does_not_exist_is_404_problem_details(string path, string? title)
    {
        using var response = await fixture.Monitor.Client.GetAsync(path, Cancellation);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancellation));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        if (title is not null)
        {
            Assert.Equal(title, problem.RootElement.GetProperty("title").GetString());
        }
    }

    [Fact]
    public async Task The_jobs_are_listed_with_their_default_schedules_and_settings()
    {
        var jobs = await fixture.Monitor.GetJsonAsync("/api/v1/monitor/jobs");

        Assert.Equal(
            [
                "pipeline-check interval 00:01:00 RunOnce 00:00:50",
                "reconciliation cron */15 * * * * RunOnce 00:05:00",
                "gap-repair interval 00:05:00 RunOnce 00:01:00",
                "maintenance cron 5 * * * * RunOnce 00:30:00",
            ],
            jobs.EnumerateArray().Select(j =>
                $"{j.GetProperty("name")} {j.GetProperty("scheduleKind")} {j.GetProperty("schedule")} {j.GetProperty("catchUp")} {j.GetProperty("timeout")}"));
    }

    [Fact]
    public async Task The_openapi_document_describes_the_monitor_api_and_only_it()
    {
        var document = await fixture.Monitor.GetJsonAsync("/api/v1/monitor/openapi/monitor.json");
        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(
            [
                "/api/v1/monitor/alerts", "/api/v1/monitor/jobs", "/api/v1/monitor/jobs/{name}", "/api/v1/monitor/jobs/{name}/trigger",
                "/api/v1/monitor/runs", "/api/v1/monitor/runs/{id}", "/api/v1/monitor/runs/{id}/mismatches", "/api/v1/monitor/status",
            ],
            paths);
        var trigger = document.GetProperty("paths").GetProperty("/api/v1/monitor/jobs/{name}/trigger").GetProperty("post");
        Assert.Contains(trigger.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "X-Api-Key");
        Assert.True(trigger.GetProperty("responses").TryGetProperty("409", out _));
    }

    [Fact]
    public async Task Invalid_monitor_settings_fail_the_start_naming_each_key_and_value()
    {
        var database = await postgres.CreateDatabaseAsync(cancellationToken: Cancellation);
        var builder = MonitorHost.CreateBuilder(database, settings: new Dictionary<string, string?>
        {
            ["Monitor:ApiKey"] = "short",
            ["Monitor:Jobs:reconciliation:Schedule"] = "*/61 * * * *",
            ["Monitor:Jobs:maintenance:Timeout"] = "00:00:00",
            ["Monitor:Jobs:backup:Schedule"] = "00:05:00",
            ["Monitor:Pipeline:HeartbeatTimeout"] = "00:00:00",
            ["Monitor:Alerts:WebhookUrl"] = "ftp://alerts",
            ["Monitor:Alerts:StaleSymbol:RaiseAfter"] = "0",
            ["Monitor:Reconciliation:BaseUrl"] = "api.binance.com",
            ["Monitor:Maintenance:RawTradeRetentionDays"] = "0",
        });
        builder.AddMonitor();
        await using var app = builder.Build();

        var thrown = await Record.ExceptionAsync(() => app.StartAsync(Cancellation));

        // Each options section fails on its own; the host reports them together.
        Assert.NotNull(thrown);
        IEnumerable<Exception> errors = thrown is AggregateException all ? all.InnerExceptions : [thrown];
        var failures = errors
            .OfType<OptionsValidationException>()
            .SelectMany(e => e.Failures)
            .Order(StringComparer.Ordinal);
        string[] expected =
            [
                "Monitor: ApiKey must be at least 16 characters (or unset to disable triggering), got 5",
                "Monitor: Jobs:reconciliation:Schedule must be an interval such as 00:05:00 (at least 00:00:01) or a five-field cron expression such as */5 * * * * (UTC), got '*/61 * * * *': '*/61' in the minute field: the step after '/' must be a whole number from 1 to 59",
                "Monitor: Jobs:maintenance:Timeout must be between 00:00:01 and 1.00:00:00, got 00:00:00",
                "Monitor: Jobs:backup is not a job; the jobs are pipeline-check, reconciliation, gap-repair, maintenance",
                "Monitor:Pipeline:HeartbeatTimeout must be between 00:00:01 and 1.00:00:00, got 00:00:00",
                "Monitor:Alerts: WebhookUrl must be an absolute http:// or https:// URL, got 'ftp://alerts'",
                "Monitor:Alerts: StaleSymbol:RaiseAfter must be between 1 and 1000, got 0",
                "Monitor:Reconciliation: BaseUrl must be an absolute http:// or https:// URL, got 'api.binance.com'",
                "Monitor:Maintenance:RawTradeRetentionDays must be between 1 and 3650, got 0",
            ];
        Assert.True(expected.Order(StringComparer.Ordinal).SequenceEqual(failures), string.Join("\n", failures) + "\n" + thrown);
    }

    [Fact]
    public async Task The_monitor_composes_with_other_services_and_registers_everything_once()
    {
        var database = await postgres.CreateDatabaseAsync(cancellationToken: Cancellation);
        var builder = MonitorHost.CreateBuilder(database);
        builder.AddServiceDefaults();
        builder.AddCryptoDatabase();
        builder.AddMonitor();
        builder.AddMonitor();
        await using var app = builder.Build();

        var checks = app.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations.Select(r => r.Name).Order(StringComparer.Ordinal);
        Assert.Equal(["pipeline", "postgres", "self"], checks);
        Assert.Equal(4, app.Services.GetServices<Scheduling.IMonitorJob>().Count());
    }
}
