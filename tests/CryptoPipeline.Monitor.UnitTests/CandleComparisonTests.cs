using System.Text;
using CryptoPipeline.Monitor.Reconciliation;

namespace CryptoPipeline.Monitor.UnitTests;

public sealed class CandleComparisonTests
{
    private static readonly DateTimeOffset T0 = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    // Official klines of BTCUSDT 2020-01-01 00:00 and 00:01 (shared/data/binance/spot-klines), as Binance's REST sends them.
    private const string Body = """
        [[1577836800000,"7195.24000000","7196.25000000","7183.14000000","7186.68000000","51.64281200",1577836859999,"371233.51835535",493,"19.59823000","140888.41428273","0"],
         [1577836860000,"7187.67000000","7188.06000000","7182.20000000","7184.03000000","7.24814800",1577836919999,"52080.12778780",135,"2.03177200","14599.21192429","0"]]
        """;

    private static List<MinuteCandle> Klines() => BinanceKlinesClient.Parse(Encoding.UTF8.GetBytes(Body), "test");

    [Fact]
    public void Klines_parse_exactly_with_the_exchange_s_own_scale()
    {
        var first = Klines()[0];

        Assert.Equal(T0, first.OpenTime);
        Assert.Equal("7195.24000000", first.Open.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(371233.51835535m, first.QuoteVolume);
        Assert.Equal(493, first.TradeCount);
        Assert.Equal(140888.41428273m, first.TakerBuyQuoteVolume);
    }

    [Fact]
    public void Equal_values_at_a_different_scale_match()
    {
        var ours = Klines().Select(k => new StoredCandle(k with { Open = decimal.Parse(k.Open.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture) }, true)).ToList();

        var comparison = CandleComparison.Compare(ours, Klines());

        Assert.Empty(comparison.Mismatches);
        Assert.Equal(2, comparison.Compared);
    }

    [Fact]
    public void Each_differing_field_is_a_mismatch_with_both_values()
    {
        var klines = Klines();
        var ours = new List<StoredCandle>
        {
            new(klines[0] with { Close = 7186.69m, TradeCount = 492 }, true),
            new(klines[1], true),
        };

        var comparison = CandleComparison.Compare(ours, klines);

        Assert.Equal(
            [
                new CandleMismatch(T0, "field", "close", "7186.69", "7186.68000000"),
                new CandleMismatch(T0, "field", "trade_count", "492", "493"),
            ],
            comparison.Mismatches);
        Assert.Equal(1, comparison.MismatchedCandles);
    }

    [Fact]
    public void Candles_not_final_yet_are_not_compared()
    {
        var klines = Klines();

        var comparison = CandleComparison.Compare([new(klines[0] with { Volume = 1m }, false), new(klines[1], true)], klines);

        Assert.Empty(comparison.Mismatches);
        Assert.Equal((1, 1), (comparison.Compared, comparison.NotFinal));
    }

    [Fact]
    public void A_kline_between_our_candles_without_one_of_ours_is_missing_and_a_candle_without_a_kline_is_unexpected()
    {
        var klines = Klines();
        var third = klines[1] with { OpenTime = T0.AddMinutes(2) };

        var comparison = CandleComparison.Compare([new(klines[0], true), new(third, true)], [klines[0], klines[1]]);

        Assert.Equal(
            [
                new CandleMismatch(T0.AddMinutes(1), "missing", null, null, "kline"),
                new CandleMismatch(T0.AddMinutes(2), "unexpected", null, "candle", null),
            ],
            comparison.Mismatches);
    }

    [Fact]
    public void Klines_outside_our_first_and_last_candle_are_not_missing()
    {
        var klines = Klines();

        var comparison = CandleComparison.Compare([new(klines[1], true)], klines);

        Assert.Empty(comparison.Mismatches);
    }

    [Theory]
    [InlineData("{\"code\":-1121,\"msg\":\"Invalid symbol.\"}")]
    [InlineData("[[1577836800000,\"x\"]]")]
    [InlineData("[[1577836800000,\"1\",\"1\",\"1\",\"1\",\"1\",1,\"1\",1,\"1\",\"abc\",\"0\"]]")]
    public void A_body_that_is_not_klines_is_an_error_naming_the_url(string body)
    {
        var error = Assert.Throws<HttpRequestException>(() => BinanceKlinesClient.Parse(Encoding.UTF8.GetBytes(body), "http://exchange/api/v3/klines"));

        Assert.Contains("http://exchange/api/v3/klines", error.Message, StringComparison.Ordinal);
    }
}
