using System.Globalization;
using System.Text;
using System.Text.Json;
using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.Binance;
using CryptoPipeline.Ingest.Feeds;

namespace CryptoPipeline.Ingest.UnitTests.Binance;

public sealed class BinanceRestParserTests
{
    private static readonly DateTimeOffset ReceivedAt = DateTimeOffset.Parse("2024-08-09T00:00:00Z", CultureInfo.InvariantCulture);

    [Fact]
    public void Historical_trades_become_back_filled_market_trades()
    {
        var trades = new List<Trade>();
        var bad = new List<string>();

        BinanceRestParser.ParseHistoricalTrades(BinanceSamples.RestBody("v1_historicalTrades_ETHBTC_2018-01-08"), BinanceMarket.Spot, "ETHBTC", ReceivedAt, trades, (kind, _) => bad.Add(BinanceBadInputNames.TagOf(kind)));

        Assert.Empty(bad);
        Assert.Equal([17851860L, 17851861L, 17851862L], trades.Select(t => t.TradeId));
        var first = trades[0];
        Assert.Equal(("ETHBTC", Exchanges.Binance, Markets.Spot), (first.Symbol, first.Exchange, first.Market));
        Assert.Equal("0.07600400", DecimalText.ToText(first.Price));
        Assert.Equal("0.11000000", DecimalText.ToText(first.Quantity));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1515440470089), first.TradeTime);
        Assert.True(first.IsBuyerMaker);
        Assert.False(trades[1].IsBuyerMaker);
        Assert.All(trades, t => Assert.Equal((TradeKind.Market, DataSource.Backfill, ReceivedAt), (t.Kind, t.Source, t.ReceivedAt)));
    }

    [Fact]
    public void Futures_historical_trades_without_best_match_are_read()
    {
        var body = """[{"id":3535191079,"price":"28722.40","qty":"0.010","quoteQty":"287.22","time":1680652874399,"isBuyerMaker":false}]"""u8;
        var trades = new List<Trade>();

        BinanceRestParser.ParseHistoricalTrades(body, BinanceMarket.Usdm, "BTCUSDT", ReceivedAt, trades, (_, detail) => Assert.Fail(detail));

        var trade = Assert.Single(trades);
        Assert.Equal((Exchanges.BinanceUsdm, Markets.Usdm, 3535191079L), (trade.Exchange, trade.Market, trade.TradeId));
        Assert.Equal("0.010", DecimalText.ToText(trade.Quantity));
    }

    [Fact]
    public void Bad_rows_are_reported_by_kind_and_the_good_rows_kept()
    {
        var body = Encoding.UTF8.GetBytes("""
            [{"id":1,"price":"1.5","qty":"2","time":1515440470089,"isBuyerMaker":true},
             {"id":2,"price":"NaN","qty":"2","time":1515440470089,"isBuyerMaker":true},
             {"id":3,"price":"1.5","qty":"-2","time":1515440470089,"isBuyerMaker":true},
             {"id":4,"price":"1.5","qty":"2","time":1515440470,"isBuyerMaker":true},
             {"id":-5,"price":"1.5","qty":"2","time":1515440470089,"isBuyerMaker":true},
             {"id":6,"price":"1.5","qty":"2","time":1515440470089},
             {"id":7,"price":{"nested":[1,2]},"qty":"2","time":1515440470089,"isBuyerMaker":true},
             {"id":8,"price":"1.5","qty":"2","time":1515440470089,"isBuyerMaker":"yes"},
             {"id":9,"price":"1.5","qty":"2","time":1515440470089,"isBuyerMaker":false}]
            """);
        var trades = new List<Trade>();
        var bad = new List<string>();

        BinanceRestParser.ParseHistoricalTrades(body, BinanceMarket.Spot, "BTCUSDT", ReceivedAt, trades, (kind, _) => bad.Add(BinanceBadInputNames.TagOf(kind)));

        Assert.Equal([1L, 9L], trades.Select(t => t.TradeId));
        Assert.Equal(
            [BadInputKinds.InvalidPrice, BadInputKinds.InvalidQuantity, BadInputKinds.AbsurdTimestamp, BadInputKinds.InvalidTradeId, BadInputKinds.MissingField, BadInputKinds.InvalidPrice, BadInputKinds.WrongType],
            bad);
    }

    [Fact]
    public void A_body_that_is_not_an_array_of_trades_throws()
    {
        var trades = new List<Trade>();

        Assert.ThrowsAny<JsonException>(() => BinanceRestParser.ParseHistoricalTrades("""{"code":-1121,"msg":"Invalid symbol."}"""u8, BinanceMarket.Spot, "BTCUSDT", ReceivedAt, trades, (_, _) => { }));
        Assert.ThrowsAny<JsonException>(() => BinanceRestParser.ParseHistoricalTrades("""[1,2]"""u8, BinanceMarket.Spot, "BTCUSDT", ReceivedAt, trades, (_, _) => { }));
    }

    [Fact]
    public void Usdt_pairs_are_the_trading_ones_quoted_in_usdt_and_on_futures_perpetual()
    {
        var body = """
            {"timezone":"UTC","symbols":[
              {"symbol":"ETHUSDT","status":"TRADING","quoteAsset":"USDT","contractType":"PERPETUAL"},
              {"symbol":"BTCUSDT","status":"TRADING","quoteAsset":"USDT","contractType":"PERPETUAL"},
              {"symbol":"LUNAUSDT","status":"BREAK","quoteAsset":"USDT","contractType":"PERPETUAL"},
              {"symbol":"ETHBTC","status":"TRADING","quoteAsset":"BTC","contractType":"PERPETUAL"},
              {"symbol":"BTCUSDT_260925","status":"TRADING","quoteAsset":"USDT","contractType":"CURRENT_QUARTER"}]}
            """u8;

        Assert.Equal(["BTCUSDT", "BTCUSDT_260925", "ETHUSDT"], BinanceRestParser.ParseUsdtSymbols(body, BinanceMarket.Spot));
        Assert.Equal(["BTCUSDT", "ETHUSDT"], BinanceRestParser.ParseUsdtSymbols(body, BinanceMarket.Usdm));
    }
}
