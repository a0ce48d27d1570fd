using CryptoPipeline.Contracts;
using CryptoPipeline.FakeExchange.Binance;
using CryptoPipeline.Monitor.FunctionalTests.Infrastructure;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Monitor.FunctionalTests;

/// <summary>Maintenance: hourly rollups catch-up, raw trade partitions ahead and retention, history retention.</summary>
public sealed class MaintenanceTests(PostgresFixture postgres)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Maintenance_rolls_up_missing_hours_keeps_partitions_ahead_and_drops_what_is_past_retention()
    {
        var database = await postgres.CreateDatabaseAsync(cancellationToken: Cancellation);

        // 90 final minutes from 00:00 (two hours, the second one partial) with no hourly rows yet.
        await ReconciliationTests.InsertCandlesAsync(database, Exchanges.Binance, "binance/spot-klines/BTCUSDT-1m-2020-01-01.csv", 90);
        var now = new DateTimeOffset(2020, 1, 3, 0, 5, 0, TimeSpan.Zero);

        // A raw trade partition 40 days old, an old finished run and an old resolved alert.
        await Db.ExecuteAsync(database, "SELECT ensure_trade_partitions('2019-11-24', 1)");
        await Db.ExecuteAsync(database, "INSERT INTO job_runs (job_name, started_at, finished_at, status) VALUES ('gap-repair', $1, $1, 'succeeded')", now.AddDays(-31));
        await Db.ExecuteAsync(
            database,
            "INSERT INTO alerts (rule, subject, severity, state, raised_at, resolved_at) VALUES ('stale-symbol', 'binance:BTCUSDT', 'warning', 'resolved', $1, $1)",
            now.AddDays(-31));
        await using var monitor = await MonitorHost.StartAsync(database, settings: new Dictionary<string, string?>
        {
            ["Monitor:ApiKey"] = MonitorHost.ApiKey,
            ["Monitor:Maintenance:RollupLookback"] = "7.00:00:00",
            ["Monitor:Maintenance:PartitionDaysAhead"] = "2",
            ["Monitor:Maintenance:RawTradeRetentionDays"] = "30",
            ["Monitor:Maintenance:HistoryRetentionDays"] = "30",
        }, time: new ManualTimeProvider(now));

        var run = await monitor.RunAsync("maintenance");

        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        Assert.Equal(
            "rolled up 2 hour(s); created 3 raw trade partition(s); dropped 1 raw trade partition(s) older than 30 days; " +
            "deleted 1 job run(s), 1 resolved alert(s) and 0 gap repair request(s) older than 30 days",
            run.GetProperty("message").GetString());
        Assert.Equal(
            [
                "2020-01-01T00:00:00Z 7195.24000000 60 true",
                "2020-01-01T01:00:00Z 7176.47000000 30 true",
            ],
            await Db.RowsAsync(database, "SELECT window_start, open, (SELECT count(*) FROM trades_1min_agg m WHERE date_trunc('hour', m.window_start, 'UTC') = h.window_start), is_final FROM trades_1h_agg h ORDER BY window_start"));
        Assert.Equal(
            ["trades_p20200103", "trades_p20200104", "trades_p20200105"],
            await Db.RowsAsync(database, "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'trades'::regclass ORDER BY 1"));
        Assert.Equal(0L, await Db.ScalarAsync<long>(database, "SELECT count(*) FROM alerts"));

        // Nothing changed since: the next run rolls up nothing.
        var again = await monitor.RunAsync("maintenance");
        Assert.Equal(0, again.GetProperty("metrics").GetProperty("hoursRolledUp").GetInt32());
    }
}
