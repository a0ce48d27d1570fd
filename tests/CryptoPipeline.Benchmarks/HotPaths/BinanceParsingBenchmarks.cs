using BenchmarkDotNet.Attributes;
using CryptoPipeline.Ingest.Binance;

namespace CryptoPipeline.Benchmarks.HotPaths;

/// <summary>
/// <see cref="BinanceStreamParser"/> on real recorded combined-stream frames (2024-08-08), as a live feed configures
/// it: known symbols, live source. One operation is one frame parsed into a trade or quote.
/// </summary>
public class BinanceParsingBenchmarks
{
    private const int Frames = 4_096;

    private readonly BinanceStreamParser _spot = new(BinanceMarket.Spot, ["BTCUSDT", "ETHUSDT"]);
    private readonly BinanceStreamParser _usdm = new(BinanceMarket.Usdm, ["BTCUSDT"]);
    private RecordedFrame[] _spotTrades = [];
    private RecordedFrame[] _usdmTrades = [];
    private RecordedFrame[] _spotBookTickers = [];

    [GlobalSetup]
    public void LoadRecordings()
    {
        _spotTrades = [.. RecordedFrames.Read(RecordedFrames.SpotBtc, "trade", Frames)];
        _usdmTrades = [.. RecordedFrames.Read(RecordedFrames.UsdmBtc, "trade", Frames)];
        _spotBookTickers = [.. RecordedFrames.Read(RecordedFrames.SpotBtc, "bookTicker", Frames)];
        JitWarmUp.Run(() =>
        {
            SpotTrade();
            UsdmTrade();
            SpotBookTicker();
        });
    }

    [Benchmark(OperationsPerInvoke = Frames, Description = "Binance spot @trade frame -> Trade")]
    public long SpotTrade() => ParseTrades(_spot, _spotTrades);

    [Benchmark(OperationsPerInvoke = Frames, Description = "Binance USD-M @trade frame -> Trade")]
    public long UsdmTrade() => ParseTrades(_usdm, _usdmTrades);

    [Benchmark(OperationsPerInvoke = Frames, Description = "Binance spot @bookTicker frame -> Quote")]
    public decimal SpotBookTicker()
    {
        var sum = 0m;
        foreach (var frame in _spotBookTickers)
        {
            sum += _spot.Parse(frame.Json, frame.ReceivedAt).Quote!.BidQuantity;
        }

        return sum;
    }

    private static long ParseTrades(BinanceStreamParser parser, RecordedFrame[] frames)
    {
        var sum = 0L;
        foreach (var frame in frames)
        {
            sum += parser.Parse(frame.Json, frame.ReceivedAt).Trade!.TradeId;
        }

        return sum;
    }
}
