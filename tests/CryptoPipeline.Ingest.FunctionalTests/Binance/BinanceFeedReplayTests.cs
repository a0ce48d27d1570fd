using CryptoPipeline.Contracts;
using CryptoPipeline.FakeExchange.Binance;
using CryptoPipeline.Ingest.Binance;

namespace CryptoPipeline.Ingest.FunctionalTests.Binance;

/// <summary>The recorded feeds through a fake Binance: what the exchange sent is what gets published.</summary>
public sealed class BinanceFeedReplayTests
{
    [Fact]
    public async Task Spot_recordings_arrive_complete_in_order_without_duplicates()
    {
        await using var server = await FakeBinanceServer.StartAsync(FakeBinanceMarket.Spot, Recordings.Spot2024);
        await using var feed = await BinanceFeedHarness.StartAsync(server);

        await feed.WaitForTradesAsync(Recordings.TradeCounts(server.Recording));

        Recordings.AssertPublishedExactly(server.Recording, feed.Sink);
        Assert.All(feed.Sink.Trades, t => Assert.Equal((Exchanges.Binance, Markets.Spot, TradeKind.Market, DataSource.Live), (t.Exchange, t.Market, t.Kind, t.Source)));
        Assert.Equal(["BTCUSDT", "ETHUSDT"], feed.Sink.Quotes.Select(q => q.Symbol).Distinct().Order());
        Assert.All(feed.Sink.Quotes.GroupBy(q => q.Symbol), quotes => Assert.True(quotes.Zip(quotes.Skip(1)).All(p => p.First.UpdateId < p.Second.UpdateId)));
        Assert.Empty(feed.Journal.Gaps);
        Assert.Equal(1, server.ConnectionsAccepted);
        Assert.Single(feed.Journal.EventsOf(BinanceEvents.Connected));
    }

    [Fact]
    public async Task Futures_recordings_arrive_complete_with_their_trade_kinds_over_the_split_routes()
    {
        await using var server = await FakeBinanceServer.StartAsync(FakeBinanceMarket.Usdm, Recordings.Usdm2023);
        await using var feed = await BinanceFeedHarness.StartAsync(server);

        await feed.WaitForTradesAsync(Recordings.TradeCounts(server.Recording));

        Recordings.AssertPublishedExactly(server.Recording, feed.Sink);
        var trades = feed.Sink.Trades;
        Assert.Equal(TradeKind.InsuranceFund, Assert.Single(trades, t => t.Kind != TradeKind.Market).Kind);
        Assert.Equal(Recordings.InsuranceFundTradeId, trades.Single(t => t.Kind == TradeKind.InsuranceFund).TradeId);
        Assert.All(trades, t => Assert.Equal((Exchanges.BinanceUsdm, Markets.Usdm), (t.Exchange, t.Market)));
        await feed.WaitUntilAsync(() => feed.Sink.Quotes.Count > 0, "futures book tickers");
        Assert.All(feed.Sink.Quotes, q => Assert.NotNull(q.Time));
        Assert.Equal(2, server.ConnectionsAccepted);
        Assert.Empty(feed.Journal.Gaps);
    }
}
