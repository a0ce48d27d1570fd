using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.Bitmex;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Benchmarks.HotPaths;

/// <summary>
/// <see cref="BitmexParser"/> on every <c>trade</c> and <c>quote</c> frame of the real BitMEX recording
/// (<c>bitmex/BITMEX.ws.1.0</c>, 2021-07-22: 110 frames, partials and inserts, several rows each), byte for byte
/// as received. One operation is one frame.
/// </summary>
public class BitmexParsingBenchmarks
{
    private const int RecordedFrames = 110;

    // The ten instruments the recording subscribed to.
    private readonly BitmexParser _parser = new(["XRPU21", "UNIUSDT", "XBTUSD", "ADAUSDT", "SOLUSDT", "TRXU21", "EOSUSDT", "TRXUSDT", "BCHUSD", "MATICUSDT"]);
    private readonly List<Trade> _trades = [];
    private readonly List<Quote> _quotes = [];
    private readonly List<BitmexDefect> _defects = [];
    private RecordedFrame[] _frames = [];

    [GlobalSetup]
    public void LoadRecording()
    {
        // Received lines are "<epoch seconds>: <frame>"; sent ones and connection lines look different.
        var frames = new List<RecordedFrame>();
        foreach (var line in File.ReadLines(SharedData.Path("bitmex/BITMEX.ws.1.0")))
        {
            var separator = line.IndexOf(": ", StringComparison.Ordinal);
            if (separator > 0
                && double.TryParse(line.AsSpan(0, separator), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
                && line.AsSpan(separator + 2) is var json
                && (json.StartsWith("{\"table\":\"trade\"", StringComparison.Ordinal) || json.StartsWith("{\"table\":\"quote\"", StringComparison.Ordinal)))
            {
                frames.Add(new RecordedFrame(DateTimeOffset.UnixEpoch.AddTicks((long)(seconds * TimeSpan.TicksPerSecond)), Encoding.UTF8.GetBytes(json.ToString())));
            }
        }

        _frames = frames.Count == RecordedFrames
            ? [.. frames]
            : throw new InvalidOperationException($"Expected {RecordedFrames} trade and quote frames in the BitMEX recording, found {frames.Count}.");
        var rows = Parse();
        if (_defects.Count > 0)
        {
            throw new InvalidOperationException($"The BitMEX recording parsed with {_defects.Count} defect(s), first: {_defects[0]}.");
        }

        Console.WriteLine($"// BitMEX: {_frames.Length} frames, {rows} trade and quote rows");
        JitWarmUp.Run(() => Parse());
    }

    [Benchmark(OperationsPerInvoke = RecordedFrames, Description = "BitMEX trade/quote frame -> Trades, Quotes")]
    public int BitmexFrame() => Parse();

    private int Parse()
    {
        var rows = 0;
        foreach (var frame in _frames)
        {
            _trades.Clear();
            _quotes.Clear();
            _parser.Parse(frame.Json, frame.ReceivedAt, _trades, _quotes, _defects);
            rows += _trades.Count + _quotes.Count;
        }

        return rows;
    }
}
