using System.Globalization;
using System.IO.Compression;
using CryptoPipeline.Contracts;
using CryptoPipeline.FakeExchange.Binance;
using CryptoPipeline.Ingest.FunctionalTests.Infrastructure;
using CryptoPipeline.Ingest.Replay;
using CryptoPipeline.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CryptoPipeline.Ingest.FunctionalTests.Replay;

/// <summary>data.binance.vision trade CSVs replayed into an embedded Kafka cluster.</summary>
public sealed class TradeCsvReplayTests(PostgresFixture postgres) : IDisposable
{
    private const string CsvPath = "binance/spot-trades-csv/BTCUSDT-trades-2025-01-01.rows4359938008-4359939300.csv";
    private const long FirstId = 4359938008;
    private const long LastId = 4359939300;
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    private readonly string _folder = Directory.CreateTempSubdirectory("ingest-csv-").FullName;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Microsecond_archive_without_header_replays_every_row_with_its_microsecond_time()
    {
        using var kafka = new IngestKafka();
        using var host = await IngestTestHost.StartAsync(postgres, kafka, new()
        {
            ["Ingest:Sources"] = "replay",
            ["Ingest:Replay:Path"] = SharedData.Path(CsvPath),
        });

        await host.Services.GetRequiredService<ReplayCompletion>().Completion.WaitAsync(Timeout, Cancellation);
        var trades = kafka.ReadUntilEndOfInput(Topics.RawTrades);
        await host.StopAsync(Cancellation);

        RecordedFeedReplayTests.AssertContiguousPerKey(trades, new() { ["binance:BTCUSDT"] = (FirstId, LastId) });
        var first = IngestKafka.ParseTrade(trades.MinBy(t => t.Offset.Value)!);
        Assert.Equal(UnixMicroseconds.ToDateTimeOffset(1735689659419631), first.TradeTime);
        Assert.Equal(93610.92000000m, first.Price);
        Assert.Equal("93610.92000000", DecimalText.ToText(first.Price));
        Assert.True(first.IsBuyerMaker);
    }

    [Fact]
    public async Task Gzipped_millisecond_archive_with_a_header_replays_every_row()
    {
        var rows = File.ReadAllLines(SharedData.Path(CsvPath));
        var path = Path.Combine(_folder, "BTCUSDT-trades-2025-01-01.csv.gz");
        await using (var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest))
        await using (var writer = new StreamWriter(gzip))
        {
            await writer.WriteLineAsync("id,price,qty,quote_qty,time,is_buyer_maker");
            foreach (var columns in rows.Select(r => r.Split(',')))
            {
                var milliseconds = long.Parse(columns[4], CultureInfo.InvariantCulture) / 1000;
                await writer.WriteLineAsync(string.Join(',', columns[0], columns[1], columns[2], columns[3], milliseconds.ToString(CultureInfo.InvariantCulture), columns[5].ToLowerInvariant()));
            }
        }

        using var kafka = new IngestKafka();
        using var host = await IngestTestHost.StartAsync(postgres, kafka, new()
        {
            ["Ingest:Sources"] = "replay",
            ["Ingest:Replay:Path"] = _folder,
        });

        var summary = await host.Services.GetRequiredService<ReplayCompletion>().Completion.WaitAsync(Timeout, Cancellation);
        var trades = kafka.ReadUntilEndOfInput(Topics.RawTrades);
        await host.StopAsync(Cancellation);

        Assert.Equal(0, summary.Skipped);
        RecordedFeedReplayTests.AssertContiguousPerKey(trades, new() { ["binance:BTCUSDT"] = (FirstId, LastId) });
        var first = IngestKafka.ParseTrade(trades.MinBy(t => t.Offset.Value)!);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1735689659419), first.TradeTime);
    }

    [Fact]
    public async Task Ten_times_speed_publishes_each_trade_when_a_tenth_of_its_recorded_delay_has_passed()
    {
        var times = File.ReadLines(SharedData.Path(CsvPath))
            .Select(r => UnixMicroseconds.ToDateTimeOffset(long.Parse(r.Split(',')[4], CultureInfo.InvariantCulture)))
            .ToList();
        var clock = new ManualTimeProvider(new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero));
        using var kafka = new IngestKafka();
        using var host = await IngestTestHost.StartAsync(
            postgres,
            kafka,
            new()
            {
                ["Ingest:Sources"] = "replay",
                ["Ingest:Replay:Path"] = SharedData.Path(CsvPath),
                ["Ingest:Replay:Speed"] = "10x",
            },
            services => services.AddSingleton<TimeProvider>(clock));
        var completion = host.Services.GetRequiredService<ReplayCompletion>();

        // Due at (recorded − first) / 10 on the replay clock; a wait under the pacer's minimum is not waited.
        int DueBy(TimeSpan elapsed) => times.Count(t => (t - times[0]) / 10 - elapsed < ReplayPacer.MinWait);
        foreach (var elapsed in new[] { TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3) })
        {
            clock.Advance(elapsed - (clock.GetUtcNow() - new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero)));
            var expected = DueBy(elapsed);
            await Eventually.Until(() => completion.Progress.Trades == expected, Timeout, $"{expected} trades published after {elapsed.TotalSeconds} s", Cancellation);
            Assert.False(completion.Completion.IsCompleted);
            Assert.InRange(expected, 1, times.Count - 1);
        }

        Assert.Equal(completion.Progress.Trades, DueBy(TimeSpan.FromSeconds(3)));
        clock.Advance(TimeSpan.FromMinutes(10));
        var summary = await completion.Completion.WaitAsync(Timeout, Cancellation);
        await host.StopAsync(Cancellation);

        Assert.Equal(times.Count, summary.Trades);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
