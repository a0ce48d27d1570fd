using static CryptoPipeline.Windowing.UnitTests.TestTrades;

namespace CryptoPipeline.Windowing.UnitTests;

public class DuplicateTests
{
    [Fact]
    public void The_same_trade_twice_in_a_batch_counts_once()
    {
        var once = new InMemoryProcessor();
        var twice = new InMemoryProcessor();
        once.Process([Trade(1, At(0, 1), price: 10m), Trade(2, At(0, 2), price: 11m)]);

        var outcomes = twice.Process([Trade(1, At(0, 1), price: 10m), Trade(2, At(0, 2), price: 11m), Trade(2, At(0, 2), price: 11m)]);

        Assert.Equal([TradeOutcome.Applied, TradeOutcome.Applied, TradeOutcome.Duplicate], outcomes);
        StoredCandle.AssertSame(once.Rows, twice.Rows);
        Assert.Equal(1, twice.Engine.Counters.Duplicates);
    }

    [Fact]
    public void A_repeated_trade_arriving_out_of_order_in_a_later_batch_counts_once()
    {
        var processor = new InMemoryProcessor();
        processor.Process([Trade(1, At(0, 1)), Trade(2, At(0, 2)), Trade(4, At(0, 4)), Trade(5, At(0, 5))]);
        var before = processor.Candle(Window(0));

        Assert.Equal([TradeOutcome.Duplicate, TradeOutcome.Duplicate, TradeOutcome.Duplicate], processor.Process([Trade(2, At(0, 2)), Trade(1, At(0, 1)), Trade(5, At(0, 5))]));

        Assert.Equal(before, processor.Candle(Window(0)));
        Assert.Equal([(1L, 2L), (4L, 5L)], processor.Rows[Window(0)].TradeIdRanges);
    }

    [Fact]
    public void A_repeated_trade_carrying_different_values_is_still_the_same_trade()
    {
        var processor = new InMemoryProcessor();
        processor.Process(Trade(1, At(0, 1), price: 10m));

        Assert.Equal(TradeOutcome.Duplicate, processor.Process(Trade(1, At(0, 1), price: 99m)));

        Assert.Equal(10m, processor.Candle(Window(0)).High);
    }

    [Fact]
    public void A_repeated_trade_after_a_restart_is_recognised_from_the_stored_row()
    {
        var processor = new InMemoryProcessor();
        processor.Process([Trade(1, At(0, 1)), Trade(2, At(0, 2))]);
        var before = processor.Candle(Window(0));

        processor.Restart();

        Assert.Equal([TradeOutcome.Duplicate, TradeOutcome.Applied], processor.Process([Trade(2, At(0, 2)), Trade(3, At(0, 3))]));
        Assert.Equal(before with { TradeCount = 3, LastTradeId = 3, LastTradeTime = At(0, 3), Volume = 3m, QuoteVolume = 300m, TakerBuyVolume = 3m, TakerBuyQuoteVolume = 300m }, processor.Candle(Window(0)));
    }

    [Fact]
    public void A_repeated_trade_of_a_final_window_already_evicted_changes_nothing_and_writes_nothing()
    {
        var processor = new InMemoryProcessor();
        processor.Process([Trade(1, At(0, 1)), Trade(2, At(0, 2)), Trade(3, At(5, 0))]);
        var before = processor.Rows[Window(0)];
        Assert.True(before.Candle.IsFinal);
        Assert.Equal(1, processor.Engine.ResidentWindows);

        Assert.Equal(TradeOutcome.Duplicate, processor.Process(Trade(1, At(0, 1))));

        Assert.Same(before, processor.Rows[Window(0)]);
        Assert.Equal(0, processor.RowsWrittenPerCommit[^1]);
    }
}
