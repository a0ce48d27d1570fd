using CryptoPipeline.Contracts;
using CryptoPipeline.FakeExchange.Binance;
using CryptoPipeline.Ingest.Binance;
using CryptoPipeline.Ingest.FunctionalTests.Infrastructure;
using CryptoPipeline.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CryptoPipeline.Ingest.FunctionalTests.Binance;

/// <summary>
/// Gap repair at the Monitor's request (<c>ingestion_gap_repairs</c> + <c>NOTIFY ingestion_gap_repair</c>, the contract of
/// migration 0006), in a running service with its live spot feed on a fake Binance, real PostgreSQL and embedded Kafka.
/// The requested gaps are trade ids the socket never sent and the live feed never saw (the first ones of the recording),
/// so whatever of them reaches Kafka came from the repair.
/// </summary>
public sealed class GapRepairTests(PostgresFixture postgres)
{
    private const string Symbol = "BTCUSDT";
    private const string ListenQuery = "LISTEN " + BinanceGapRepair.NotifyChannel;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_notified_request_is_backfilled_once_and_filled_and_ids_rest_no_longer_serves_end_unfillable_also_after_the_listener_dropped()
    {
        await using var server = await FakeBinanceServer.StartAsync(FakeBinanceMarket.Spot, Recordings.SpotBtc2023);
        var recorded = server.Recording.Trades(Symbol).Select(t => t.Id).ToList();
        var first = recorded[0];
        server.Faults.SkipOnSocket(Symbol, first, first + 199);
        server.Faults.ForgetOnRest(Symbol, first + 99);
        using var kafka = new IngestKafka();

        // Polling far apart: within the test, only the notification can start the repair.
        var settings = await IngestTestHost.SettingsAsync(postgres, kafka, IngestTestHost.BinanceSpot(server, GapRepairSettings(pollInterval: "00:10:00")));
        var database = settings["ConnectionStrings:cryptodb"]!;
        using var host = IngestTestHost.Build(settings);
        await host.StartAsync(Cancellation);
        kafka.ReadExactly(Topics.RawTrades, recorded.Count - 200);

        // PostgreSQL drops the listening connection: the service connects and listens again.
        var listener = await ListenerAsync(database, previous: 0);
        await Db.ExecuteAsync(database, "SELECT pg_terminate_backend($1)", listener);
        await ListenerAsync(database, previous: listener);

        await RequestRepairAsync(database, notify: true, (first, first + 99), (first + 100, first + 199));
        var gaps = await GapsAsync(database, done: 2);
        await host.StopAsync(Cancellation);

        Assert.Equal(
            [
                $"{first}..{first + 99} unfillable /api/v3/historicalTrades did not serve ids {first}..{first + 99}",
                $"{first + 100}..{first + 199} filled",
            ],
            gaps);
        var published = kafka.ReadToEnd(Topics.RawTrades).Select(IngestKafka.ParseTrade).ToList();
        Assert.Equal(recorded.Skip(100), published.Select(t => t.TradeId).Order());
        Assert.All(published.Where(t => t.TradeId < first + 200), t => Assert.Equal(DataSource.Backfill, t.Source));
        Assert.Single(server.RestRequests, r => r.Contains($"fromId={first + 100}&", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Of_two_replicas_notified_together_one_repairs_the_gap()
    {
        await using var server = await FakeBinanceServer.StartAsync(FakeBinanceMarket.Spot, Recordings.SpotBtc2023);
        var recorded = server.Recording.Trades(Symbol).Select(t => t.Id).ToList();
        var first = recorded[0];
        server.Faults.SkipOnSocket(Symbol, first, first + 99);
        using var kafka = new IngestKafka();
        var settings = await IngestTestHost.SettingsAsync(postgres, kafka, IngestTestHost.BinanceSpot(server, GapRepairSettings(pollInterval: "00:10:00")));
        var database = settings["ConnectionStrings:cryptodb"]!;
        using var one = IngestTestHost.Build(settings);
        using var two = IngestTestHost.Build(settings);

        // The market waits until both are connected, so that both see all of it.
        server.Pause();
        await one.StartAsync(Cancellation);
        await two.StartAsync(Cancellation);
        await Eventually.Until(() => server.OpenConnections == 2, Timeout, "both replicas to connect", Cancellation);
        server.Resume();

        // Each replica runs the live feed, so every live trade is in Kafka twice.
        kafka.ReadExactly(Topics.RawTrades, 2 * (recorded.Count - 100));
        await Eventually.Until(
            () => Db.ScalarAsync<long>(database, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query = $1", ListenQuery),
            listeners => listeners == 2,
            Timeout,
            "both replicas to listen",
            Cancellation);

        await RequestRepairAsync(database, notify: true, (first, first + 99));
        var gaps = await GapsAsync(database, done: 1);
        await two.StopAsync(Cancellation);
        await one.StopAsync(Cancellation);

        Assert.Equal([$"{first}..{first + 99} filled"], gaps);
        var repaired = kafka.ReadToEnd(Topics.RawTrades).Select(r => IngestKafka.ParseTrade(r).TradeId).Where(id => id < first + 100).ToList();
        Assert.Equal(recorded.Take(100), repaired.Order());
        Assert.Single(server.RestRequests, r => r.Contains($"fromId={first}&", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_request_nobody_announced_is_found_by_polling()
    {
        await using var server = await FakeBinanceServer.StartAsync(FakeBinanceMarket.Spot, Recordings.SpotBtc2023);
        var recorded = server.Recording.Trades(Symbol).Select(t => t.Id).ToList();
        var first = recorded[0];
        server.Faults.SkipOnSocket(Symbol, first, first + 9);
        using var kafka = new IngestKafka();
        var settings = await IngestTestHost.SettingsAsync(postgres, kafka, IngestTestHost.BinanceSpot(server, GapRepairSettings(pollInterval: "00:00:01")));
        var database = settings["ConnectionStrings:cryptodb"]!;
        using var host = IngestTestHost.Build(settings);
        await host.StartAsync(Cancellation);
        kafka.ReadExactly(Topics.RawTrades, recorded.Count - 10);

        await RequestRepairAsync(database, notify: false, (first, first + 9));
        var gaps = await GapsAsync(database, done: 1);
        await host.StopAsync(Cancellation);

        Assert.Equal([$"{first}..{first + 9} filled"], gaps);
        Assert.Equal(recorded, kafka.ReadToEnd(Topics.RawTrades).Select(r => IngestKafka.ParseTrade(r).TradeId).Order());
    }

    [Theory]
    [InlineData("replay", false)]
    [InlineData("bitmex,coingecko", false)]
    [InlineData("binance", true)]
    [InlineData("binance-usdm", true)]
    public void Gap_repair_runs_only_beside_a_Binance_feed(string sources, bool expected)
    {
        using var host = IngestTestHost.Build(new()
        {
            ["Ingest:Sources"] = sources,
            ["Ingest:Replay:Path"] = "unused.gz",
            ["ConnectionStrings:kafka"] = "127.0.0.1:9",
            ["ConnectionStrings:cryptodb"] = "Host=127.0.0.1;Port=9;Database=unused",
        });

        Assert.Equal(expected ? 1 : 0, host.Services.GetServices<IHostedService>().OfType<BinanceGapRepair>().Count());
    }

    private static Dictionary<string, string?> GapRepairSettings(string pollInterval) => new()
    {
        ["Ingest:Binance:GapRepair:PollInterval"] = pollInterval,
        ["Ingest:Binance:GapRepair:ReconnectDelay"] = "00:00:00.100",
        ["Ingest:Binance:GapRepair:MaxReconnectDelay"] = "00:00:01",
    };

    /// <summary>The server process of the service's listening connection (another than <paramref name="previous"/>).</summary>
    private static Task<int> ListenerAsync(string database, int previous) =>
        Eventually.Until(
            () => Db.ScalarAsync<int>(database, "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = $1 AND pid <> $2", ListenQuery, previous),
            pid => pid != 0,
            Timeout,
            "the gap repair to listen",
            Cancellation);

    /// <summary>What the Monitor's gap-repair job does for gaps that stay open: a request each, announced on commit.</summary>
    private static async Task RequestRepairAsync(string database, bool notify, params (long First, long Last)[] gaps)
    {
        foreach (var (firstId, lastId) in gaps)
        {
            await Db.ExecuteAsync(
                database,
                """
                WITH gap AS (
                    INSERT INTO ingestion_gaps (exchange, symbol, first_missing_id, last_missing_id, detected_at, detail)
                    VALUES ('binance', $1, $2, $3, now() - interval '10 minutes', 'seen by an earlier run')
                    RETURNING id
                )
                INSERT INTO ingestion_gap_repairs (gap_id, first_requested_at, last_requested_at, requests)
                SELECT id, now(), now(), 1 FROM gap
                """,
                Symbol,
                firstId,
                lastId);
        }

        if (notify)
        {
            await Db.ExecuteAsync(database, "SELECT pg_notify($1, $2)", BinanceGapRepair.NotifyChannel, gaps.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Waits until <paramref name="done"/> gaps are no longer open and returns every gap as range, status and reason.</summary>
    private static Task<Db.Rows> GapsAsync(string database, int done) =>
        Eventually.Until(
            () => Db.RowsAsync(
                database,
                """
                SELECT first_missing_id || '..' || last_missing_id || ' ' || status
                       || CASE WHEN status = 'unfillable' THEN ' ' || detail ELSE '' END
                FROM ingestion_gaps ORDER BY first_missing_id
                """),
            rows => rows.Count(r => !r.EndsWith(" open", StringComparison.Ordinal)) == done,
            Timeout,
            "the requested gaps to be repaired",
            Cancellation);
}
