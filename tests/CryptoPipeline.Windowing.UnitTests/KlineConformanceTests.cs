using CryptoPipeline.Contracts;

namespace CryptoPipeline.Windowing.UnitTests;

/// <summary>Candles built from recorded real trades equal Binance's own 1-minute klines, field by field.</summary>
public class KlineConformanceTests
{
    [Fact]
    public void Spot_minute_fully_covered_by_the_official_trades_archive_equals_the_official_kline()
    {
        var processor = new InMemoryProcessor();
        processor.ProcessAll(RecordedTrades.SpotCsv(), batchSize: 100);
        processor.EndOfInput();

        var kline = RecordedTrades.Klines(RecordedTrades.SpotKlinesCsv)[DateTimeOffset.Parse("2025-01-01T00:01:00Z")];
        var candle = processor.Candle(new WindowKey(Exchanges.Binance, "BTCUSDT", kline.OpenTime));

        AssertEqual(kline, candle);
        Assert.True(candle.IsFinal);
    }

    [Theory]
    [InlineData("BTCUSDT-UM-1m-2023-04-04T2357-2023-04-05T0008.excerpt.csv", 7, "usdm_btcusdt_20230404.dat.gz", "usdm_btcusdt_20230405.dat.gz")]
    [InlineData("BTCUSDT-UM-1m-2024-07-18T2356-2024-07-19T0006.excerpt.csv", 7, "usdm_btcusdt_20240718.gz", "usdm_btcusdt_20240719.gz")]
    [InlineData("BTCUSDT-UM-1m-2024-08-08T2354-2024-08-09T0009.excerpt.csv", 4, "usdm_btcusdt_20240808.gz")]
    public void Every_full_minute_of_a_recorded_futures_feed_equals_the_official_kline(string klines, int fullMinutes, params string[] recordings)
    {
        var trades = RecordedTrades.UsdmRecording([.. recordings.Select(file => "binance/usdm-ws/" + file)]);
        var processor = new InMemoryProcessor();
        processor.ProcessAll(trades, batchSize: 500);
        processor.EndOfInput();

        var official = RecordedTrades.Klines("binance/usdm-klines/" + klines);
        var covered = FullMinutes(trades);
        Assert.Equal(fullMinutes, covered.Count);
        foreach (var minute in covered)
        {
            AssertEqual(official[minute], processor.Candle(new WindowKey(Exchanges.BinanceUsdm, "BTCUSDT", minute)));
        }
    }

    [Fact]
    public void Counting_the_insurance_fund_trade_makes_its_minute_disagree_with_the_official_kline()
    {
        var trades = RecordedTrades.UsdmRecording("binance/usdm-ws/usdm_btcusdt_20230404.dat.gz", "binance/usdm-ws/usdm_btcusdt_20230405.dat.gz");
        var insuranceFund = Assert.Single(trades, trade => trade.Kind == TradeKind.InsuranceFund);
        var processor = new InMemoryProcessor(new WindowingOptions { IncludeNonMarketTrades = true });
        processor.ProcessAll(trades, batchSize: 500);

        var minute = WindowKey.For(insuranceFund);
        var kline = RecordedTrades.Klines("binance/usdm-klines/BTCUSDT-UM-1m-2023-04-04T2357-2023-04-05T0008.excerpt.csv")[minute.WindowStart];
        var candle = processor.Candle(minute);
        Assert.Equal(kline.TradeCount + 1, candle.TradeCount);
        Assert.Equal(kline.Volume + insuranceFund.Quantity, candle.Volume);
    }

    /// <summary>
    /// Minutes strictly between the first and the last recorded trade's minute: with contiguous ids
    /// (checked) the recording holds every trade of those minutes.
    /// </summary>
    private static List<DateTimeOffset> FullMinutes(IReadOnlyList<Trade> trades)
    {
        var ids = trades.Select(trade => trade.TradeId).Order().ToList();
        Assert.Equal(ids[^1] - ids[0] + 1, ids.Distinct().Count());
        var first = WindowKey.For(trades.MinBy(trade => trade.TradeId)!).WindowStart;
        var last = WindowKey.For(trades.MaxBy(trade => trade.TradeId)!).WindowStart;
        return [.. Enumerable.Range(1, (int)((last - first) / WindowKey.Length) - 1).Select(i => first + (i * WindowKey.Length))];
    }

    /// <summary>All nine kline values and the close time; decimals compare by value (the CSV pads with zeros).</summary>
    private static void AssertEqual(Kline kline, Candle candle)
    {
        Assert.Equal(kline.OpenTime, candle.WindowStart);
        Assert.Equal(kline.CloseTime, candle.WindowEnd.AddMilliseconds(-1));
        Assert.Equal(kline.Open, candle.Open);
        Assert.Equal(kline.High, candle.High);
        Assert.Equal(kline.Low, candle.Low);
        Assert.Equal(kline.Close, candle.Close);
        Assert.Equal(kline.Volume, candle.Volume);
        Assert.Equal(kline.QuoteVolume, candle.QuoteVolume);
        Assert.Equal(kline.TradeCount, candle.TradeCount);
        Assert.Equal(kline.TakerBuyVolume, candle.TakerBuyVolume);
        Assert.Equal(kline.TakerBuyQuoteVolume, candle.TakerBuyQuoteVolume);
    }
}
