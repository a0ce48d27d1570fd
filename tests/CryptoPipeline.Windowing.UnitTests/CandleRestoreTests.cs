using CryptoPipeline.Contracts;
using static CryptoPipeline.Windowing.UnitTests.TestTrades;

namespace CryptoPipeline.Windowing.UnitTests;

public class CandleRestoreTests
{
    [Fact]
    public void A_restored_row_continues_as_if_it_had_never_left_memory()
    {
        Trade[] first = [Trade(10, At(0, 10), price: 100m, quantity: 1m), Trade(11, At(0, 11), price: 102m, quantity: 2m, isBuyerMaker: true)];
        Trade[] second = [Trade(9, At(0, 20), price: 99m, quantity: 0.5m), Trade(12, At(0, 30), price: 101m, quantity: 1.5m)];
        var uninterrupted = new InMemoryProcessor();
        uninterrupted.Process(first);
        uninterrupted.Process(second);
        var restarted = new InMemoryProcessor();
        restarted.Process(first);

        restarted.Restart();
        restarted.Process(second);

        StoredCandle.AssertSame(uninterrupted.Rows, restarted.Rows);
        var candle = restarted.Candle(Window(0));
        Assert.Equal((99m, 102m, 99m, 101m), (candle.Open, candle.High, candle.Low, candle.Close));
        Assert.Equal([(9L, 12L)], restarted.Rows[Window(0)].TradeIdRanges);
    }

    public static TheoryData<string, Func<Candle, Candle>> BrokenRows => new()
    {
        { "window end", candle => candle with { WindowEnd = candle.WindowEnd.AddSeconds(1) } },
        { "trade count", candle => candle with { TradeCount = 0 } },
        { "trade ids", candle => candle with { TradeCount = 4 } },
        { "first/last trade id", candle => candle with { FirstTradeId = 9 } },
        { "outside the window", candle => candle with { LastTradeTime = candle.WindowEnd } },
        { "outside low", candle => candle with { Open = candle.High + 1 } },
        { "source", candle => candle with { Source = (DataSource)42 } },
    };

    [Theory]
    [MemberData(nameof(BrokenRows))]
    public void A_row_that_is_not_a_consistent_window_is_refused_with_the_reason(string reason, Func<Candle, Candle> breakRow)
    {
        var processor = new InMemoryProcessor();
        processor.Process([Trade(10, At(0, 10)), Trade(11, At(0, 11)), Trade(12, At(0, 12))]);
        var row = processor.Rows[Window(0)];

        var error = Assert.Throws<ArgumentException>(() => CandleState.Restore(breakRow(row.Candle), row.PriceSum, TradeIdSet.FromRanges(row.TradeIdRanges)));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_row_whose_window_does_not_start_on_a_minute_is_refused()
    {
        var processor = new InMemoryProcessor();
        processor.Process(Trade(10, At(0, 10)));
        var row = processor.Rows[Window(0)];

        Assert.Throws<ArgumentException>(() => CandleState.Restore(row.Candle with { WindowStart = At(0, 1) }, row.PriceSum, TradeIdSet.FromRanges(row.TradeIdRanges)));
    }

    [Fact]
    public void A_state_passed_for_another_window_is_refused()
    {
        var processor = new InMemoryProcessor();
        processor.Process(Trade(10, At(0, 10)));
        var engine = new WindowingEngine(new WindowingOptions());

        Assert.Throws<ArgumentException>(() => engine.Restore(Window(1), processor.Rows[Window(0)].ToState(), partition: 0));
    }
}
