using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.Binance;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Ingest.UnitTests.Binance;

/// <summary>Every frame of the recorded feeds in shared/data through the feed's parser.</summary>
public sealed class RecordedFeedParsingTests(ITestOutputHelper output)
{
    public static TheoryData<string, string, long, long> Recordings => new()
    {
        { "binance/spot-ws/spot_btcusdt_20230405.dat.gz", "BTCUSDT", 3071245454, 3071248597 },
        { "binance/spot-ws/spot_btcusdt_20240808.gz", "BTCUSDT", 3735683259, 3735693015 },
        { "binance/spot-ws/spot_btcusdt_20240809.gz", "BTCUSDT", 3735693016, 3735703162 },
        { "binance/spot-ws/spot_ethusdt_20240808.gz", "ETHUSDT", 1520538925, 1520545030 },
        { "binance/spot-ws/spot_ethusdt_20240809.gz", "ETHUSDT", 1520545031, 1520553439 },
        { "binance/usdm-ws/usdm_btcusdt_20230404.dat.gz", "BTCUSDT", 3535186032, 3535188228 },
        { "binance/usdm-ws/usdm_btcusdt_20230405.dat.gz", "BTCUSDT", 3535188229, 3535198966 },
        { "binance/usdm-ws/usdm_btcusdt_20240718.gz", "BTCUSDT", 5182005737, 5182006710 },
        { "binance/usdm-ws/usdm_btcusdt_20240719.gz", "BTCUSDT", 5182006711, 5182016437 },
        { "binance/usdm-ws/usdm_btcusdt_20240808.gz", "BTCUSDT", 5266583935, 5266605247 },
    };

    [Theory]
    [MemberData(nameof(Recordings))]
    public void Every_recorded_frame_parses_and_the_trade_ids_are_contiguous(string file, string symbol, long firstId, long lastId)
    {
        var market = file.Contains("usdm", StringComparison.Ordinal) ? BinanceMarket.Usdm : BinanceMarket.Spot;
        var parser = new BinanceStreamParser(market, [symbol]);
        var frames = ReadFrames(file);

        var trades = new List<Trade>();
        var kinds = new Dictionary<BinanceFrameKind, int>();
        var clock = Stopwatch.StartNew();
        foreach (var (receivedAt, json) in frames)
        {
            var frame = parser.Parse(json.Span, receivedAt);
            kinds[frame.Kind] = kinds.GetValueOrDefault(frame.Kind) + 1;
            if (frame.Trade is { } trade)
            {
                trades.Add(trade);
            }
        }

        clock.Stop();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{file}: {frames.Count} frames in {clock.Elapsed.TotalMilliseconds:0.0} ms ({frames.Count / clock.Elapsed.TotalSeconds:0} frames/s on one core), {string.Join(", ", kinds.Select(k => $"{k.Key} {k.Value}"))}"));

        Assert.False(kinds.ContainsKey(BinanceFrameKind.Bad));
        Assert.True(kinds[BinanceFrameKind.Quote] > 0);
        Assert.Equal(firstId, trades[0].TradeId);
        Assert.Equal(lastId, trades[^1].TradeId);
        Assert.Equal(lastId - firstId + 1, trades.Count);
        Assert.All(trades.Zip(trades.Skip(1)), pair => Assert.Equal(pair.First.TradeId + 1, pair.Second.TradeId));
        Assert.All(trades, t => Assert.Equal(symbol, t.Symbol));
    }

    /// <summary>The stream frames with their receive times, decompressed up front so only parsing is timed.</summary>
    private static List<(DateTimeOffset ReceivedAt, ReadOnlyMemory<byte> Json)> ReadFrames(string file)
    {
        using var gzip = new GZipStream(File.OpenRead(SharedData.Path(file)), CompressionMode.Decompress);
        using var content = new MemoryStream();
        gzip.CopyTo(content);
        var bytes = content.ToArray().AsMemory();
        var frames = new List<(DateTimeOffset, ReadOnlyMemory<byte>)>();
        while (!bytes.IsEmpty)
        {
            var end = bytes.Span.IndexOf((byte)'\n');
            var line = end < 0 ? bytes : bytes[..end];
            bytes = end < 0 ? default : bytes[(end + 1)..];
            var space = line.Span.IndexOf((byte)' ');

            // The recorder also logged the REST depth snapshots it fetched: those lines are not stream frames.
            if (space <= 0 || !line.Span[(space + 1)..].StartsWith("{\"stream\""u8))
            {
                continue;
            }

            // 2024 files stamp nanoseconds (19 digits), 2023 files microseconds (16 digits).
            var stamp = long.Parse(line.Span[..space], provider: CultureInfo.InvariantCulture);
            frames.Add((UnixMicroseconds.ToDateTimeOffset(space >= 19 ? stamp / 1000 : stamp), line[(space + 1)..]));
        }

        return frames;
    }
}
