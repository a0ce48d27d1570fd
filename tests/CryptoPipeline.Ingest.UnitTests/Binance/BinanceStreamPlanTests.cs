using CryptoPipeline.Ingest.Binance;

namespace CryptoPipeline.Ingest.UnitTests.Binance;

public sealed class BinanceStreamPlanTests
{
    [Fact]
    public void Spot_trades_and_book_tickers_share_connections_of_at_most_the_stream_limit()
    {
        var options = new BinanceSpotOptions { StreamsPerConnection = 3 };

        var plan = BinanceStreamPlan.Create("binance", options, ["BTCUSDT", "ETHUSDT"]);

        Assert.Equal(["binance/stream#0", "binance/stream#1"], plan.Select(s => s.Name));
        Assert.Equal(["btcusdt@trade", "btcusdt@bookTicker", "ethusdt@trade"], plan[0].Streams);
        Assert.Equal(["BTCUSDT", "ETHUSDT"], plan[0].Symbols);
        Assert.Equal(["ethusdt@bookTicker"], plan[1].Streams);
        Assert.All(plan, s => Assert.Equal("/stream", s.Path));
    }

    [Fact]
    public void Futures_trades_and_book_tickers_go_to_their_own_routes()
    {
        var plan = BinanceStreamPlan.Create("binance-usdm", new BinanceUsdmOptions(), ["BTCUSDT", "ETHUSDT"]);

        Assert.Equal(2, plan.Count);
        Assert.Equal("/market/stream", plan[0].Path);
        Assert.Equal(["btcusdt@trade", "ethusdt@trade"], plan[0].Streams);
        Assert.Equal("/public/stream", plan[1].Path);
        Assert.Equal(["btcusdt@bookTicker", "ethusdt@bookTicker"], plan[1].Streams);
    }

    [Fact]
    public void Without_quotes_only_trade_streams_are_planned()
    {
        var plan = BinanceStreamPlan.Create("binance", new BinanceSpotOptions { PublishQuotes = false }, ["BTCUSDT"]);

        Assert.Equal(["btcusdt@trade"], Assert.Single(plan).Streams);
    }

    [Fact]
    public void Streams_beyond_Binance_s_1024_per_connection_spill_to_another_connection()
    {
        var symbols = Enumerable.Range(0, 600).Select(i => $"S{i:000}USDT").ToList();

        var plan = BinanceStreamPlan.Create("binance", new BinanceSpotOptions(), symbols);

        Assert.Equal([1024, 176], plan.Select(s => s.Streams.Count));
        Assert.Equal(1200, plan.SelectMany(s => s.Streams).Distinct().Count());
    }
}
