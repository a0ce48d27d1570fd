using System.IO.Compression;
using System.Text;
using CryptoPipeline.Ingest.Recording;
using CryptoPipeline.Ingest.Replay;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CryptoPipeline.Ingest.UnitTests.Recording;

public sealed class FeedRecorderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("ingest-recording-").FullName;

    [Fact]
    public async Task Frames_are_recorded_per_exchange_and_utc_day_in_the_format_replay_reads()
    {
        var recorder = new FeedRecorder(Options.Create(new RecordingOptions { Directory = _folder }), NullLogger<FeedRecorder>.Instance);
        var evening = new DateTimeOffset(2024, 8, 8, 23, 59, 59, TimeSpan.Zero).AddTicks(1234560);
        await recorder.StartAsync(TestContext.Current.CancellationToken);

        recorder.OnFrame("binance", "{\"stream\":\"btcusdt@trade\",\"data\":{}}"u8, evening);
        recorder.OnFrame("binance-usdm", "{\"stream\":\"btcusdt@bookTicker\",\"data\":{}}"u8, evening);
        recorder.OnFrame("binance", "{\"stream\":\"btcusdt@trade\",\"data\":{\"t\":2}}"u8, evening.AddSeconds(1));
        await recorder.StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal(["binance-usdm_20240808.gz", "binance_20240808.gz", "binance_20240809.gz"], Directory.GetFiles(_folder).Select(Path.GetFileName).Order());
        var lines = Read(Path.Combine(_folder, "binance_20240808.gz"));
        var (receivedAt, json) = Assert.Single(lines);
        Assert.Equal(evening.AddTicks(-(evening.Ticks % 10)), receivedAt);
        Assert.Equal("{\"stream\":\"btcusdt@trade\",\"data\":{}}", json);
        Assert.Equal("{\"stream\":\"btcusdt@trade\",\"data\":{\"t\":2}}", Assert.Single(Read(Path.Combine(_folder, "binance_20240809.gz"))).Json);
        Assert.Equal("binance-usdm", ReplayFile.ExchangeFromName("binance-usdm_20240808.gz"));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static List<(DateTimeOffset ReceivedAt, string Json)> Read(string path)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        var reader = new LineReader(gzip, 1 << 16);
        var lines = new List<(DateTimeOffset, string)>();
        while (reader.TryReadLine(out var line, out _))
        {
            Assert.True(RecordedLine.TryParse(line.Span, out var receivedAt, out var json, out _));
            lines.Add((receivedAt, Encoding.UTF8.GetString(json)));
        }

        return lines;
    }
}
