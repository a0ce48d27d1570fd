using CryptoPipeline.Contracts;
using static CryptoPipeline.Windowing.UnitTests.TestTrades;

namespace CryptoPipeline.Windowing.UnitTests;

/// <summary>How the service drives the engine: residency, commits, eviction and resets.</summary>
public class EngineProtocolTests
{
    [Fact]
    public void Missing_windows_names_each_window_the_batch_needs_once_and_not_those_in_memory_or_excluded()
    {
        var engine = new WindowingEngine(new WindowingOptions());
        engine.Restore(Window(0), null, partition: 0);

        var missing = engine.MissingWindows([
            Trade(1, At(0, 1)),
            Trade(2, At(1, 1)),
            Trade(3, At(1, 2)),
            Trade(4, At(2, 0), kind: TradeKind.InsuranceFund),
            Trade(1, At(1, 3), symbol: "ETHUSDT"),
        ]);

        Assert.Equal(2, missing.Count);
        Assert.Contains(Window(1), missing);
        Assert.Contains(Window(1, symbol: "ETHUSDT"), missing);
    }

    [Fact]
    public void Applying_a_trade_whose_window_is_not_in_memory_is_a_clear_error()
    {
        var engine = new WindowingEngine(new WindowingOptions());

        var error = Assert.Throws<InvalidOperationException>(() => engine.Apply(Trade(1, At(0, 1)), partition: 0));

        Assert.Contains("MissingWindows", error.Message, StringComparison.Ordinal);
        Assert.Equal(default, engine.Counters);
        Assert.Null(engine.MaxEventTime(0));
    }

    [Fact]
    public void Restoring_a_window_already_in_memory_is_a_clear_error()
    {
        var engine = new WindowingEngine(new WindowingOptions());
        engine.Restore(Window(0), null, partition: 0);

        Assert.Throws<InvalidOperationException>(() => engine.Restore(Window(0), null, partition: 0));
    }

    [Fact]
    public void Pending_changes_hold_each_changed_window_once_until_committed()
    {
        var engine = new WindowingEngine(new WindowingOptions());
        engine.Restore(Window(0), null, partition: 0);
        engine.Restore(Window(1), null, partition: 0);
        engine.Apply(Trade(1, At(0, 1)), partition: 0);
        engine.Apply(Trade(2, At(0, 2)), partition: 0);

        var changes = engine.PendingChanges();

        Assert.Equal(Window(0), Assert.Single(changes).Key);
        engine.MarkCommitted();
        Assert.Empty(engine.PendingChanges());
    }

    [Fact]
    public void Committing_after_trades_applied_since_the_pending_changes_were_taken_is_refused()
    {
        var engine = new WindowingEngine(new WindowingOptions());
        engine.Restore(Window(0), null, partition: 0);
        engine.Apply(Trade(1, At(0, 1)), partition: 0);
        engine.PendingChanges();
        engine.Apply(Trade(2, At(0, 2)), partition: 0);

        Assert.Throws<InvalidOperationException>(engine.MarkCommitted);
    }

    [Fact]
    public void Final_windows_leave_memory_after_the_commit_and_open_ones_stay()
    {
        var processor = new InMemoryProcessor();

        processor.Process([Trade(1, At(0, 1)), Trade(2, At(1, 10))]);

        Assert.Equal(1, processor.Engine.ResidentWindows);
        Assert.Equal([Window(0)], processor.Engine.MissingWindows([Trade(3, At(0, 3)), Trade(4, At(1, 11))]));
    }

    [Fact]
    public void Final_windows_stay_in_memory_when_eviction_is_off()
    {
        var processor = new InMemoryProcessor(new WindowingOptions { EvictFinalWindowsAfterCommit = false });

        processor.Process([Trade(1, At(0, 1)), Trade(2, At(1, 10))]);

        Assert.Equal(2, processor.Engine.ResidentWindows);
        Assert.Equal(TradeOutcome.LateApplied, processor.Process(Trade(3, At(0, 3))));
        Assert.Equal(3, processor.RowsWrittenPerCommit.Sum());
    }

    [Fact]
    public void Resetting_a_partition_forgets_its_windows_and_event_time_and_nothing_else()
    {
        var engine = new WindowingEngine(new WindowingOptions());
        engine.Restore(Window(0), null, partition: 0);
        engine.Restore(Window(0, symbol: "ETHUSDT"), null, partition: 1);
        engine.Apply(Trade(1, At(0, 1)), partition: 0);
        engine.Apply(Trade(1, At(0, 1), symbol: "ETHUSDT"), partition: 1);

        engine.Reset(partition: 0);

        Assert.Null(engine.Watermark(0));
        Assert.NotNull(engine.Watermark(1));
        Assert.Equal(1, engine.ResidentWindows);
        Assert.Equal(Window(0, symbol: "ETHUSDT"), Assert.Single(engine.PendingChanges()).Key);
        Assert.Equal([Window(0)], engine.MissingWindows([Trade(2, At(0, 2)), Trade(2, At(0, 2), symbol: "ETHUSDT")]));
    }

    [Fact]
    public void After_a_failed_commit_a_reset_and_reprocessing_give_the_rows_of_a_single_successful_commit()
    {
        Trade[] committed = [Trade(1, At(0, 1)), Trade(2, At(0, 2))];
        Trade[] failed = [Trade(3, At(0, 3)), Trade(4, At(1, 10))];
        var reference = new InMemoryProcessor();
        reference.Process(committed);
        reference.Process(failed);
        var processor = new InMemoryProcessor();
        processor.Process(committed);
        foreach (var key in processor.Engine.MissingWindows(failed))
        {
            processor.Engine.Restore(key, processor.Rows.GetValueOrDefault(key)?.ToState(), partition: 0);
        }

        foreach (var trade in failed)
        {
            processor.Engine.Apply(trade, partition: 0);
        }

        Assert.Equal(2, processor.Engine.PendingChanges().Count);
        processor.Engine.Reset();
        Assert.Equal(0, processor.Engine.ResidentWindows);
        Assert.Empty(processor.Engine.PendingChanges());
        processor.Restart();
        processor.Process(failed);

        StoredCandle.AssertSame(reference.Rows, processor.Rows);
    }

    [Fact]
    public void A_trade_with_an_undefined_source_is_refused_before_it_changes_its_window()
    {
        var engine = new WindowingEngine(new WindowingOptions());
        engine.Restore(Window(0), null, partition: 0);

        Assert.Throws<ArgumentOutOfRangeException>(() => engine.Apply(Trade(1, At(0, 1), source: (DataSource)42), partition: 0));

        Assert.Empty(engine.PendingChanges());
        Assert.Equal(TradeOutcome.Applied, engine.Apply(Trade(1, At(0, 1)), partition: 0));
    }
}
