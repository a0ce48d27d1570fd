using CryptoPipeline.FakeExchange.Binance;

namespace CryptoPipeline.Ingest.FunctionalTests.Binance;

/// <summary>Which streams the feed asks for, over how many connections, and how fast.</summary>
public sealed class BinanceFeedSubscriptionTests
{
    [Fact]
    public async Task All_usdt_pairs_are_the_trading_ones_from_exchangeInfo_spread_over_connections()
    {
        await using var server = await FakeBinanceServer.StartAsync(new FakeBinanceServerOptions
        {
            Market = FakeBinanceMarket.Spot,
            Recordings = [Recordings.SpotBtc2023],
            ExchangeInfoSymbols = [new("BTCUSDT"), new("ETHUSDT"), new("SOLUSDT"), new("LUNAUSDT", Status: "BREAK"), new("ETHBTC", QuoteAsset: "BTC")],
        });
        await using var feed = await BinanceFeedHarness.StartAsync(server, new() { ["AllUsdtPairs"] = "true", ["StreamsPerConnection"] = "4", ["NoDataTimeout"] = "00:01:00" });

        await feed.WaitForTradesAsync(Recordings.TradeCounts(server.Recording));
        await feed.WaitUntilAsync(() => server.Subscriptions.Count == 6, "six streams");

        Assert.Equal(
            ["btcusdt@bookTicker", "btcusdt@trade", "ethusdt@bookTicker", "ethusdt@trade", "solusdt@bookTicker", "solusdt@trade"],
            server.Subscriptions.Order(StringComparer.Ordinal));
        Assert.Equal(2, server.OpenConnections);
        Assert.Equal(["/api/v3/exchangeInfo"], server.RestRequests);
        Recordings.AssertPublishedExactly(server.Recording, feed.Sink);
    }

    [Fact]
    public async Task Twelve_hundred_streams_are_subscribed_over_two_connections_within_Binance_s_message_rate()
    {
        var symbols = new[] { new FakeSymbol("BTCUSDT") }.Concat(Enumerable.Range(1, 599).Select(i => new FakeSymbol($"C{i:000}USDT"))).ToList();
        await using var server = await FakeBinanceServer.StartAsync(new FakeBinanceServerOptions
        {
            Market = FakeBinanceMarket.Spot,
            Recordings = [Recordings.SpotBtc2023],
            ExchangeInfoSymbols = symbols,
        });
        await using var feed = await BinanceFeedHarness.StartAsync(server, new() { ["AllUsdtPairs"] = "true", ["NoDataTimeout"] = "00:01:00" });

        await feed.WaitUntilAsync(() => server.Subscriptions.Count == 1200, "1200 subscribed streams");
        await feed.WaitForTradesAsync(Recordings.TradeCounts(server.Recording));

        // More than five SUBSCRIBE messages a second would have had the connection dropped.
        Assert.Equal(0, server.RateLimitViolations);
        Assert.Equal(2, server.ConnectionsAccepted);
        Assert.Equal(2, server.OpenConnections);
        Recordings.AssertPublishedExactly(server.Recording, feed.Sink);
    }
}
