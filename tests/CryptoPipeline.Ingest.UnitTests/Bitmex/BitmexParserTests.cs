using System.Text;
using System.Text.Json;
using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.Bitmex;
using CryptoPipeline.Ingest.Feeds;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Ingest.UnitTests.Bitmex;

public sealed class BitmexParserTests
{
    private static readonly string[] Symbols = ["XRPU21", "UNIUSDT", "XBTUSD", "ADAUSDT", "SOLUSDT", "TRXU21", "EOSUSDT", "TRXUSDT", "BCHUSD", "MATICUSDT"];

    [Fact]
    public void Every_trade_and_quote_row_of_the_real_recording_parses_with_exact_prices()
    {
        var parser = new BitmexParser(Symbols);
        var trades = new List<Trade>();
        var quotes = new List<Quote>();
        var defects = new List<BitmexDefect>();
        var rows = 0;
        var quoteRows = 0;
        foreach (var line in File.ReadLines(SharedData.Path("bitmex/bitmex_ws_trade_quote_2021-07-22.jsonl")))
        {
            using var document = JsonDocument.Parse(line);
            if (document.RootElement.GetProperty("dir").GetString() != "recv")
            {
                continue;
            }

            var message = document.RootElement.GetProperty("msg");
            if (message.TryGetProperty("table", out var table))
            {
                var count = message.GetProperty("data").GetArrayLength();
                rows += table.GetString() == "trade" ? count : 0;
                quoteRows += table.GetString() == "quote" ? count : 0;
            }

            var receivedAt = DateTimeOffset.FromUnixTimeMilliseconds((long)(document.RootElement.GetProperty("recv_ts").GetDouble() * 1000));
            parser.Parse(Encoding.UTF8.GetBytes(message.GetRawText()), receivedAt, trades, quotes, defects);
        }

        Assert.Empty(defects);
        Assert.Equal(rows, trades.Count);
        Assert.Equal(quoteRows, quotes.Count);
        Assert.Equal(trades.Count, trades.Select(t => t.TradeId).Distinct().Count());
        var xrp = trades.First(t => t.Symbol == "XRPU21");
        Assert.Equal("0.00001819", DecimalText.ToText(xrp.Price));
        Assert.Equal((15m, true, Markets.Perpetual), (xrp.Quantity, xrp.IsBuyerMaker, xrp.Market));
        Assert.Equal(DateTimeOffset.Parse("2021-07-22T22:24:15.328Z", System.Globalization.CultureInfo.InvariantCulture), xrp.TradeTime);
        Assert.Contains(quotes, q => q.Symbol == "XRPU21" && q.BidPrice == 0.00001814m && q.AskPrice == 0.00001819m);
    }

    [Fact]
    public void Trade_ids_follow_time_across_milliseconds_and_are_the_same_for_the_same_trade()
    {
        var match = Guid.Parse("8f8fe9db-eb13-26a5-dea2-a398d89e04a8");
        var time = DateTimeOffset.Parse("2021-07-22T22:24:15.328Z", System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(BitmexParser.TradeIdOf(time, match), BitmexParser.TradeIdOf(time, match));
        Assert.True(BitmexParser.TradeIdOf(time.AddMilliseconds(1), Guid.NewGuid()) > BitmexParser.TradeIdOf(time, match));
        Assert.Equal(time.ToUnixTimeMilliseconds(), BitmexParser.TradeIdOf(time, match) >> 20);
    }

    [Theory]
    [InlineData("\"price\":-1", BadInputKinds.InvalidPrice)]
    [InlineData("\"price\":\"NaN\"", BadInputKinds.InvalidPrice)]
    [InlineData("\"price\":1e-40", BadInputKinds.InvalidPrice)]
    [InlineData("\"size\":0", BadInputKinds.InvalidQuantity)]
    [InlineData("\"size\":1.5", BadInputKinds.InvalidQuantity)]
    [InlineData("\"timestamp\":\"2009-01-01T00:00:00.000Z\"", BadInputKinds.AbsurdTimestamp)]
    [InlineData("\"timestamp\":\"2031-01-01T00:00:00.000Z\"", BadInputKinds.AbsurdTimestamp)]
    [InlineData("\"timestamp\":\"yesterday\"", BadInputKinds.AbsurdTimestamp)]
    [InlineData("\"symbol\":\"DOGEUSD\"", BadInputKinds.UnknownSymbol)]
    [InlineData("\"symbol\":42", BadInputKinds.WrongType)]
    [InlineData("\"side\":\"Up\"", BadInputKinds.WrongType)]
    [InlineData("\"trdMatchID\":\"x\"", BadInputKinds.InvalidTradeId)]
    public void A_bad_trade_row_is_a_defect_of_its_kind_and_the_good_row_beside_it_still_parses(string replacement, string kind)
    {
        var fields = new Dictionary<string, string>
        {
            ["timestamp"] = "\"timestamp\":\"2021-07-22T22:36:11.685Z\"",
            ["symbol"] = "\"symbol\":\"XBTUSD\"",
            ["side"] = "\"side\":\"Buy\"",
            ["size"] = "\"size\":100",
            ["price"] = "\"price\":32180.5",
            ["trdMatchID"] = "\"trdMatchID\":\"6e70bebe-235e-08a6-d11b-e1042bf1f2ed\"",
        };
        var good = "{" + string.Join(",", fields.Values) + "}";
        fields[replacement.Split(':')[0].Trim('"')] = replacement;
        var bad = "{" + string.Join(",", fields.Values) + "}";
        var (trades, defects) = Parse($$"""{"table":"trade","action":"insert","data":[{{bad}},{{good}}]}""");

        Assert.Equal(kind, Assert.Single(defects).Kind);
        Assert.Equal(32180.5m, Assert.Single(trades).Price);
    }

    [Theory]
    [InlineData("{not json", BadInputKinds.MalformedJson)]
    [InlineData("[1]", BadInputKinds.WrongType)]
    [InlineData("{\"table\":\"orderBookL2\",\"action\":\"update\",\"data\":[]}", BadInputKinds.UnknownMessage)]
    [InlineData("{\"table\":\"trade\",\"action\":\"insert\"}", BadInputKinds.MissingField)]
    [InlineData("{\"table\":\"trade\",\"action\":\"insert\",\"data\":{}}", BadInputKinds.WrongType)]
    [InlineData("{\"hello\":1}", BadInputKinds.UnknownMessage)]
    public void A_bad_frame_is_a_defect_of_its_kind(string frame, string kind)
    {
        var (trades, defects) = Parse(frame);

        Assert.Empty(trades);
        Assert.Equal(kind, Assert.Single(defects).Kind);
    }

    private static (List<Trade> Trades, List<BitmexDefect> Defects) Parse(string frame)
    {
        var trades = new List<Trade>();
        var defects = new List<BitmexDefect>();
        new BitmexParser(["XBTUSD"]).Parse(Encoding.UTF8.GetBytes(frame), new DateTimeOffset(2021, 7, 22, 22, 36, 12, TimeSpan.Zero), trades, [], defects);
        return (trades, defects);
    }
}
