using CryptoPipeline.Ingest.FunctionalTests.Infrastructure;
using CryptoPipeline.Ingest.Publishing;
using CryptoPipeline.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CryptoPipeline.Ingest.FunctionalTests.Publishing;

/// <summary>The ingestion journal of a running service, writing to a real PostgreSQL database.</summary>
public sealed class IngestionJournalTests(PostgresFixture postgres) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _emptyRecording = Path.GetTempFileName();

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Gaps_are_recorded_once_however_often_reported_and_their_state_only_moves_forward()
    {
        using var kafka = new IngestKafka();
        var settings = await IngestTestHost.SettingsAsync(postgres, kafka, new() { ["Ingest:Sources"] = "replay", ["Ingest:Replay:Path"] = _emptyRecording });
        using var host = IngestTestHost.Build(settings);
        await host.StartAsync(Cancellation);
        var journal = host.Services.GetRequiredService<IIngestionJournal>();
        var database = settings["ConnectionStrings:cryptodb"]!;

        // Two overlapping connections report the same gap; another gap is filled before anyone saw it open.
        await journal.RecordGapAsync("binance", "BTCUSDT", 100, 120, "seen on shard 1", Cancellation);
        await journal.RecordGapAsync("binance", "BTCUSDT", 100, 120, "seen on shard 2", Cancellation);
        await journal.MarkGapFilledAsync("binance", "ETHUSDT", 7, 7, Cancellation);
        await journal.RecordGapAsync("binance", "BTCUSDT", 500, 900, null, Cancellation);
        await journal.MarkGapUnfillableAsync("binance", "BTCUSDT", 500, 900, "wider than Ingest:Binance:Spot:MaxBackfillTrades", Cancellation);
        await journal.MarkGapFilledAsync("binance", "BTCUSDT", 100, 120, Cancellation);
        await journal.MarkGapUnfillableAsync("binance", "BTCUSDT", 100, 120, "too late: filled already", Cancellation);
        await journal.RecordEventAsync("bitmex", "bitmex-1", "connected", "ws://127.0.0.1/realtime", Cancellation);
        await journal.RecordEventAsync("bitmex", "bitmex-1", "disconnected", "no data for 10 s", Cancellation);

        var gaps = await Eventually.Until(
            () => Db.RowsAsync(database, "SELECT symbol || ' ' || first_missing_id || '-' || last_missing_id || ' ' || status || ' ' || coalesce(detail, '') || ' ' || (filled_at IS NOT NULL) FROM ingestion_gaps ORDER BY symbol, first_missing_id"),
            rows => rows.Count == 3 && rows[0].Contains("filled", StringComparison.Ordinal) && rows[1].Contains("unfillable", StringComparison.Ordinal) && rows[2].Contains("filled", StringComparison.Ordinal),
            Timeout,
            "the gaps to be written",
            Cancellation);
        var events = await Eventually.Until(
            () => Db.RowsAsync(database, "SELECT exchange || ' ' || connection || ' ' || kind || ' ' || detail FROM ingestion_events ORDER BY id"),
            rows => rows.Count == 2,
            Timeout,
            "the events to be written",
            Cancellation);
        await host.StopAsync(Cancellation);

        Assert.Equal(
            [
                "BTCUSDT 100-120 filled seen on shard 1 true",
                "BTCUSDT 500-900 unfillable wider than Ingest:Binance:Spot:MaxBackfillTrades false",
                "ETHUSDT 7-7 filled  true",
            ],
            gaps);
        Assert.Equal(["bitmex bitmex-1 connected ws://127.0.0.1/realtime", "bitmex bitmex-1 disconnected no data for 10 s"], events);
    }

    [Fact]
    public async Task A_host_stopped_right_after_it_started_has_written_every_entry_queued_before_the_stop_returns()
    {
        const int Hosts = 8;
        const int EntriesPerHost = 100;
        using var kafka = new IngestKafka();
        var settings = await IngestTestHost.SettingsAsync(postgres, kafka, new() { ["Ingest:Sources"] = "replay", ["Ingest:Replay:Path"] = _emptyRecording });
        var database = settings["ConnectionStrings:cryptodb"]!;
        for (var run = 1; run <= Hosts; run++)
        {
            using var host = IngestTestHost.Build(settings);
            var journal = host.Services.GetRequiredService<IIngestionJournal>();

            // Half reported before the host starts, half while it starts: a feed reports as soon as it runs.
            for (var entry = 0; entry < EntriesPerHost / 2; entry++)
            {
                await journal.RecordEventAsync("binance", $"run-{run}", "connected", $"entry {entry}", Cancellation);
            }

            await host.StartAsync(Cancellation);
            for (var entry = EntriesPerHost / 2; entry < EntriesPerHost; entry++)
            {
                await journal.RecordEventAsync("binance", $"run-{run}", "connected", $"entry {entry}", Cancellation);
            }

            await host.StopAsync(Cancellation);

            Assert.Equal(
                [$"run-{run} {EntriesPerHost}"],
                await Db.RowsAsync(database, "SELECT connection || ' ' || count(*) FROM ingestion_events WHERE connection = $1 GROUP BY connection", $"run-{run}"));
        }
    }

    public void Dispose() => File.Delete(_emptyRecording);
}
