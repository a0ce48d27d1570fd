using BenchmarkDotNet.Attributes;
using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.Binance;

namespace CryptoPipeline.Benchmarks.HotPaths;

/// <summary>
/// A trade on its way through Kafka, on real recorded spot trades: what Ingest's publisher does per trade (its
/// key and <see cref="TradeJson"/> bytes), the whole Ingest path from exchange frame to those bytes, and the
/// processor's <see cref="TradeJson.TryParse"/> of the wire message. One operation is one trade.
/// </summary>
public class TradeWireBenchmarks
{
    private const int Trades = 4_096;

    private readonly BinanceStreamParser _parser = new(BinanceMarket.Spot, ["BTCUSDT", "ETHUSDT"]);
    private RecordedFrame[] _frames = [];
    private Trade[] _trades = [];
    private byte[][] _messages = [];

    [GlobalSetup]
    public void LoadRecording()
    {
        _frames = [.. RecordedFrames.Read(RecordedFrames.SpotBtc, "trade", Trades)];
        _trades = [.. _frames.Select(frame => _parser.Parse(frame.Json, frame.ReceivedAt).Trade!)];
        _messages = [.. _trades.Select(TradeJson.Serialize)];
        JitWarmUp.Run(() =>
        {
            Serialize();
            ParseAndSerialize();
            Deserialize();
        });
    }

    [Benchmark(OperationsPerInvoke = Trades, Description = "Trade -> Kafka key + TradeJson bytes")]
    public int Serialize()
    {
        var bytes = 0;
        foreach (var trade in _trades)
        {
            bytes += trade.Key.Length + TradeJson.Serialize(trade).Length;
        }

        return bytes;
    }

    [Benchmark(OperationsPerInvoke = Trades, Description = "Binance frame -> Trade -> key + TradeJson bytes")]
    public int ParseAndSerialize()
    {
        var bytes = 0;
        foreach (var frame in _frames)
        {
            var trade = _parser.Parse(frame.Json, frame.ReceivedAt).Trade!;
            bytes += trade.Key.Length + TradeJson.Serialize(trade).Length;
        }

        return bytes;
    }

    [Benchmark(OperationsPerInvoke = Trades, Description = "TradeJson bytes -> Trade (processor)")]
    public long Deserialize()
    {
        var sum = 0L;
        foreach (var message in _messages)
        {
            if (!TradeJson.TryParse(message, out var trade, out var error))
            {
                throw new InvalidOperationException(error);
            }

            sum += trade.TradeId;
        }

        return sum;
    }
}
