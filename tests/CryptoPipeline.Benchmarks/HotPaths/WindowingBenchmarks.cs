using BenchmarkDotNet.Attributes;
using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.Binance;
using CryptoPipeline.Windowing;

namespace CryptoPipeline.Benchmarks.HotPaths;

/// <summary>
/// The <see cref="WindowingEngine"/> on every real spot trade of BTCUSDT and ETHUSDT recorded on 2024-08-08/09
/// (about 34,000 trades over 11 minutes, two partitions as Kafka's key hashing would give them), in receive
/// order. One operation is one trade.
/// </summary>
public class WindowingBenchmarks
{
    /// <summary>Trades per micro-batch in <see cref="MicroBatches"/>: a busy batch of the processor.</summary>
    public const int BatchSize = 1_000;

    /// <summary>Trades per invocation; BenchmarkDotNet divides by it (an attribute needs a constant, so setup checks it).</summary>
    public const int Trades = 34_419;

    private readonly WindowingEngine _engine = new(new WindowingOptions());
    private Trade[] _trades = [];
    private int[] _partitions = [];
    private (WindowKey Key, int Partition)[] _windows = [];

    [GlobalSetup]
    public void LoadRecording()
    {
        _trades = [.. RecordedFrames.Trades(BinanceMarket.Spot, RecordedFrames.SpotBtc, RecordedFrames.SpotBtcNextDay, RecordedFrames.SpotEth, RecordedFrames.SpotEthNextDay)];
        if (_trades.Length != Trades)
        {
            throw new InvalidOperationException($"The spot recordings hold {_trades.Length} trades; set {nameof(Trades)} to that.");
        }

        _partitions = [.. _trades.Select(PartitionOf)];
        _windows = [.. _trades.Select(t => (WindowKey.For(t), PartitionOf(t))).Distinct()];

        // Every trade must count: a benchmark that measured duplicates or rejections would flatter the engine.
        var applied = Apply();
        if (applied != Trades)
        {
            throw new InvalidOperationException($"Only {applied} of {Trades} trades were applied.");
        }

        JitWarmUp.Run(() =>
        {
            Apply();
            MicroBatches();
        });
    }

    /// <summary>Counting trades into resident windows: the per-trade work of the engine.</summary>
    [Benchmark(OperationsPerInvoke = Trades, Description = "WindowingEngine.Apply, windows resident")]
    public int Apply()
    {
        _engine.Reset();
        foreach (var (key, partition) in _windows)
        {
            _engine.Restore(key, null, partition);
        }

        var applied = 0;
        for (var i = 0; i < _trades.Length; i++)
        {
            if (_engine.Apply(_trades[i], _partitions[i]) == TradeOutcome.Applied)
            {
                applied++;
            }
        }

        return applied;
    }

    /// <summary>
    /// The processor's whole engine cycle per micro-batch of <see cref="BatchSize"/> trades, without the database:
    /// find the missing windows, restore them (no stored row), apply, take the pending changes, mark them committed.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Trades, Description = "WindowingEngine micro-batches of 1,000 (missing, restore, apply, pending, commit)")]
    public int MicroBatches()
    {
        _engine.Reset();
        var upserts = 0;
        for (var start = 0; start < _trades.Length; start += BatchSize)
        {
            var batch = new ArraySegment<Trade>(_trades, start, Math.Min(BatchSize, _trades.Length - start));
            foreach (var key in _engine.MissingWindows(batch))
            {
                _engine.Restore(key, null, PartitionOf(key.Symbol));
            }

            for (var i = start; i < start + batch.Count; i++)
            {
                _engine.Apply(_trades[i], _partitions[i]);
            }

            upserts += _engine.PendingChanges().Count;
            _engine.MarkCommitted();
        }

        return upserts;
    }

    private static int PartitionOf(Trade trade) => PartitionOf(trade.Symbol);

    private static int PartitionOf(string symbol) => symbol == "BTCUSDT" ? 0 : 1;
}
