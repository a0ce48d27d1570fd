using System.Net;
using System.Text.Json;
using CryptoPipeline.Contracts;
using CryptoPipeline.FakeExchange.Binance;
using CryptoPipeline.Monitor.FunctionalTests.Infrastructure;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Monitor.FunctionalTests;

/// <summary>The pipeline check against a real embedded Kafka cluster and PostgreSQL: lag, heartbeat, freshness, /health.</summary>
public sealed class PipelineCheckTests(PostgresFixture postgres)
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    internal static Task SetPriceAsync(string database, string exchange, string symbol, DateTimeOffset updatedAt) => Db.ExecuteAsync(
        database,
        """
        INSERT INTO current_prices (exchange, symbol, last_price, last_trade_time, updated_at) VALUES ($1, $2, 100.5, $3, $3)
        ON CONFLICT (exchange, symbol) DO UPDATE SET last_trade_time = excluded.last_trade_time, updated_at = excluded.updated_at
        """,
        exchange,
        symbol,
        updatedAt);

    private static Task SetOffsetAsync(string database, string clusterId, int partition, long nextOffset, DateTimeOffset updatedAt) => Db.ExecuteAsync(
        database,
        """
        INSERT INTO consumer_offsets (cluster_id, consumer_group, topic, partition, next_offset, updated_at) VALUES ($1, 'processor', 'raw_trades', $2, $3, $4)
        ON CONFLICT (cluster_id, consumer_group, topic, partition) DO UPDATE SET next_offset = excluded.next_offset, updated_at = excluded.updated_at
        """,
        clusterId,
        partition,
        nextOffset,
        updatedAt);

    [Fact]
    public async Task The_check_measures_the_lag_of_a_lagging_consumer_group_per_partition_and_finds_the_stalled_symbol()
    {
        using var kafka = new PipelineKafka();
        kafka.Produce(Topics.RawTrades, 0, 10);
        kafka.Produce(Topics.RawTrades, 1, 5);
        kafka.Produce(Topics.DeadLetter(Topics.RawTrades), 2, 2);
        var clusterId = await kafka.ClusterIdAsync();
        var database = await postgres.CreateDatabaseAsync(cancellationToken: Cancellation);

        // The processor stopped ten minutes ago, 6 messages short on partition 0. A recent commit of the same group
        // on another Kafka cluster (before a cluster change) is no heartbeat of this one.
        await SetOffsetAsync(database, clusterId, 0, 4, T0.AddMinutes(-10));
        await SetOffsetAsync(database, clusterId, 1, 5, T0.AddMinutes(-10));
        await SetOffsetAsync(database, "an-older-cluster", 2, 0, T0);
        await SetPriceAsync(database, Exchanges.Binance, "BTCUSDT", T0.AddSeconds(-5));
        await SetPriceAsync(database, Exchanges.Binance, "ETHUSDT", T0.AddMinutes(-10));
        await SetPriceAsync(database, Exchanges.Bitmex, "XBTUSD", T0.AddDays(-3));

        await using var monitor = await MonitorHost.StartAsync(database, kafka.BootstrapServers, new Dictionary<string, string?>
        {
            ["Monitor:ApiKey"] = MonitorHost.ApiKey,
            ["Monitor:Jobs:pipeline-check:Enabled"] = "true",
        }, new ManualTimeProvider(T0));
        using var metrics = new MonitorMetrics(monitor.Telemetry.Meter);
        await Eventually.Until(() => Db.FinishedRunsAsync(database, "pipeline-check"), runs => runs.Count == 1, TimeSpan.FromSeconds(30), "the first check", Cancellation);

        var report = (await monitor.GetJsonAsync("/api/v1/monitor/status")).GetProperty("pipeline");
        Assert.Equal("unhealthy", report.GetProperty("status").GetString());
        Assert.Equal(clusterId, report.GetProperty("kafka").GetProperty("clusterId").GetString());
        Assert.Equal(
            [
                "prices/0 0..0 committed - lag 0", "prices/1 0..0 committed - lag 0", "prices/2 0..0 committed - lag 0",
                "quotes/0 0..0 committed - lag 0", "quotes/1 0..0 committed - lag 0", "quotes/2 0..0 committed - lag 0",
                "raw_trades/0 0..10 committed 4 lag 6", "raw_trades/1 0..5 committed 5 lag 0", "raw_trades/2 0..0 committed - lag 0",
            ],
            report.GetProperty("lag").EnumerateArray().Select(Lag).Order(StringComparer.Ordinal));
        var processor = report.GetProperty("processor");
        Assert.Equal("stalled", processor.GetProperty("state").GetString());
        Assert.Equal(6, processor.GetProperty("messagesWaiting").GetInt64());
        Assert.Equal(600, processor.GetProperty("sinceCommitSeconds").GetDouble());
        Assert.Equal(["raw_trades.dlq 2"], report.GetProperty("deadLetters").EnumerateArray().Where(d => d.GetProperty("messages").GetInt64() > 0)
            .Select(d => $"{d.GetProperty("topic")} {d.GetProperty("messages")}"));
        Assert.Equal(
            ["binance:BTCUSDT fresh 5", "binance:ETHUSDT stale 600", "bitmex:XBTUSD retired 259200"],
            report.GetProperty("freshness").EnumerateArray().Select(f =>
                $"{f.GetProperty("exchange")}:{f.GetProperty("symbol")} {f.GetProperty("state")} {f.GetProperty("ageSeconds").GetDouble()}"));

        var health = await HealthAsync(monitor);
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "Unhealthy"), (health.Status, health.Pipeline.Status));
        Assert.Contains("processor stalled: 6 messages wait", health.Pipeline.Description, StringComparison.Ordinal);
        Assert.Contains("1 of 2 instruments stale: binance:ETHUSDT (600 s)", health.Pipeline.Description, StringComparison.Ordinal);

        Assert.Contains("consumer_group=processor,partition=0,topic=raw_trades = 6", metrics.Observe("cryptopipeline.monitor.consumer_lag"));
        Assert.Equal(["exchange=binance,symbol=BTCUSDT = 5", "exchange=binance,symbol=ETHUSDT = 600"], metrics.Observe("cryptopipeline.monitor.freshness_seconds"));
        Assert.Equal(["consumer_group=processor = 0"], metrics.Observe("cryptopipeline.monitor.processor.up"));
        Assert.Contains("topic=raw_trades.dlq = 2", metrics.Observe("cryptopipeline.monitor.dead_letters"));

        // The processor catches up and the symbol trades again.
        await SetOffsetAsync(database, clusterId, 0, 10, T0);
        await SetPriceAsync(database, Exchanges.Binance, "ETHUSDT", T0);
        var run = await monitor.RunAsync("pipeline-check");

        Assert.Equal("pipeline healthy: all pipeline checks pass", run.GetProperty("message").GetString());
        health = await HealthAsync(monitor);
        Assert.Equal((HttpStatusCode.OK, "Healthy"), (health.Status, health.Pipeline.Status));
        Assert.Equal(["consumer_group=processor = 1"], metrics.Observe("cryptopipeline.monitor.processor.up"));
    }

    [Fact]
    public async Task Messages_on_a_cluster_without_commits_mean_starting_for_one_heartbeat_timeout_then_stalled()
    {
        using var kafka = new PipelineKafka();
        kafka.Produce(Topics.RawTrades, 0, 3);
        var database = await postgres.CreateDatabaseAsync(cancellationToken: Cancellation);
        var time = new ManualTimeProvider(T0);
        await using var monitor = await MonitorHost.StartAsync(database, kafka.BootstrapServers, new Dictionary<string, string?>
        {
            ["Monitor:ApiKey"] = MonitorHost.ApiKey,
            ["Monitor:Pipeline:HeartbeatTimeout"] = "00:01:00",
        }, time);

        // A fresh start: the processor has not committed its first batch on this cluster yet.
        await monitor.RunAsync("pipeline-check");
        var processor = (await monitor.GetJsonAsync("/api/v1/monitor/status")).GetProperty("pipeline").GetProperty("processor");
        Assert.Equal("starting", processor.GetProperty("state").GetString());
        Assert.DoesNotContain("processor", (await HealthAsync(monitor)).Pipeline.Description, StringComparison.Ordinal);

        // Still nothing committed a heartbeat timeout later: that is a stalled processor.
        time.Advance(TimeSpan.FromSeconds(61));
        await monitor.RunAsync("pipeline-check");
        processor = (await monitor.GetJsonAsync("/api/v1/monitor/status")).GetProperty("pipeline").GetProperty("processor");
        Assert.Equal("stalled", processor.GetProperty("state").GetString());
        Assert.Contains("processor stalled: 3 messages wait and no commit on this cluster yet", (await HealthAsync(monitor)).Pipeline.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_kafka_makes_the_pipeline_unhealthy_without_failing_the_check()
    {
        var database = await postgres.CreateDatabaseAsync(cancellationToken: Cancellation);
        await using var monitor = await MonitorHost.StartAsync(database, "127.0.0.1:9", new Dictionary<string, string?>
        {
            ["Monitor:ApiKey"] = MonitorHost.ApiKey,
            ["Monitor:Pipeline:KafkaTimeout"] = "00:00:01",
        }, new ManualTimeProvider(T0));

        var run = await monitor.RunAsync("pipeline-check");

        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        Assert.StartsWith("pipeline unhealthy: Kafka unreachable:", run.GetProperty("message").GetString(), StringComparison.Ordinal);
        var health = await HealthAsync(monitor);
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "Unhealthy"), (health.Status, health.Pipeline.Status));
    }

    private static string Lag(JsonElement lag) =>
        $"{lag.GetProperty("topic")}/{lag.GetProperty("partition")} {lag.GetProperty("lowWatermark")}..{lag.GetProperty("highWatermark")} " +
        $"committed {(lag.GetProperty("committedOffset").ValueKind == JsonValueKind.Null ? "-" : lag.GetProperty("committedOffset").ToString())} lag {lag.GetProperty("lag")}";

    internal static async Task<(HttpStatusCode Status, (string Status, string Description) Pipeline)> HealthAsync(MonitorHost monitor)
    {
        using var response = await monitor.Client.GetAsync("/health", Cancellation);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancellation));
        var pipeline = json.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "pipeline");
        return (response.StatusCode, (pipeline.GetProperty("status").GetString()!, pipeline.GetProperty("description").GetString()!));
    }
}
