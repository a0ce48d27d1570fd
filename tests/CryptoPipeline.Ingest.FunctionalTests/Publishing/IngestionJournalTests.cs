using CryptoPipeline.Ingest.FunctionalTests.Infrastructure;
using CryptoPipeline.Ingest.Publishing;
using CryptoPipeline.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

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
            () => QueryAsync(database, "SELECT symbol || ' ' || first_missing_id || '-' || last_missing_id || ' ' || status || ' ' || coalesce(detail, '') || ' ' || (filled_at IS NOT NULL) FROM ingestion_gaps ORDER BY symbol, first_missing_id"),
            rows => rows.Count == 3 && rows[0].Contains("filled", StringComparison.Ordinal) && rows[1].Contains("unfillable", StringComparison.Ordinal) && rows[2].Contains("filled", StringComparison.Ordinal),
            Timeout,
            "the gaps to be written",
            Cancellation);
        var events = await Eventually.Until(
            () => QueryAsync(database, "SELECT exchange || ' ' || connection || ' ' || kind || ' ' || detail FROM ingestion_events ORDER BY id"),
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

    public void Dispose() => File.Delete(_emptyRecording);

    /// <summary>Rows that show themselves in a timeout message.</summary>
    private sealed class Rows : List<string>
    {
        public override string ToString() => "[" + string.Join(" | ", this) + "]";
    }

    private static async Task<Rows> QueryAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Cancellation);
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(Cancellation);
        var rows = new Rows();
        while (await reader.ReadAsync(Cancellation))
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }
}
