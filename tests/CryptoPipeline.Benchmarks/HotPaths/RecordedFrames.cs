using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.Binance;
using CryptoPipeline.Ingest.Replay;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Benchmarks.HotPaths;

/// <summary>One combined-stream frame of a recorded Binance feed, as the exchange sent it, with its receive time.</summary>
internal sealed record RecordedFrame(DateTimeOffset ReceivedAt, byte[] Json);

/// <summary>
/// Frames and trades from the real recordings in <c>shared/data/binance</c>, read with the Ingest service's own
/// replay code (gzip detection, line reader, recorded-line format), so the benchmarks see the exchange's bytes.
/// </summary>
internal static class RecordedFrames
{
    public const string SpotBtc = "binance/spot-ws/spot_btcusdt_20240808.gz";
    public const string SpotBtcNextDay = "binance/spot-ws/spot_btcusdt_20240809.gz";
    public const string SpotEth = "binance/spot-ws/spot_ethusdt_20240808.gz";
    public const string SpotEthNextDay = "binance/spot-ws/spot_ethusdt_20240809.gz";
    public const string UsdmBtc = "binance/usdm-ws/usdm_btcusdt_20240808.gz";

    private const int MaxLineBytes = 1024 * 1024;

    /// <summary>The first <paramref name="count"/> frames of the file's <paramref name="streamType"/> streams (<c>trade</c>, <c>bookTicker</c>).</summary>
    public static List<RecordedFrame> Read(string relativePath, string streamType, int count = int.MaxValue)
    {
        var marker = System.Text.Encoding.UTF8.GetBytes($"@{streamType}\"");
        var frames = new List<RecordedFrame>();
        var file = new ReplayFile(SharedData.Path(relativePath), IsTradeCsv: false, ReplayFile.ExchangeFromName(relativePath), 0);
        var (raw, content) = file.Open();
        using (raw)
        using (content)
        {
            var reader = new LineReader(content, MaxLineBytes);
            while (frames.Count < count && reader.TryReadLine(out var line, out var oversized))
            {
                if (!oversized
                    && RecordedLine.TryParse(line.Span, out var receivedAt, out var json, out _)
                    && json.IndexOf(marker) >= 0)
                {
                    frames.Add(new RecordedFrame(receivedAt, json.ToArray()));
                }
            }
        }

        return frames.Count > 0
            ? frames
            : throw new InvalidOperationException($"{relativePath} holds no @{streamType} frame.");
    }

    /// <summary>Every trade of the files, parsed by the live feed's parser, in the order they were received.</summary>
    public static List<Trade> Trades(BinanceMarket market, params string[] relativePaths)
    {
        var parser = new BinanceStreamParser(market, symbols: null);
        return
        [
            .. relativePaths
                .SelectMany(path => Read(path, "trade"))
                .OrderBy(frame => frame.ReceivedAt)
                .Select(frame => parser.Parse(frame.Json, frame.ReceivedAt))
                .Where(parsed => parsed.Kind == BinanceFrameKind.Trade)
                .Select(parsed => parsed.Trade!),
        ];
    }
}
