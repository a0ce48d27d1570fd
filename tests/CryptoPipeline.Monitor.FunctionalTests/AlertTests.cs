using System.Collections.Concurrent;
using System.Text.Json;
using CryptoPipeline.Contracts;
using CryptoPipeline.FakeExchange;
using CryptoPipeline.FakeExchange.Binance;
using CryptoPipeline.Monitor.FunctionalTests.Infrastructure;
using CryptoPipeline.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CryptoPipeline.Monitor.FunctionalTests;

/// <summary>Alert rules: hysteresis, events in the alerts table, job failures, and the webhook with its retries.</summary>
public sealed class AlertTests(PostgresFixture postgres)
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_stale_symbol_alert_raises_after_n_bad_checks_and_resolves_after_m_good_ones_without_storming_while_it_flaps()
    {
        using var kafka = new PipelineKafka();
        var database = await postgres.CreateDatabaseAsync(cancellationToken: Cancellation);
        var clock = new ManualTimeProvider(T0);
        await using var monitor = await MonitorHost.StartAsync(database, kafka.BootstrapServers, new Dictionary<string, string?>
        {
            ["Monitor:ApiKey"] = MonitorHost.ApiKey,
            ["Monitor:Alerts:StaleSymbol:StaleAfter"] = "00:02:00",
            ["Monitor:Alerts:StaleSymbol:RaiseAfter"] = "2",
            ["Monitor:Alerts:StaleSymbol:ResolveAfter"] = "2",
        }, clock);

        // One check a minute; the symbol's last write is either 10 minutes old (stale) or fresh.
        bool[] stale = [true, false, true, false, true, true, false, true, false, false];
        var alerts = new List<string>();
        for (var check = 0; check < stale.Length; check++)
        {
            var now = T0.AddMinutes(check);
            await PipelineCheckTests.SetPriceAsync(database, Exchanges.Binance, "ETHUSDT", stale[check] ? now.AddMinutes(-10) : now);
            await monitor.RunAsync("pipeline-check");
            alerts.Add(string.Join(" | ", await Db.RowsAsync(database, "SELECT rule, subject, state, raised_at, resolved_at FROM alerts ORDER BY id")));
            clock.Advance(TimeSpan.FromMinutes(1));
        }

        const string Open = "stale-symbol binance:ETHUSDT open 2030-01-01T12:05:00Z null";
        const string Resolved = "stale-symbol binance:ETHUSDT resolved 2030-01-01T12:05:00Z 2030-01-01T12:09:00Z";
        Assert.Equal(["", "", "", "", "", Open, Open, Open, Open, Resolved], alerts);

        var history = await monitor.GetJsonAsync("/api/v1/monitor/alerts?state=all&rule=stale-symbol");
        var alert = Assert.Single(history.GetProperty("alerts").EnumerateArray());
        Assert.Equal("warning", alert.GetProperty("severity").GetString());
        // The alert keeps what its latest bad check saw: check 8, one bad check after a good one.
        Assert.Equal("binance:ETHUSDT last written 600 s ago", alert.GetProperty("detail").GetProperty("summary").GetString());
        Assert.Equal(1, alert.GetProperty("detail").GetProperty("badChecks").GetInt32());
        Assert.Equal(0, (await monitor.GetJsonAsync("/api/v1/monitor/alerts")).GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task A_failed_run_raises_the_job_failed_alert_and_the_next_good_run_resolves_it()
    {
        await using var exchange = await FakeBinanceServer.StartAsync(new FakeBinanceServerOptions { Market = FakeBinanceMarket.Spot, Recordings = [] });
        var database = await postgres.CreateDatabaseAsync(cancellationToken: Cancellation);
        var clock = new ManualTimeProvider(new DateTimeOffset(2020, 1, 1, 0, 32, 0, TimeSpan.Zero));
        await ReconciliationTests.InsertCandlesAsync(database, Exchanges.Binance, "binance/spot-klines/BTCUSDT-1m-2020-01-01.csv", 30);
        await using var monitor = await MonitorHost.StartAsync(database, settings: new Dictionary<string, string?>
        {
            ["Monitor:ApiKey"] = MonitorHost.ApiKey,
            ["Monitor:Reconciliation:BaseUrl"] = exchange.RestBaseUrl,
        }, time: clock);

        exchange.Faults.RejectRestRequests(1, TimeSpan.FromSeconds(30), status: 418);
        var failed = await monitor.RunAsync("reconciliation");
        var open = await Db.RowsAsync(database, "SELECT rule, subject, state, severity FROM alerts");
        var succeeded = await monitor.RunAsync("reconciliation");

        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Contains("could not reconcile 1 of 1 instrument(s): binance:BTCUSDT: GET http://127.0.0.1:", failed.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("answered 418", failed.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(["job-failed reconciliation open warning"], open);
        Assert.Equal("succeeded", succeeded.GetProperty("status").GetString());
        Assert.Equal(["job-failed reconciliation resolved"], await Db.RowsAsync(database, "SELECT rule, subject, state FROM alerts"));
    }

    [Fact]
    public async Task The_webhook_gets_each_alert_event_and_retries_until_the_receiver_accepts_it()
    {
        var received = new ConcurrentQueue<(int Status, string Body)>();
        var failuresLeft = 2;
        var (receiver, port) = await LoopbackServer.StartAsync(app => app.MapPost("/alerts", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            var status = Interlocked.Decrement(ref failuresLeft) >= 0 ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status202Accepted;
            received.Enqueue((status, body));
            context.Response.StatusCode = status;
        }));
        await using var _ = receiver;
        await using var monitor = await StartStaleSymbolMonitorAsync($"http://127.0.0.1:{port}/alerts", maxAttempts: 5);
        using var metrics = new MonitorMetrics(monitor.Telemetry.Meter);

        await monitor.RunAsync("pipeline-check");

        await Eventually.Until(() => Task.FromResult(metrics.Sum("cryptopipeline.monitor.webhook.deliveries", "outcome", "delivered")), n => n == 1, Timeout, "the webhook delivery", Cancellation);
        Assert.Equal([503, 503, 202], received.Select(r => r.Status));
        Assert.Single(received.Select(r => r.Body).Distinct());
        using var payload = JsonDocument.Parse(received.First().Body);
        Assert.Equal("raised", payload.RootElement.GetProperty("event").GetString());
        Assert.Equal("stale-symbol", payload.RootElement.GetProperty("rule").GetString());
        Assert.Equal("binance:ETHUSDT", payload.RootElement.GetProperty("subject").GetString());
        Assert.Equal("warning", payload.RootElement.GetProperty("severity").GetString());
        Assert.StartsWith("[WARNING] stale-symbol binance:ETHUSDT raised: binance:ETHUSDT last written", payload.RootElement.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal(await Db.ScalarAsync<long>(monitor.Database, "SELECT id FROM alerts"), payload.RootElement.GetProperty("alertId").GetInt64());
    }

    [Fact]
    public async Task The_webhook_gives_up_after_the_configured_attempts()
    {
        var attempts = 0;
        var (receiver, port) = await LoopbackServer.StartAsync(app => app.MapPost("/alerts", (HttpContext context) =>
        {
            Interlocked.Increment(ref attempts);
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
        }));
        await using var _ = receiver;
        await using var monitor = await StartStaleSymbolMonitorAsync($"http://127.0.0.1:{port}/alerts", maxAttempts: 3);
        using var metrics = new MonitorMetrics(monitor.Telemetry.Meter);

        await monitor.RunAsync("pipeline-check");

        await Eventually.Until(() => Task.FromResult(metrics.Sum("cryptopipeline.monitor.webhook.deliveries", "outcome", "failed")), n => n == 1, Timeout, "the webhook to give up", Cancellation);
        Assert.Equal(3, Volatile.Read(ref attempts));
        Assert.Equal(0, metrics.Sum("cryptopipeline.monitor.webhook.deliveries", "outcome", "delivered"));
    }

    /// <summary>A monitor on the real clock whose stale-symbol rule raises at the first bad check, with one stale symbol.</summary>
    private async Task<StaleSymbolMonitor> StartStaleSymbolMonitorAsync(string webhook, int maxAttempts)
    {
        var kafka = new PipelineKafka();
        var database = await postgres.CreateDatabaseAsync(cancellationToken: Cancellation);
        await PipelineCheckTests.SetPriceAsync(database, Exchanges.Binance, "ETHUSDT", DateTimeOffset.UtcNow.AddMinutes(-10));
        var host = await MonitorHost.StartAsync(database, kafka.BootstrapServers, new Dictionary<string, string?>
        {
            ["Monitor:ApiKey"] = MonitorHost.ApiKey,
            ["Monitor:Alerts:StaleSymbol:RaiseAfter"] = "1",
            ["Monitor:Alerts:WebhookUrl"] = webhook,
            ["Monitor:Alerts:WebhookMaxAttempts"] = maxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Monitor:Alerts:WebhookFirstRetryDelay"] = "00:00:00.020",
        });
        return new StaleSymbolMonitor(host, kafka, database);
    }

    private sealed class StaleSymbolMonitor(MonitorHost host, PipelineKafka kafka, string database) : IAsyncDisposable
    {
        public string Database => database;

        public MonitorTelemetry Telemetry => host.Telemetry;

        public Task<JsonElement> RunAsync(string job) => host.RunAsync(job);

        public async ValueTask DisposeAsync()
        {
            await host.DisposeAsync();
            kafka.Dispose();
        }
    }
}
