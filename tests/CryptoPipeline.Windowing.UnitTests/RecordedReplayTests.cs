using CryptoPipeline.Contracts;

namespace CryptoPipeline.Windowing.UnitTests;

/// <summary>
/// Restarts, redeliveries, repeats and reordering of a real recorded feed (USD-M BTCUSDT, 12,935 trades
/// including an insurance fund trade) leave exactly the rows of one uninterrupted run.
/// </summary>
public class RecordedReplayTests
{
    private const int BatchSize = 250;

    private static IReadOnlyList<Trade> Feed => RecordedTrades.UsdmRecording("binance/usdm-ws/usdm_btcusdt_20230404.dat.gz", "binance/usdm-ws/usdm_btcusdt_20230405.dat.gz");

    private static Dictionary<WindowKey, StoredCandle> Uninterrupted()
    {
        var processor = new InMemoryProcessor();
        processor.ProcessAll(Feed, BatchSize);
        processor.EndOfInput();
        return processor.Rows;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(954)]
    [InlineData(4_859)]
    [InlineData(4_860)]
    [InlineData(9_999)]
    [InlineData(12_934)]
    public void A_restart_at_any_point_continues_from_the_stored_rows_to_the_same_candles(int split)
    {
        var processor = new InMemoryProcessor();
        processor.ProcessAll(Feed.Take(split), BatchSize);

        processor.Restart();
        processor.ProcessAll(Feed.Skip(split), BatchSize);
        processor.EndOfInput();

        StoredCandle.AssertSame(Uninterrupted(), processor.Rows);
    }

    [Fact]
    public void Restarting_after_every_batch_and_redelivering_the_last_batch_each_time_gives_the_same_candles()
    {
        var processor = new InMemoryProcessor();
        var batches = Feed.Chunk(BatchSize).ToList();
        var duplicates = 0;

        for (var i = 0; i < batches.Count; i++)
        {
            processor.Process(batches[i]);
            processor.Restart();
            if (i > 0)
            {
                // At-least-once: what the crashed run had committed arrives again.
                duplicates += processor.Process(batches[i - 1]).Count(outcome => outcome == TradeOutcome.Duplicate);
            }
        }

        processor.EndOfInput();

        StoredCandle.AssertSame(Uninterrupted(), processor.Rows);
        Assert.Equal(Feed.Take(Feed.Count - batches[^1].Length).Count(trade => trade.Kind == TradeKind.Market), duplicates);
    }

    [Fact]
    public void Replaying_the_whole_feed_a_second_time_changes_nothing()
    {
        var processor = new InMemoryProcessor();
        processor.ProcessAll(Feed, BatchSize);
        processor.EndOfInput();
        var firstRun = new Dictionary<WindowKey, StoredCandle>(processor.Rows);
        var commitsOfFirstRun = processor.RowsWrittenPerCommit.Count;

        var outcomes = processor.ProcessAll(Feed, BatchSize);
        processor.EndOfInput();

        Assert.All(outcomes, outcome => Assert.Contains(outcome, new[] { TradeOutcome.Duplicate, TradeOutcome.Excluded }));
        Assert.All(processor.RowsWrittenPerCommit.Skip(commitsOfFirstRun), written => Assert.Equal(0, written));
        StoredCandle.AssertSame(firstRun, processor.Rows);
    }

    [Fact]
    public void Shuffled_arrival_within_the_allowed_lateness_gives_the_same_candles()
    {
        var shuffled = Feed.ToArray();
        new Random(42).Shuffle(shuffled);
        var processor = new InMemoryProcessor(new WindowingOptions { AllowedLateness = TimeSpan.FromHours(1) });

        processor.ProcessAll(shuffled, BatchSize);
        processor.EndOfInput();

        StoredCandle.AssertSame(Uninterrupted(), processor.Rows);
    }

    [Fact]
    public void Feeds_interleaved_on_two_partitions_give_the_same_candles_as_each_alone()
    {
        var spot = RecordedTrades.SpotCsv();
        var spotAlone = new InMemoryProcessor();
        spotAlone.ProcessAll(spot, BatchSize, partition: 1);
        spotAlone.EndOfInput(partition: 1);
        var processor = new InMemoryProcessor();

        // The 2023 futures feed is two years older than the spot one: one watermark for both would make it all too late.
        foreach (var (futuresBatch, spotBatch) in Feed.Chunk(BatchSize).Zip(spot.Chunk(25)))
        {
            processor.Process(spotBatch, partition: 1);
            processor.Process(futuresBatch, partition: 0);
        }

        processor.EndOfInput(partition: 0);
        processor.EndOfInput(partition: 1);

        StoredCandle.AssertSame(Uninterrupted().Concat(spotAlone.Rows).ToDictionary(), processor.Rows);
    }
}
