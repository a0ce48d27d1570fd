using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CryptoPipeline.Monitor.FunctionalTests.Infrastructure;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Monitor.FunctionalTests;

/// <summary>POST /api/v1/monitor/jobs/{name}/trigger: only with the configured key, never open without one.</summary>
public sealed class TriggerTests(PostgresFixture postgres)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_trigger_with_the_configured_key_starts_a_run_and_answers_202_with_its_location()
    {
        var database = await postgres.CreateDatabaseAsync(cancellationToken: Cancellation);
        await using var monitor = await MonitorHost.StartAsync(database, settings: new Dictionary<string, string?> { ["Monitor:ApiKey"] = MonitorHost.ApiKey });

        using var response = await monitor.TriggerAsync("gap-repair");
        var accepted = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var runId = accepted.GetProperty("runId").GetInt64();
        Assert.Equal($"/api/v1/monitor/runs/{runId}", response.Headers.Location?.ToString());
        var run = await Eventually.Until(
            () => monitor.GetJsonAsync($"/api/v1/monitor/runs/{runId}"),
            r => r.GetProperty("status").GetString() != "running",
            TimeSpan.FromSeconds(30),
            "the triggered run to finish",
            Cancellation);
        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        Assert.Equal("gap-repair", run.GetProperty("job").GetString());
        Assert.Equal(0, run.GetProperty("metrics").GetProperty("openGaps").GetInt32());

        // A disabled schedule does not stop a run by hand, and the job's view shows the run.
        var job = await monitor.GetJsonAsync("/api/v1/monitor/jobs/gap-repair");
        Assert.False(job.GetProperty("enabled").GetBoolean());
        Assert.Equal(runId, job.GetProperty("lastRun").GetProperty("id").GetInt64());
    }

    [Theory]
    [InlineData(null, "API key missing")]
    [InlineData("not-the-key-0123456789", "API key invalid")]
    [InlineData("", "API key invalid")]
    public async Task A_trigger_without_the_right_key_is_401_and_starts_nothing(string? key, string title)
    {
        var database = await postgres.CreateDatabaseAsync(cancellationToken: Cancellation);
        await using var monitor = await MonitorHost.StartAsync(database, settings: new Dictionary<string, string?> { ["Monitor:ApiKey"] = MonitorHost.ApiKey });

        using var response = await monitor.TriggerAsync("gap-repair", key);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(title, problem.GetProperty("title").GetString());
        Assert.Contains("X-Api-Key", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("ApiKey header=\"X-Api-Key\"", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal(0L, await Db.ScalarAsync<long>(database, "SELECT count(*) FROM job_runs"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(MonitorHost.ApiKey)]
    public async Task Without_a_configured_key_triggering_is_403_whatever_key_is_sent(string? key)
    {
        var database = await postgres.CreateDatabaseAsync(cancellationToken: Cancellation);
        await using var monitor = await MonitorHost.StartAsync(database);

        using var response = await monitor.TriggerAsync("gap-repair", key);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("Triggering is disabled", problem.GetProperty("title").GetString());
        Assert.Contains("Monitor:ApiKey", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0L, await Db.ScalarAsync<long>(database, "SELECT count(*) FROM job_runs"));
    }

    [Fact]
    public async Task Triggering_an_unknown_job_is_404_naming_the_jobs()
    {
        var database = await postgres.CreateDatabaseAsync(cancellationToken: Cancellation);
        await using var monitor = await MonitorHost.StartAsync(database, settings: new Dictionary<string, string?> { ["Monitor:ApiKey"] = MonitorHost.ApiKey });

        using var response = await monitor.TriggerAsync("backup");
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(
            "There is no job 'backup'; the jobs are pipeline-check, reconciliation, gap-repair, maintenance.",
            problem.GetProperty("detail").GetString());
    }
}
