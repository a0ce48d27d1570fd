using System.Text;
using System.Text.Json;
using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.Feeds;
using CryptoPipeline.Ingest.Polling;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Ingest.UnitTests.Polling;

public sealed class PriceParserTests
{
    private static readonly DateTimeOffset PolledAt = new(2024, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void CoinGecko_real_simple_price_answers_give_exact_ticks_per_coin_and_currency()
    {
        var (ticks, defects) = CoinGecko(File.ReadAllText(SharedData.Path("coingecko/go-gecko_simple_price.json")), ["bitcoin", "ethereum"], ["usd", "myr"]);
        using var samples = JsonDocument.Parse(File.ReadAllText(SharedData.Path("coingecko/pycoingecko_samples.json")));
        var (single, _) = CoinGecko(samples.RootElement.GetProperty("pycoingecko_simple_price").GetProperty("response").GetRawText(), ["bitcoin"], ["usd"]);

        Assert.Empty(defects);
        Assert.Equal(
            ["bitcoin-usd 5005.73", "bitcoin-myr 20474", "ethereum-usd 163.58", "ethereum-myr 669.07"],
            ticks.Select(t => $"{t.Symbol} {DecimalText.ToText(t.Price)}"));
        Assert.All(ticks, t => Assert.Equal((Exchanges.CoinGecko, PolledAt, DataSource.Live), (t.Exchange, t.Time, t.Source)));
        Assert.Equal(7984.89m, Assert.Single(single).Price);
    }

    [Fact]
    public void CoinGecko_exponent_prices_convert_exactly_and_last_updated_at_is_the_tick_time()
    {
        var (ticks, defects) = CoinGecko("""{"shiba-inu":{"usd":1.2e-05,"last_updated_at":1709294400}}""", ["shiba-inu"], ["usd"]);

        Assert.Empty(defects);
        var tick = Assert.Single(ticks);
        Assert.Equal("0.000012", DecimalText.ToText(tick.Price));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1709294400), tick.Time);
    }

    [Theory]
    [InlineData("{oops", BadInputKinds.MalformedJson)]
    [InlineData("[]", BadInputKinds.WrongType)]
    [InlineData("""{"dogecoin":{"usd":0.1}}""", BadInputKinds.UnknownSymbol)]
    [InlineData("""{"bitcoin":{"eur":1}}""", BadInputKinds.MissingField)]
    [InlineData("""{"bitcoin":{"usd":"5005.73"}}""", BadInputKinds.InvalidPrice)]
    [InlineData("""{"bitcoin":{"usd":-1}}""", BadInputKinds.InvalidPrice)]
    [InlineData("""{"bitcoin":{"usd":0}}""", BadInputKinds.InvalidPrice)]
    [InlineData("""{"bitcoin":{"usd":1,"last_updated_at":1}}""", BadInputKinds.AbsurdTimestamp)]
    [InlineData("""{"bitcoin":7}""", BadInputKinds.WrongType)]
    public void CoinGecko_bad_answers_are_defects_of_their_kind(string body, string kind)
    {
        var (ticks, defects) = CoinGecko(body, ["bitcoin"], ["usd"]);

        Assert.Empty(ticks);
        Assert.Equal(kind, Assert.Single(defects).Kind);
    }

    [Fact]
    public void Binance_real_ticker_answer_gives_an_exact_tick_at_the_poll_time()
    {
        using var samples = JsonDocument.Parse(File.ReadAllText(SharedData.Path("binance/rest/binance_rest_real_samples.json")));
        var body = samples.RootElement.GetProperty("v3_ticker_price_single_quoted").GetProperty("raw").GetString()!;
        var ticks = new List<PriceTick>();
        var defects = new List<(string, string)>();

        BinanceTickerParser.Parse(Encoding.UTF8.GetBytes(body), new HashSet<string> { "BTCUSDT" }, PolledAt, ticks, defects);
        BinanceTickerParser.Parse("""[{"symbol":"BTCUSDT","price":"NaN"},{"symbol":"ETHUSDT","price":"1"},{"symbol":"BTCUSDT","price":74192.71}]"""u8, new HashSet<string> { "BTCUSDT" }, PolledAt, ticks, defects);

        var tick = Assert.Single(ticks);
        Assert.Equal(("binance:BTCUSDT", "74192.71000000", PolledAt), (tick.Key, DecimalText.ToText(tick.Price), tick.Time));
        Assert.Equal([BadInputKinds.InvalidPrice, BadInputKinds.UnknownSymbol, BadInputKinds.WrongType], defects.Select(d => d.Item1));
    }

    private static (List<PriceTick> Ticks, List<(string Kind, string Detail)> Defects) CoinGecko(string body, string[] ids, string[] currencies)
    {
        var ticks = new List<PriceTick>();
        var defects = new List<(string, string)>();
        CoinGeckoParser.Parse(Encoding.UTF8.GetBytes(body), ids, currencies, PolledAt, ticks, defects);
        return (ticks, defects);
    }
}
