using BenchmarkDotNet.Attributes;
using CryptoPipeline.Contracts;
using CryptoPipeline.Database.Migrations;
using CryptoPipeline.EmbeddedPostgres;
using CryptoPipeline.Ingest.Binance;
using CryptoPipeline.Processor;
using CryptoPipeline.Processor.Sink;
using CryptoPipeline.Windowing;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CryptoPipeline.Benchmarks.HotPaths;

/// <summary>
/// The processor's <see cref="PostgresSink.Commit"/> of one micro-batch: <see cref="Candles"/> open 1-minute
/// candles (upserted, as every micro-batch does for the windows it touched) and the partition's checkpoint, in one
/// transaction, against a private PostgreSQL started for the run. The candles are real: the first full minute of
/// recorded BTCUSDT spot trades, under as many symbols as the batch holds. One operation is one committed batch.
/// </summary>
public class CandleSinkBenchmarks
{
    private const string ClusterId = "benchmark-cluster";
    private const string ConsumerGroup = "benchmark";

    private PrivatePostgresCluster? _postgres;
    private NpgsqlDataSource? _dataSource;
    private PostgresSink? _sink;
    private IReadOnlyList<CandleState> _candles = [];
    private long? _expectedOffset;
    private long _nextOffset;

    [Params(1, 100, 400)]
    public int Candles { get; set; }

    /// <summary>Off: the commit's statements and round trip alone. On: plus the WAL flush to this machine's disk.</summary>
    [Params(false, true)]
    public bool Fsync { get; set; }

    [GlobalSetup]
    public void StartPostgres()
    {
        _postgres = PrivatePostgresCluster.StartAsync(new PrivatePostgresOptions { Fsync = Fsync }).GetAwaiter().GetResult();
        new DatabaseMigrator().MigrateAsync(_postgres.ConnectionString).GetAwaiter().GetResult();
        _dataSource = NpgsqlDataSource.Create(_postgres.ConnectionString);
        _sink = new PostgresSink(_dataSource, Options.Create(new ProcessorOptions()), TimeProvider.System);
        _candles = OpenCandles(Candles);
        _expectedOffset = null;
        _nextOffset = 0;
        JitWarmUp.Run(CommitBatch);
    }

    [GlobalCleanup]
    public void StopPostgres()
    {
        _dataSource?.Dispose();
        _postgres?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Description = "PostgresSink.Commit: candles + checkpoint, one transaction")]
    public void CommitBatch()
    {
        _nextOffset += Candles;
        var batch = new SinkBatch
        {
            ClusterId = ClusterId,
            ConsumerGroup = ConsumerGroup,
            Checkpoints = [new CheckpointUpdate(Topics.RawTrades, 0, _expectedOffset, _nextOffset, _candles[0].LastTradeTime)],
            Candles = _candles,
        };
        if (!_sink!.Commit(batch))
        {
            throw new InvalidOperationException("The checkpoint moved under the benchmark: nothing else writes this database.");
        }

        _expectedOffset = _nextOffset;
    }

    /// <summary>The open candle of the first whole recorded minute, once per symbol SYM0001USDT, SYM0002USDT, ….</summary>
    private static IReadOnlyList<CandleState> OpenCandles(int symbols)
    {
        var trades = RecordedFrames.Trades(BinanceMarket.Spot, RecordedFrames.SpotBtc);
        var minute = WindowKey.For(trades[0]).WindowStart.AddMinutes(1);
        var inMinute = trades.Where(t => t.TradeTime >= minute && t.TradeTime < minute.AddMinutes(1)).ToList();
        var engine = new WindowingEngine(new WindowingOptions());
        for (var s = 1; s <= symbols; s++)
        {
            var symbol = $"SYM{s:D4}USDT";
            engine.Restore(new WindowKey(Exchanges.Binance, symbol, minute), null, 0);
            foreach (var trade in inMinute)
            {
                engine.Apply(trade with { Symbol = symbol }, 0);
            }
        }

        var candles = engine.PendingChanges();
        return candles.Count == symbols && candles.All(c => !c.IsFinal)
            ? [.. candles]
            : throw new InvalidOperationException($"Expected {symbols} open candles, got {candles.Count}.");
    }
}
