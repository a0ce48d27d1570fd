using System.Globalization;
using System.Text;
using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.Binance;
using CryptoPipeline.Ingest.Feeds;

namespace CryptoPipeline.Ingest.UnitTests.Binance;

public sealed class BinanceStreamParserTests
{
    private static readonly DateTimeOffset ReceivedAt = DateTimeOffset.Parse("2024-08-09T00:00:00Z", CultureInfo.InvariantCulture);

    private static readonly BinanceStreamParser Spot = new(BinanceMarket.Spot, ["BTCUSDT", "ETHUSDT"]);
    private static readonly BinanceStreamParser Usdm = new(BinanceMarket.Usdm, ["BTCUSDT"]);

    private const string ValidTrade =
        """{"stream":"btcusdt@trade","data":{"e":"trade","E":1723161255343,"s":"BTCUSDT","t":3735683259,"p":"61837.63000000","q":"0.02000000","T":1723161255342,"m":true,"M":true}}""";

    [Fact]
    public void Spot_trade_is_read_with_the_exchange_s_exact_decimals()
    {
        var frame = Spot.Parse(BinanceSamples.Frame("spot_trade_combined_2024"), ReceivedAt);

        Assert.Equal(BinanceFrameKind.Trade, frame.Kind);
        var trade = frame.Trade!;
        Assert.Equal(Exchanges.Binance, trade.Exchange);
        Assert.Equal(Markets.Spot, trade.Market);
        Assert.Equal("BTCUSDT", trade.Symbol);
        Assert.Equal(3735683259, trade.TradeId);
        Assert.Equal("61837.63000000", DecimalText.ToText(trade.Price));
        Assert.Equal("0.02000000", DecimalText.ToText(trade.Quantity));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1723161255342), trade.TradeTime);
        Assert.True(trade.IsBuyerMaker);
        Assert.Equal(TradeKind.Market, trade.Kind);
        Assert.Equal(DataSource.Live, trade.Source);
        Assert.Equal(ReceivedAt, trade.ReceivedAt);
    }

    [Fact]
    public void Spot_trade_of_the_older_layout_with_order_ids_is_read()
    {
        var frame = Spot.Parse(BinanceSamples.Frame("spot_trade_combined_2023_with_b_a_fields", 1), ReceivedAt);

        Assert.Equal(BinanceFrameKind.Trade, frame.Kind);
        Assert.Equal(3071245455, frame.Trade!.TradeId);
        Assert.Equal("28165.47000000", DecimalText.ToText(frame.Trade.Price));
        Assert.Equal("0.00128000", DecimalText.ToText(frame.Trade.Quantity));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1680652800001), frame.Trade.TradeTime);
    }

    [Fact]
    public void Futures_trade_keeps_its_kind()
    {
        var market = Usdm.Parse(BinanceSamples.Frame("usdm_trade_combined", 1), ReceivedAt);
        var insurance = Usdm.Parse(BinanceSamples.Frame("usdm_trade_INSURANCE_FUND"), ReceivedAt);

        Assert.Equal(TradeKind.Market, market.Trade!.Kind);
        Assert.False(market.Trade.IsBuyerMaker);
        Assert.Equal(Exchanges.BinanceUsdm, market.Trade.Exchange);
        Assert.Equal(Markets.Usdm, market.Trade.Market);
        Assert.Equal(TradeKind.InsuranceFund, insurance.Trade!.Kind);
        Assert.Equal(3535191080, insurance.Trade.TradeId);
        Assert.Equal("28722.50", DecimalText.ToText(insurance.Trade.Price));
    }

    [Fact]
    public void Futures_trade_of_a_kind_Binance_adds_later_is_kept_as_unknown()
    {
        var frame = Usdm.Parse(Utf8("""{"stream":"btcusdt@trade","data":{"e":"trade","E":1680652807006,"T":1680652804962,"s":"BTCUSDT","t":3535188229,"p":"28155.10","q":"0.001","X":"LIQUIDATION_2030","m":true}}"""), ReceivedAt);

        Assert.Equal(BinanceFrameKind.Trade, frame.Kind);
        Assert.Equal(TradeKind.Unknown, frame.Trade!.Kind);
    }

    [Fact]
    public void Spot_book_ticker_has_no_exchange_time()
    {
        var frame = Spot.Parse(BinanceSamples.Frame("spot_bookTicker_combined_2024"), ReceivedAt);

        Assert.Equal(BinanceFrameKind.Quote, frame.Kind);
        var quote = frame.Quote!;
        Assert.Equal("BTCUSDT", quote.Symbol);
        Assert.Equal(50093239212, quote.UpdateId);
        Assert.Equal("61837.63000000", DecimalText.ToText(quote.BidPrice));
        Assert.Equal("3.78826000", DecimalText.ToText(quote.BidQuantity));
        Assert.Equal("61837.64000000", DecimalText.ToText(quote.AskPrice));
        Assert.Equal("1.54698000", DecimalText.ToText(quote.AskQuantity));
        Assert.Null(quote.Time);
    }

    [Fact]
    public void Futures_book_ticker_carries_its_transaction_time()
    {
        var frame = Usdm.Parse(BinanceSamples.Frame("usdm_bookTicker_combined"), ReceivedAt);

        Assert.Equal(BinanceFrameKind.Quote, frame.Kind);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1680652800089), frame.Quote!.Time);
        Assert.Equal(2710249422918, frame.Quote.UpdateId);
        Assert.Equal("3.793", DecimalText.ToText(frame.Quote.AskQuantity));
    }

    [Theory]
    [InlineData("spot_depth100ms_combined_2024", "btcusdt@depth@100ms")]
    [InlineData("usdm_markPrice_1s", "btcusdt@markPrice@1s")]
    [InlineData("spot_aggTrade_combined_2021", "nknusdt@aggTrade")]
    public void Streams_the_feed_does_not_use_are_ignored_not_bad(string group, string stream)
    {
        var parser = group.StartsWith("usdm", StringComparison.Ordinal) ? Usdm : Spot;

        var frame = parser.Parse(BinanceSamples.Frame(group), ReceivedAt);

        Assert.Equal(BinanceFrameKind.Ignored, frame.Kind);
        Assert.Equal(stream, frame.Detail);
    }

    [Fact]
    public void Subscribe_answers_are_responses_with_their_id_and_error()
    {
        var ok = Spot.Parse(Utf8("""{"result":null,"id":3}"""), ReceivedAt);
        var refused = Spot.Parse(Utf8("""{"error":{"code":2,"msg":"Invalid request: unknown stream"},"id":4}"""), ReceivedAt);

        Assert.Equal((BinanceFrameKind.Response, 3L, (string?)null), (ok.Kind, ok.ResponseId, ok.Detail));
        Assert.Equal((BinanceFrameKind.Response, 4L), (refused.Kind, refused.ResponseId));
        Assert.Equal("code 2: Invalid request: unknown stream", refused.Detail);
    }

    [Fact]
    public void Data_before_the_stream_name_is_still_read()
    {
        var frame = Spot.Parse(Utf8("""{"data":{"e":"trade","E":1723161255343,"s":"BTCUSDT","t":7,"p":"1.5","q":"2","T":1723161255342,"m":false,"M":true},"stream":"btcusdt@trade"}"""), ReceivedAt);

        Assert.Equal(BinanceFrameKind.Trade, frame.Kind);
        Assert.Equal(7, frame.Trade!.TradeId);
    }

    [Theory]
    [InlineData("""{"stream":"btcusdt@trade","data":{"e":"trade","s":"BTCUSDT","t":1""", BadInputKinds.MalformedJson)]
    [InlineData(ValidTrade + "garbage", BadInputKinds.MalformedJson)]
    [InlineData("not json at all", BadInputKinds.MalformedJson)]
    [InlineData("""[1,2,3]""", BadInputKinds.WrongType)]
    [InlineData("""{"stream":"btcusdt@trade","data":[1]}""", BadInputKinds.WrongType)]
    [InlineData("""{"data":{"s":"BTCUSDT"}}""", BadInputKinds.MissingField)]
    public void Broken_frames_are_bad_input_of_their_kind(string frame, string expected)
    {
        var parsed = Spot.Parse(Utf8(frame), ReceivedAt);

        Assert.Equal(BinanceFrameKind.Bad, parsed.Kind);
        Assert.Equal(expected, BinanceBadInputNames.TagOf(parsed.BadInput));
        Assert.False(string.IsNullOrEmpty(parsed.Detail));
    }

    [Theory]
    [InlineData("\"p\":\"61837.63000000\"", "\"p\":61837.63", BadInputKinds.WrongType)]
    [InlineData("\"p\":\"61837.63000000\"", "\"p\":\"\"", BadInputKinds.InvalidPrice)]
    [InlineData("\"p\":\"61837.63000000\"", "\"p\":\"NaN\"", BadInputKinds.InvalidPrice)]
    [InlineData("\"p\":\"61837.63000000\"", "\"p\":\"-61837.63\"", BadInputKinds.InvalidPrice)]
    [InlineData("\"p\":\"61837.63000000\"", "\"p\":\"0.00000000\"", BadInputKinds.InvalidPrice)]
    [InlineData("\"p\":\"61837.63000000\"", "\"p\":\"6.1e4\"", BadInputKinds.InvalidPrice)]
    [InlineData("\"q\":\"0.02000000\"", "\"q\":\"-0.02\"", BadInputKinds.InvalidQuantity)]
    [InlineData("\"q\":\"0.02000000\"", "\"q\":\"Infinity\"", BadInputKinds.InvalidQuantity)]
    [InlineData("\"q\":\"0.02000000\",", "", BadInputKinds.MissingField)]
    [InlineData("\"T\":1723161255342", "\"T\":1723161255", BadInputKinds.AbsurdTimestamp)]
    [InlineData("\"T\":1723161255342", "\"T\":4102444800000", BadInputKinds.AbsurdTimestamp)]
    [InlineData("\"T\":1723161255342", "\"T\":\"1723161255342\"", BadInputKinds.WrongType)]
    [InlineData("\"t\":3735683259", "\"t\":-5", BadInputKinds.InvalidTradeId)]
    [InlineData("\"t\":3735683259", "\"t\":3735683259.5", BadInputKinds.InvalidTradeId)]
    [InlineData("\"t\":3735683259", "\"t\":\"3735683259\"", BadInputKinds.WrongType)]
    [InlineData("\"m\":true", "\"m\":\"true\"", BadInputKinds.WrongType)]
    [InlineData("\"s\":\"BTCUSDT\"", "\"s\":\"XRPUSDT\"", BadInputKinds.UnknownSymbol)]
    [InlineData("\"s\":\"BTCUSDT\"", "\"s\":42", BadInputKinds.WrongType)]
    public void Trades_with_a_bad_field_are_bad_input_of_their_kind(string field, string replacement, string expected)
    {
        var parsed = Spot.Parse(Utf8(ValidTrade.Replace(field, replacement, StringComparison.Ordinal)), ReceivedAt);

        Assert.Equal(BinanceFrameKind.Bad, parsed.Kind);
        Assert.Equal(expected, BinanceBadInputNames.TagOf(parsed.BadInput));
    }

    [Fact]
    public void A_parser_for_any_symbol_reads_every_symbol_with_the_source_it_was_given()
    {
        var replay = new BinanceStreamParser(BinanceMarket.Spot, symbols: null, DataSource.Replay);
        var quote = Encoding.UTF8.GetString(BinanceSamples.Frame("spot_bookTicker_combined_2024"));

        var trade = replay.Parse(Utf8(ValidTrade.Replace("BTCUSDT", "XRPUSDT", StringComparison.Ordinal)), ReceivedAt);
        var bookTicker = replay.Parse(Utf8(quote), ReceivedAt);

        Assert.Equal(("XRPUSDT", DataSource.Replay), (trade.Trade!.Symbol, trade.Trade.Source));
        Assert.Equal(DataSource.Replay, bookTicker.Quote!.Source);
    }

    [Theory]
    [InlineData("BTC USDT")]
    [InlineData("")]
    [InlineData("BTCUSDTBTCUSDTBTCUSDTBTCUSDTBTCUSDT")]
    public void A_parser_for_any_symbol_still_rejects_what_is_not_a_symbol(string symbol)
    {
        var replay = new BinanceStreamParser(BinanceMarket.Spot, symbols: null, DataSource.Replay);

        var parsed = replay.Parse(Utf8(ValidTrade.Replace("\"s\":\"BTCUSDT\"", $"\"s\":\"{symbol}\"", StringComparison.Ordinal)), ReceivedAt);

        Assert.Equal((BinanceFrameKind.Bad, BadInputKinds.UnknownSymbol), (parsed.Kind, BinanceBadInputNames.TagOf(parsed.BadInput)));
    }

    [Fact]
    public void Futures_trade_without_its_kind_is_bad_input()
    {
        var parsed = Usdm.Parse(Utf8("""{"stream":"btcusdt@trade","data":{"e":"trade","E":1680652807006,"T":1680652804962,"s":"BTCUSDT","t":3535188229,"p":"28155.10","q":"0.001","m":true}}"""), ReceivedAt);

        Assert.Equal((BinanceFrameKind.Bad, BadInputKinds.MissingField), (parsed.Kind, BinanceBadInputNames.TagOf(parsed.BadInput)));
    }

    [Theory]
    [InlineData("\"b\":\"61837.63000000\"", "\"b\":\"-1\"", BadInputKinds.InvalidPrice)]
    [InlineData("\"A\":\"1.54698000\"", "\"A\":\"x\"", BadInputKinds.InvalidQuantity)]
    [InlineData("\"u\":50093239212", "\"u\":\"50093239212\"", BadInputKinds.WrongType)]
    public void Book_tickers_with_a_bad_field_are_bad_input_of_their_kind(string field, string replacement, string expected)
    {
        var valid = Encoding.UTF8.GetString(BinanceSamples.Frame("spot_bookTicker_combined_2024"));

        var parsed = Spot.Parse(Utf8(valid.Replace(field, replacement, StringComparison.Ordinal)), ReceivedAt);

        Assert.Equal((BinanceFrameKind.Bad, expected), (parsed.Kind, BinanceBadInputNames.TagOf(parsed.BadInput)));
    }

    [Fact]
    public void An_empty_book_side_is_a_zero_quote_not_bad_input()
    {
        var parsed = Spot.Parse(Utf8("""{"stream":"ethusdt@bookTicker","data":{"u":1,"s":"ETHUSDT","b":"0.00000000","B":"0.00000000","a":"2683.81000000","A":"31.4395"}}"""), ReceivedAt);

        Assert.Equal(BinanceFrameKind.Quote, parsed.Kind);
        Assert.Equal(0m, parsed.Quote!.BidPrice);
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
