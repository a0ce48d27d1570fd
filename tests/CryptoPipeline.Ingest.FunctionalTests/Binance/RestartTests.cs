using System.Net.WebSockets;
using System.Text.Json;
using CryptoPipeline.Contracts;
using CryptoPipeline.FakeExchange.Binance;
using CryptoPipeline.Ingest.FunctionalTests.Infrastructure;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Ingest.FunctionalTests.Binance;

/// <summary>
/// A stop and a start of the service with its live spot feed on a fake Binance, while the market goes on trading: the
/// restarted feed continues after the last trade id Kafka acknowledged before the stop (<c>ingest_progress</c>, real
/// PostgreSQL), so the trades of the time in between arrive through the REST back-fill, within its limits.
/// </summary>
public sealed class RestartTests(PostgresFixture postgres)
{
    private const string Symbol = "BTCUSDT";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Trades_made_while_ingest_was_stopped_are_backfilled_after_the_restart_and_every_id_is_published_once()
    {
        await using var server = await FakeBinanceServer.StartAsync(FakeBinanceMarket.Spot, Recordings.SpotBtc2023);
        var recorded = server.Recording.Trades(Symbol).Select(t => t.Id).ToList();
        using var kafka = new IngestKafka();
        var settings = await IngestTestHost.SettingsAsync(postgres, kafka, IngestTestHost.BinanceSpot(server));
        var database = settings["ConnectionStrings:cryptodb"]!;

        await RunUntilStoppedAfterAsync(server, kafka, settings, recorded, stopAfter: 1000);
        Assert.Equal(recorded[999], await Db.ScalarAsync<long>(database, "SELECT last_trade_id FROM ingest_progress WHERE exchange = 'binance' AND symbol = $1", Symbol));
        await TradeWhileAwayAsync(server, recorded[1999]);

        using (var restarted = IngestTestHost.Build(settings))
        {
            await restarted.StartAsync(Cancellation);
            kafka.ReadExactly(Topics.RawTrades, recorded.Count);
            await GapsAsync(database, done: 1);
            await restarted.StopAsync(Cancellation);
        }

        // One symbol is one partition: Kafka holds the ids in the order they were published.
        var published = kafka.ReadToEnd(Topics.RawTrades).Select(IngestKafka.ParseTrade).ToList();
        Assert.Equal(recorded, published.Select(t => t.TradeId));
        Assert.All(published.Skip(1000).Take(1000), t => Assert.Equal(DataSource.Backfill, t.Source));
        Assert.Equal(
            [$"{recorded[1000]}..{recorded[1999]} filled 1000 trade ids after {recorded[999]}, the last one published before Ingest restarted"],
            await GapsAsync(database, done: 1));
        Assert.Equal(recorded[^1], await Db.ScalarAsync<long>(database, "SELECT last_trade_id FROM ingest_progress WHERE exchange = 'binance' AND symbol = $1", Symbol));
    }

    [Theory]
    [InlineData("MaxRestartBackfillTrades", "100", "1000 trades happened while Ingest was not running, more than Ingest:Binance:Spot:MaxRestartBackfillTrades (100)")]
    [InlineData("MaxRestartBackfillAge", "00:00:01", "longer than Ingest:Binance:Spot:MaxRestartBackfillAge (00:00:01)")]
    public async Task Trades_missed_beyond_the_restart_limits_are_recorded_as_an_unfillable_gap(string key, string value, string reason)
    {
        await using var server = await FakeBinanceServer.StartAsync(FakeBinanceMarket.Spot, Recordings.SpotBtc2023);
        var recorded = server.Recording.Trades(Symbol).Select(t => t.Id).ToList();
        using var kafka = new IngestKafka();
        var settings = await IngestTestHost.SettingsAsync(postgres, kafka, IngestTestHost.BinanceSpot(server));
        var database = settings["ConnectionStrings:cryptodb"]!;

        await RunUntilStoppedAfterAsync(server, kafka, settings, recorded, stopAfter: 1000);
        await TradeWhileAwayAsync(server, recorded[1999]);

        using (var restarted = IngestTestHost.Build(new(settings) { [$"Ingest:Binance:Spot:{key}"] = value }))
        {
            await restarted.StartAsync(Cancellation);
            kafka.ReadExactly(Topics.RawTrades, recorded.Count - 1000);
            await GapsAsync(database, done: 1);
            await restarted.StopAsync(Cancellation);
        }

        var published = kafka.ReadToEnd(Topics.RawTrades).Select(r => IngestKafka.ParseTrade(r).TradeId);
        Assert.Equal([.. recorded.Take(1000), .. recorded.Skip(2000)], published);
        var gap = Assert.Single(await GapsAsync(database, done: 1));
        Assert.StartsWith($"{recorded[1000]}..{recorded[1999]} unfillable ", gap, StringComparison.Ordinal);
        Assert.Contains(reason, gap, StringComparison.Ordinal);
    }

    /// <summary>Runs the service until the market has reached trade number <paramref name="stopAfter"/> (the market pauses there), then stops it.</summary>
    private static async Task RunUntilStoppedAfterAsync(FakeBinanceServer server, IngestKafka kafka, Dictionary<string, string?> settings, List<long> recorded, int stopAfter)
    {
        server.PauseAfter(Symbol, recorded[stopAfter - 1]);
        using var host = IngestTestHost.Build(settings);
        await host.StartAsync(Cancellation);
        kafka.ReadExactly(Topics.RawTrades, stopAfter);
        await host.StopAsync(Cancellation);
    }

    /// <summary>
    /// Moves the market on through trade <paramref name="throughId"/> with another client watching it, as the exchange
    /// trades on while Ingest is away, and leaves it open for the next connection.
    /// </summary>
    private static async Task TradeWhileAwayAsync(FakeBinanceServer server, long throughId)
    {
        server.PauseAfter(Symbol, throughId);
        using var watcher = new ClientWebSocket();
        await watcher.ConnectAsync(new Uri($"{server.WebSocketBaseUrl}/stream?streams={Symbol.ToLowerInvariant()}@trade"), Cancellation);
        server.Resume();
        var buffer = new byte[64 * 1024];
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        deadline.CancelAfter(Timeout);
        while (true)
        {
            var length = 0;
            ValueWebSocketReceiveResult received;
            do
            {
                received = await watcher.ReceiveAsync(buffer.AsMemory(length), deadline.Token);
                length += received.Count;
            }
            while (!received.EndOfMessage);

            using var frame = JsonDocument.Parse(buffer.AsMemory(0, length));
            if (frame.RootElement.GetProperty("data").GetProperty("t").GetInt64() >= throughId)
            {
                break;
            }
        }

        // Resumed only once nobody is connected, so that the market waits for the restarted service.
        watcher.Abort();
        await Eventually.Until(() => server.OpenConnections == 0, Timeout, "the watcher to be gone", Cancellation);
        server.Resume();
    }

    private static Task<Db.Rows> GapsAsync(string database, int done) =>
        Eventually.Until(
            () => Db.RowsAsync(database, "SELECT first_missing_id || '..' || last_missing_id || ' ' || status || ' ' || coalesce(detail, '') FROM ingestion_gaps ORDER BY first_missing_id"),
            rows => rows.Count(r => !r.Contains(" open ", StringComparison.Ordinal)) == done,
            Timeout,
            "the restart gap to be resolved",
            Cancellation);
}
