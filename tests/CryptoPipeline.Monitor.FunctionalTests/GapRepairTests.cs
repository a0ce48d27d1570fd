using CryptoPipeline.FakeExchange.Binance;
using CryptoPipeline.Monitor.FunctionalTests.Infrastructure;
using CryptoPipeline.Testing;
using Npgsql;

namespace CryptoPipeline.Monitor.FunctionalTests;

/// <summary>Gap repair: requests to Ingest for gaps that stay open (the ingestion_gap_repairs contract) and the gap-open alert.</summary>
public sealed class GapRepairTests(PostgresFixture postgres)
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Gaps_that_stay_open_are_requested_from_ingest_again_each_retry_interval_and_alerted_until_filled()
    {
        var database = await postgres.CreateDatabaseAsync(cancellationToken: Cancellation);
        await Db.ExecuteAsync(
            database,
            """
            INSERT INTO ingestion_gaps (exchange, symbol, first_missing_id, last_missing_id, detected_at, status, filled_at) VALUES
                ('binance', 'BTCUSDT', 100, 109, $1, 'open', NULL),
                ('binance', 'ETHUSDT', 500, 500, $2, 'open', NULL),
                ('binance', 'BTCUSDT', 50, 59, $1, 'filled', $2)
            """,
            T0.AddMinutes(-30),
            T0.AddSeconds(-30));
        var clock = new ManualTimeProvider(T0);
        await using var monitor = await MonitorHost.StartAsync(database, settings: new Dictionary<string, string?>
        {
            ["Monitor:ApiKey"] = MonitorHost.ApiKey,
            ["Monitor:GapRepair:RequestAfter"] = "00:02:00",
            ["Monitor:GapRepair:RetryEvery"] = "00:10:00",
            ["Monitor:GapRepair:MaxRequests"] = "2",
            ["Monitor:Alerts:GapOpen:OpenFor"] = "00:15:00",
        }, time: clock);
        await using var listener = new NpgsqlConnection(database);
        await listener.OpenAsync(Cancellation);
        var notifications = new List<string>();
        listener.Notification += (_, e) => notifications.Add($"{e.Channel} {e.Payload}");
        await using (var listen = new NpgsqlCommand("LISTEN ingestion_gap_repair", listener))
        {
            await listen.ExecuteNonQueryAsync(Cancellation);
        }

        const string Repairs = "SELECT g.symbol, r.requests, r.first_requested_at, r.last_requested_at FROM ingestion_gap_repairs r JOIN ingestion_gaps g ON g.id = r.gap_id ORDER BY g.id";
        await monitor.RunAsync("gap-repair");
        await listener.WaitAsync(Cancellation);
        Assert.Equal(["ingestion_gap_repair 1"], notifications);
        Assert.Equal(["BTCUSDT 1 2030-01-01T12:00:00Z 2030-01-01T12:00:00Z"], await Db.RowsAsync(database, Repairs));
        Assert.Equal(["gap-open binance:BTCUSDT open"], await Db.RowsAsync(database, "SELECT rule, subject, state FROM alerts"));

        // Five minutes on: too early to ask again, ETHUSDT's gap is now old enough to ask for the first time.
        clock.Advance(TimeSpan.FromMinutes(5));
        await monitor.RunAsync("gap-repair");
        Assert.Equal(
            ["BTCUSDT 1 2030-01-01T12:00:00Z 2030-01-01T12:00:00Z", "ETHUSDT 1 2030-01-01T12:05:00Z 2030-01-01T12:05:00Z"],
            await Db.RowsAsync(database, Repairs));

        // Ten more: both are asked a second and last time (MaxRequests 2); ten more, and neither is asked again.
        clock.Advance(TimeSpan.FromMinutes(10));
        await monitor.RunAsync("gap-repair");
        clock.Advance(TimeSpan.FromMinutes(10));
        var run = await monitor.RunAsync("gap-repair");
        Assert.Equal(
            ["BTCUSDT 2 2030-01-01T12:00:00Z 2030-01-01T12:15:00Z", "ETHUSDT 2 2030-01-01T12:05:00Z 2030-01-01T12:15:00Z"],
            await Db.RowsAsync(database, Repairs));
        Assert.Contains("2 no longer requested (Monitor:GapRepair:MaxRequests 2)", run.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(
            ["gap-open binance:BTCUSDT open", "gap-open binance:ETHUSDT open"],
            await Db.RowsAsync(database, "SELECT rule, subject, state FROM alerts ORDER BY subject"));

        // Ingest fills BTCUSDT's gap: its alert resolves at the next run.
        await Db.ExecuteAsync(database, "UPDATE ingestion_gaps SET status = 'filled', filled_at = $1 WHERE symbol = 'BTCUSDT' AND status = 'open'", T0.AddMinutes(26));
        await monitor.RunAsync("gap-repair");
        Assert.Equal(
            ["gap-open binance:BTCUSDT resolved", "gap-open binance:ETHUSDT open"],
            await Db.RowsAsync(database, "SELECT rule, subject, state FROM alerts ORDER BY subject"));
    }
}
