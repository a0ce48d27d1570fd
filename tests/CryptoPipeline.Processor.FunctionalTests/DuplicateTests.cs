using Confluent.Kafka;
using CryptoPipeline.Contracts;
using CryptoPipeline.Kafka;
using CryptoPipeline.Processor.FunctionalTests.Infrastructure;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Processor.FunctionalTests;

/// <summary>Every trade counts once by its identity, whatever Kafka delivers twice (DESIGN.md §5).</summary>
public sealed class DuplicateTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Recording_published_twice_and_an_overlapping_backfill_leave_the_tables_unchanged()
    {
        using var kafka = new PipelineKafka();
        var database = await postgres.CreateDatabaseAsync(cancellationToken: TestContext.Current.CancellationToken);
        var trades = Recordings.SpotCsvTrades;
        await using var host = await ProcessorHost.StartAsync(kafka.BootstrapServers, database);

        kafka.Publish(trades);
        kafka.PublishEndOfInput();
        await Tables.WaitForEverythingCommittedAsync(database, kafka);
        var once = await Tables.SnapshotAsync(database);

        kafka.Publish(trades);
        kafka.Publish(trades.Skip(trades.Count / 3).Take(trades.Count / 3).Select(t => t with { Source = DataSource.Backfill }));
        kafka.PublishEndOfInput();
        await Tables.WaitForEverythingCommittedAsync(database, kafka);
        var again = await Tables.SnapshotAsync(database);

        // Only the offsets moved on.
        once.Remove("consumer_offsets");
        Tables.AssertSame(once, again);
        var minute = Assert.Single(Recordings.FullMinutes(trades));
        var candle = (await Tables.CandlesAsync(database, Exchanges.Binance, "BTCUSDT")).Single(c => c.WindowStart == minute);
        Assert.Equal(Recordings.Klines(Recordings.SpotKlines).Single(k => k.OpenTime == minute), ConformanceTests.AsKline(candle));
    }

    [Fact]
    public async Task Fresh_kafka_cluster_with_old_offsets_in_postgres_neither_loses_nor_double_counts()
    {
        var database = await postgres.CreateDatabaseAsync(cancellationToken: TestContext.Current.CancellationToken);
        var trades = Recordings.UsdmTrades;
        using var first = new PipelineKafka();
        first.Publish(trades.Take(trades.Count * 3 / 5));
        await using (await ProcessorHost.StartAsync(first.BootstrapServers, database))
        {
            await Tables.WaitForEverythingCommittedAsync(database, first, clusterId: await ClusterIdAsync(first));
        }

        // A restarted in-memory cluster: a new cluster id, offsets from zero, and the same trades again.
        using var second = new PipelineKafka();
        var secondId = await ClusterIdAsync(second);
        Assert.NotEqual(await ClusterIdAsync(first), secondId);
        second.Publish(trades);
        second.PublishEndOfInput();
        await using (await ProcessorHost.StartAsync(second.BootstrapServers, database))
        {
            await Tables.WaitForEverythingCommittedAsync(database, second, clusterId: secondId);
        }

        var candles = (await Tables.CandlesAsync(database, Exchanges.BinanceUsdm, "BTCUSDT")).ToDictionary(c => c.WindowStart);
        var klines = Recordings.Klines(Recordings.UsdmKlines).ToDictionary(k => k.OpenTime);
        Assert.All(Recordings.FullMinutes(trades), minute => Assert.Equal(klines[minute], ConformanceTests.AsKline(candles[minute])));
        Assert.Equal(trades.Count(t => t.Kind == TradeKind.Market), candles.Values.Sum(c => c.TradeCount));
    }

    [Fact]
    public async Task Fresh_kafka_cluster_continuing_the_stream_finalizes_the_windows_left_open_on_the_old_one()
    {
        var database = await postgres.CreateDatabaseAsync(cancellationToken: TestContext.Current.CancellationToken);
        var trades = Recordings.UsdmTrades;
        var fullMinutes = Recordings.FullMinutes(trades);
        var cut = fullMinutes[3];
        using var first = new PipelineKafka();
        first.Publish(trades.Where(t => t.TradeTime < cut));
        await using (await ProcessorHost.StartAsync(first.BootstrapServers, database))
        {
            await Tables.WaitForEverythingCommittedAsync(database, first);
        }

        // The last minute before the cut is within the allowed lateness of the watermark: still open.
        var lastBeforeCut = (await Tables.CandlesAsync(database, Exchanges.BinanceUsdm, "BTCUSDT")).Single(c => c.WindowStart == cut.AddMinutes(-1));
        Assert.False(lastBeforeCut.IsFinal);

        // A Standalone restart: a new in-memory cluster carrying only what came after, none of it in that minute.
        using var second = new PipelineKafka();
        second.Publish(trades.Where(t => t.TradeTime >= cut));
        second.PublishEndOfInput();
        await using (await ProcessorHost.StartAsync(second.BootstrapServers, database))
        {
            await Tables.WaitForEverythingCommittedAsync(database, second, clusterId: await ClusterIdAsync(second));
        }

        var candles = (await Tables.CandlesAsync(database, Exchanges.BinanceUsdm, "BTCUSDT")).ToDictionary(c => c.WindowStart);
        Assert.All(candles.Values, c => Assert.True(c.IsFinal, $"{c.WindowStart:O} is not final after the end of input"));
        var klines = Recordings.Klines(Recordings.UsdmKlines).ToDictionary(k => k.OpenTime);
        Assert.All(fullMinutes, minute => Assert.Equal(klines[minute], ConformanceTests.AsKline(candles[minute])));
    }

    private static async Task<string> ClusterIdAsync(PipelineKafka kafka)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = kafka.BootstrapServers }).Build();
        return await admin.GetClusterIdAsync(TimeSpan.FromSeconds(10));
    }
}
