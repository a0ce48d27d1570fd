using CryptoPipeline.Contracts;
using static CryptoPipeline.Windowing.UnitTests.TestTrades;

namespace CryptoPipeline.Windowing.UnitTests;

public class LatenessTests
{
    [Fact]
    public void Watermark_is_the_latest_trade_time_on_the_partition_minus_the_allowed_lateness()
    {
        var processor = new InMemoryProcessor();
        Assert.Null(processor.Engine.Watermark(0));
        Assert.Null(processor.Engine.MaxEventTime(0));

        processor.Process(Trade(1, At(1, 10)));
        processor.Process(Trade(2, At(0, 50)));

        Assert.Equal(At(1, 10), processor.Engine.MaxEventTime(0));
        Assert.Equal(At(1, 5), processor.Engine.Watermark(0));
    }

    [Fact]
    public void A_window_becomes_final_when_the_watermark_reaches_its_end_even_without_a_trade_of_its_own()
    {
        var processor = new InMemoryProcessor();
        processor.Process(Trade(1, At(0, 30)));

        processor.Process(Trade(2, At(1, 4, 999)));
        Assert.False(processor.Candle(Window(0)).IsFinal);

        processor.Process(Trade(3, At(1, 5)));
        Assert.True(processor.Candle(Window(0)).IsFinal);
        Assert.False(processor.Candle(Window(1)).IsFinal);
        Assert.Equal(2, processor.RowsWrittenPerCommit[^1]);
    }

    [Fact]
    public void A_trade_within_the_allowed_lateness_is_applied_on_time()
    {
        var processor = new InMemoryProcessor();
        processor.Process([Trade(1, At(0, 30)), Trade(3, At(1, 4))]);

        Assert.Equal(TradeOutcome.Applied, processor.Process(Trade(2, At(0, 58))));

        Assert.Equal(2, processor.Candle(Window(0)).TradeCount);
        Assert.False(processor.Candle(Window(0)).IsFinal);
    }

    [Fact]
    public void A_trade_after_its_window_is_final_is_a_late_firing_that_updates_the_final_row()
    {
        var processor = new InMemoryProcessor();
        processor.Process([Trade(1, At(0, 30), price: 10m), Trade(3, At(1, 10))]);
        Assert.True(processor.Candle(Window(0)).IsFinal);

        Assert.Equal(TradeOutcome.LateApplied, processor.Process(Trade(2, At(0, 40), price: 11m)));

        var candle = processor.Candle(Window(0));
        Assert.Equal((2L, 11m, true), (candle.TradeCount, candle.Close, candle.IsFinal));
        Assert.Equal(1, processor.Engine.Counters.LateApplied);
    }

    [Fact]
    public void Lateness_does_not_depend_on_where_batches_are_cut()
    {
        Trade[] trades = [Trade(1, At(0, 30)), Trade(3, At(1, 10)), Trade(2, At(0, 40)), Trade(4, At(1, 20))];
        var oneBatch = new InMemoryProcessor();
        var batchPerTrade = new InMemoryProcessor();

        var together = oneBatch.Process(trades);
        var apart = batchPerTrade.ProcessAll(trades, batchSize: 1);

        Assert.Equal([TradeOutcome.Applied, TradeOutcome.Applied, TradeOutcome.LateApplied, TradeOutcome.Applied], together);
        Assert.Equal(together, apart);
        StoredCandle.AssertSame(batchPerTrade.Rows, oneBatch.Rows);
    }

    [Fact]
    public void A_new_trade_whose_window_ended_more_than_the_hard_bound_before_the_watermark_is_too_late_and_changes_nothing()
    {
        var processor = new InMemoryProcessor(new WindowingOptions { HardLatenessBound = TimeSpan.FromHours(1) });
        processor.Process(Trade(1, At(0, 30)));
        processor.Process(Trade(10, At(61, 5, 1)));
        var before = processor.Rows[Window(0)];

        Assert.Equal(TradeOutcome.TooLate, processor.Process(Trade(2, At(0, 40))));

        Assert.Same(before, processor.Rows[Window(0)]);
        Assert.Equal(1, processor.Engine.Counters.TooLate);
    }

    [Fact]
    public void A_trade_exactly_at_the_hard_bound_is_still_a_late_firing()
    {
        var processor = new InMemoryProcessor(new WindowingOptions { HardLatenessBound = TimeSpan.FromHours(1) });
        processor.Process(Trade(1, At(0, 30)));
        processor.Process(Trade(10, At(61, 5)));

        Assert.Equal(TradeOutcome.LateApplied, processor.Process(Trade(2, At(0, 40))));
    }

    [Fact]
    public void A_too_late_trade_that_was_already_counted_is_a_duplicate_not_too_late()
    {
        var processor = new InMemoryProcessor(new WindowingOptions { HardLatenessBound = TimeSpan.FromHours(1) });
        processor.Process([Trade(1, At(0, 30)), Trade(2, At(0, 40))]);
        processor.Process(Trade(10, At(180, 0)));

        Assert.Equal([TradeOutcome.Duplicate, TradeOutcome.TooLate], processor.Process([Trade(2, At(0, 40)), Trade(3, At(0, 50))]));

        Assert.Equal(2, processor.Candle(Window(0)).TradeCount);
        Assert.Equal((1L, 1L), (processor.Engine.Counters.Duplicates, processor.Engine.Counters.TooLate));
    }

    [Fact]
    public void Each_partition_has_its_own_watermark()
    {
        var processor = new InMemoryProcessor();
        processor.Process(Trade(1, At(0, 30)), partition: 0);

        processor.Process(Trade(1, At(10, 0), symbol: "ETHUSDT"), partition: 1);

        Assert.False(processor.Candle(Window(0)).IsFinal);
        Assert.Equal(At(0, 25), processor.Engine.Watermark(0));
        Assert.Equal(At(9, 55), processor.Engine.Watermark(1));
        Assert.Equal(TradeOutcome.Applied, processor.Process(Trade(2, At(0, 31)), partition: 0));
    }

    [Fact]
    public void End_of_input_finalizes_every_window_of_its_partition_only_and_leaves_the_watermark_alone()
    {
        var processor = new InMemoryProcessor();
        processor.Process([Trade(1, At(0, 30)), Trade(2, At(1, 1)), Trade(3, At(2, 2))], partition: 0);
        processor.Process(Trade(1, At(0, 30), symbol: "ETHUSDT"), partition: 1);

        processor.EndOfInput(partition: 0);

        Assert.All([Window(0), Window(1), Window(2)], key => Assert.True(processor.Candle(key).IsFinal));
        Assert.False(processor.Candle(Window(0, symbol: "ETHUSDT")).IsFinal);
        Assert.Equal(At(1, 57), processor.Engine.Watermark(0));
        Assert.Equal(TradeOutcome.Applied, processor.Process(Trade(4, At(3, 0)), partition: 0));
        Assert.Equal(TradeOutcome.LateApplied, processor.Process(Trade(5, At(2, 3)), partition: 0));
    }

    [Fact]
    public void A_restart_that_restores_the_partition_event_time_classifies_late_trades_as_before()
    {
        Trade[] history = [Trade(1, At(0, 30)), Trade(2, At(2, 10))];
        var late = Trade(3, At(1, 30));
        var uninterrupted = new InMemoryProcessor();
        uninterrupted.Process(history);
        var restarted = new InMemoryProcessor();
        restarted.Process(history);

        restarted.Restart();

        Assert.Equal(At(2, 10), restarted.Engine.MaxEventTime(0));
        Assert.Equal(TradeOutcome.LateApplied, uninterrupted.Process(late));
        Assert.Equal(TradeOutcome.LateApplied, restarted.Process(late));
        StoredCandle.AssertSame(uninterrupted.Rows, restarted.Rows);
    }

    [Fact]
    public void Without_the_restored_event_time_a_restarted_engine_would_take_a_late_trade_for_an_on_time_one()
    {
        var engine = new WindowingEngine(new WindowingOptions());
        engine.Restore(Window(1), null, partition: 0);

        Assert.Equal(TradeOutcome.Applied, engine.Apply(Trade(3, At(1, 30)), partition: 0));
        Assert.False(Assert.Single(engine.PendingChanges()).IsFinal);
    }

    [Fact]
    public void Restoring_an_older_event_time_never_moves_the_watermark_back()
    {
        var engine = new WindowingEngine(new WindowingOptions());
        engine.RestoreMaxEventTime(0, At(5, 0));

        engine.RestoreMaxEventTime(0, At(1, 0));

        Assert.Equal(At(4, 55), engine.Watermark(0));
    }

    [Fact]
    public void Negative_lateness_settings_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new WindowingEngine(new WindowingOptions { AllowedLateness = TimeSpan.FromSeconds(-1) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WindowingEngine(new WindowingOptions { HardLatenessBound = TimeSpan.FromSeconds(-1) }));
    }
}
