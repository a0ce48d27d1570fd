using CryptoPipeline.Contracts;
using static CryptoPipeline.Windowing.UnitTests.TestTrades;

namespace CryptoPipeline.Windowing.UnitTests;

public class CandleAggregationTests
{
    [Fact]
    public void Trades_at_the_first_and_last_millisecond_share_a_window_and_the_next_millisecond_opens_the_next()
    {
        var processor = new InMemoryProcessor();

        processor.Process([Trade(1, At(0, 0, 0), price: 10m), Trade(2, At(0, 59, 999), price: 11m), Trade(3, At(1, 0, 0), price: 12m)]);

        var first = processor.Candle(Window(0));
        Assert.Equal(2, first.TradeCount);
        Assert.Equal((10m, 11m), (first.Open, first.Close));
        Assert.Equal(At(1, 0), first.WindowEnd);
        Assert.Equal(At(0, 59, 999), first.WindowEnd.AddMilliseconds(-1));
        var second = processor.Candle(Window(1));
        Assert.Equal(1, second.TradeCount);
        Assert.Equal(12m, second.Open);
    }

    [Fact]
    public void A_window_key_floors_to_the_utc_minute_whatever_the_offset_and_rejects_an_unaligned_start()
    {
        var key = WindowKey.Containing(Exchanges.Binance, Symbol, new DateTimeOffset(2025, 1, 1, 2, 0, 59, 999, 999, TimeSpan.FromHours(2)));

        Assert.Equal(Day, key.WindowStart);
        Assert.Equal(TimeSpan.Zero, key.WindowStart.Offset);
        Assert.Equal(Day.AddMinutes(1), key.WindowEnd);
        Assert.Throws<ArgumentException>(() => new WindowKey(Exchanges.Binance, Symbol, Day.AddSeconds(1)));
    }

    [Fact]
    public void Open_and_close_follow_trade_id_order_not_arrival_order()
    {
        var processor = new InMemoryProcessor();

        processor.Process([
            Trade(5, At(0, 20), price: 105m),
            Trade(3, At(0, 30), price: 103m),
            Trade(7, At(0, 10), price: 107m),
            Trade(4, At(0, 40), price: 104m),
            Trade(6, At(0, 50), price: 106m),
        ]);

        var candle = processor.Candle(Window(0));
        Assert.Equal((103m, 3L, At(0, 30)), (candle.Open, candle.FirstTradeId, candle.FirstTradeTime));
        Assert.Equal((107m, 7L, At(0, 10)), (candle.Close, candle.LastTradeId, candle.LastTradeTime));
    }

    [Fact]
    public void A_trade_with_a_lower_id_arriving_in_a_later_batch_replaces_the_open()
    {
        var processor = new InMemoryProcessor();

        processor.Process(Trade(10, At(0, 5), price: 110m));
        processor.Process(Trade(9, At(0, 6), price: 109m));

        var candle = processor.Candle(Window(0));
        Assert.Equal((109m, 9L), (candle.Open, candle.FirstTradeId));
        Assert.Equal((110m, 10L), (candle.Close, candle.LastTradeId));
    }

    [Fact]
    public void High_and_low_are_the_extreme_prices_whatever_the_order()
    {
        var processor = new InMemoryProcessor();

        processor.Process([Trade(1, At(0, 1), price: 100m), Trade(2, At(0, 2), price: 99.5m), Trade(3, At(0, 3), price: 101.25m), Trade(4, At(0, 4), price: 100m)]);

        var candle = processor.Candle(Window(0));
        Assert.Equal((101.25m, 99.5m), (candle.High, candle.Low));
    }

    [Fact]
    public void Sums_are_exact_decimals_and_prices_keep_the_exchange_scale()
    {
        var processor = new InMemoryProcessor();
        var price = 93610.92000000m;

        processor.Process([
            Trade(1, At(0, 1), price: price, quantity: 0.1m),
            Trade(2, At(0, 2), price: price, quantity: 0.2m),
            Trade(3, At(0, 3), price: 0.00000001m, quantity: 123456789.12345678m),
        ]);

        var candle = processor.Candle(Window(0));
        Assert.Equal("93610.92000000", DecimalText.ToText(candle.Open));
        Assert.Equal(123456789.42345678m, candle.Volume);
        // 0.3 × 93610.92 plus 1.2345678912345678: no binary rounding anywhere.
        Assert.Equal(28083.276m + 1.2345678912345678m, candle.QuoteVolume);
        Assert.Equal((price * 2) + 0.00000001m, processor.Rows[Window(0)].PriceSum);
    }

    [Fact]
    public void Taker_buy_sums_count_only_trades_whose_buyer_was_the_taker()
    {
        var processor = new InMemoryProcessor();

        processor.Process([
            Trade(1, At(0, 1), price: 10m, quantity: 2m, isBuyerMaker: false),
            Trade(2, At(0, 2), price: 20m, quantity: 3m, isBuyerMaker: true),
            Trade(3, At(0, 3), price: 30m, quantity: 0.5m, isBuyerMaker: false),
        ]);

        var candle = processor.Candle(Window(0));
        Assert.Equal(5.5m, candle.Volume);
        Assert.Equal(95m, candle.QuoteVolume);
        Assert.Equal(2.5m, candle.TakerBuyVolume);
        Assert.Equal(35m, candle.TakerBuyQuoteVolume);
    }

    [Fact]
    public void Vwap_weights_prices_by_quantity_and_average_price_does_not()
    {
        var processor = new InMemoryProcessor();

        processor.Process([Trade(1, At(0, 1), price: 10m, quantity: 3m), Trade(2, At(0, 2), price: 20m, quantity: 1m)]);

        var candle = processor.Candle(Window(0));
        Assert.Equal(12.5m, candle.Vwap);
        Assert.Equal(15m, candle.AvgPrice);
    }

    [Theory]
    [InlineData(DataSource.Live, DataSource.Live, DataSource.Live)]
    [InlineData(DataSource.Backfill, DataSource.Backfill, DataSource.Backfill)]
    [InlineData(DataSource.Live, DataSource.Backfill, DataSource.Live)]
    [InlineData(DataSource.Backfill, DataSource.Live, DataSource.Live)]
    [InlineData(DataSource.Live, DataSource.Replay, DataSource.Replay)]
    [InlineData(DataSource.Replay, DataSource.Backfill, DataSource.Replay)]
    [InlineData(DataSource.Simulated, DataSource.Live, DataSource.Simulated)]
    [InlineData(DataSource.Replay, DataSource.Simulated, DataSource.Simulated)]
    public void Live_data_with_backfilled_trades_stays_live_and_anything_else_not_live_keeps_its_label(DataSource first, DataSource second, DataSource expected)
    {
        var processor = new InMemoryProcessor();

        processor.Process([Trade(1, At(0, 1), source: first), Trade(2, At(0, 2), source: second)]);

        Assert.Equal(expected, processor.Candle(Window(0)).Source);
    }

    [Fact]
    public void Futures_trades_that_are_not_market_trades_are_left_out_unless_the_options_include_them()
    {
        Trade[] trades = [
            Trade(1, At(0, 1), price: 10m, exchange: Exchanges.BinanceUsdm),
            Trade(2, At(0, 2), price: 50m, kind: TradeKind.InsuranceFund, exchange: Exchanges.BinanceUsdm),
            Trade(3, At(0, 3), price: 12m, kind: TradeKind.Adl, exchange: Exchanges.BinanceUsdm),
        ];
        var excluding = new InMemoryProcessor();
        var including = new InMemoryProcessor(new WindowingOptions { IncludeNonMarketTrades = true });

        Assert.Equal([TradeOutcome.Applied, TradeOutcome.Excluded, TradeOutcome.Excluded], excluding.Process(trades));
        Assert.Equal([TradeOutcome.Applied, TradeOutcome.Applied, TradeOutcome.Applied], including.Process(trades));

        var window = Window(0, exchange: Exchanges.BinanceUsdm);
        Assert.Equal((1L, 10m), (excluding.Candle(window).TradeCount, excluding.Candle(window).High));
        Assert.Equal((3L, 50m), (including.Candle(window).TradeCount, including.Candle(window).High));
        Assert.Equal(2, excluding.Engine.Counters.Excluded);
    }

    [Fact]
    public void Instruments_and_exchanges_get_windows_of_their_own()
    {
        var processor = new InMemoryProcessor();

        processor.Process([
            Trade(1, At(0, 1), price: 10m),
            Trade(1, At(0, 1), price: 20m, symbol: "ETHUSDT"),
            Trade(1, At(0, 1), price: 30m, exchange: Exchanges.BinanceUsdm),
            Trade(2, At(0, 2), price: 11m),
        ]);

        Assert.Equal(3, processor.Rows.Count);
        Assert.Equal((10m, 11m), (processor.Candle(Window(0)).Open, processor.Candle(Window(0)).Close));
        Assert.Equal(20m, processor.Candle(Window(0, symbol: "ETHUSDT")).Close);
        Assert.Equal(30m, processor.Candle(Window(0, exchange: Exchanges.BinanceUsdm)).Close);
    }
}
