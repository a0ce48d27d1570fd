using CryptoPipeline.Contracts;
using CryptoPipeline.FakeExchange.Binance;
using CryptoPipeline.Ingest.Binance;
using CryptoPipeline.Ingest.Feeds;

namespace CryptoPipeline.Ingest.FunctionalTests.Binance;

/// <summary>A fake Binance that drops, skips, repeats, reorders and garbles; the published trades stay exact.</summary>
public sealed class BinanceFeedFaultTests
{
    private const string Symbol = "BTCUSDT";

    [Fact]
    public async Task Reconnect_after_a_drop_backfills_the_skipped_trade_ids_once_and_in_order()
    {
        await using var server = await FakeBinanceServer.StartAsync(FakeBinanceMarket.Spot, Recordings.SpotBtc2023);
        server.Faults.DropConnectionsAfter(Symbol, 3071246000);
        server.Faults.SkipOnSocket(Symbol, 3071246001, 3071246300);
        await using var feed = await BinanceFeedHarness.StartAsync(server);

        await feed.WaitForTradesAsync(Recordings.TradeCounts(server.Recording));

        Recordings.AssertPublishedExactly(server.Recording, feed.Sink);

        // Frames in flight when the connection dropped are lost too, so the gap may start a little earlier.
        var opened = feed.Journal.Gaps[0];
        Assert.Equal((Exchanges.Binance, Symbol, "open", 3071246300L), (opened.Exchange, opened.Symbol, opened.Status, opened.LastId));
        Assert.InRange(opened.FirstId, 3071245454, 3071246001);
        Assert.Equal([opened, opened with { Status = "filled", Detail = null }], feed.Journal.Gaps);
        Assert.All(feed.Sink.Trades, t => Assert.Equal(t.TradeId >= opened.FirstId && t.TradeId <= opened.LastId ? DataSource.Backfill : DataSource.Live, t.Source));
        Assert.Single(feed.Journal.EventsOf(BinanceEvents.Disconnected));
        Assert.Equal(2, feed.Journal.EventsOf(BinanceEvents.Connected).Count);
        Assert.Equal(2, server.ConnectionsAccepted);
        Assert.Equal([$"/api/v3/historicalTrades?symbol=BTCUSDT&fromId={opened.FirstId}&limit=1000"], server.RestRequests);
    }

    [Fact]
    public async Task A_futures_gap_over_an_insurance_fund_trade_is_filled_with_every_market_trade()
    {
        await using var server = await FakeBinanceServer.StartAsync(FakeBinanceMarket.Usdm, Recordings.Usdm2023Day2);
        server.Faults.DropConnectionsAfter(Symbol, 3535191000);
        server.Faults.SkipOnSocket(Symbol, 3535191001, 3535191100);
        await using var feed = await BinanceFeedHarness.StartAsync(server);

        // Futures REST lists order-book trades only, so the insurance-fund trade cannot come back.
        var expected = server.Recording.Trades(Symbol).Count - 1;
        await feed.WaitForTradesAsync(new Dictionary<string, int> { [Symbol] = expected });
        await feed.WaitUntilAsync(() => feed.Journal.Gaps.Count == 2, "the gap to be closed");

        Recordings.AssertPublishedExactly(server.Recording, feed.Sink, t => t.Id != Recordings.InsuranceFundTradeId);
        Assert.Equal(["open", "filled"], feed.Journal.Gaps.Select(g => g.Status));
        var skipped = Assert.Single(feed.Journal.EventsOf(BinanceEvents.NonMarketTradesUnavailable));
        Assert.Contains($"BTCUSDT ids {Recordings.InsuranceFundTradeId}:", skipped.Detail, StringComparison.Ordinal);
        Assert.All(server.RestRequests, r => Assert.StartsWith("/fapi/v1/historicalTrades?symbol=BTCUSDT&fromId=", r, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Duplicated_and_reordered_frames_do_not_produce_duplicate_trades()
    {
        await using var server = await FakeBinanceServer.StartAsync(FakeBinanceMarket.Spot, Recordings.SpotBtc2023);
        server.Faults.DuplicateEveryNthTrade = 3;
        server.Faults.SwapEveryNthTrade = 5;
        await using var feed = await BinanceFeedHarness.StartAsync(server);

        await feed.WaitForTradesAsync(Recordings.TradeCounts(server.Recording));
        await server.ReplayFinished;

        Recordings.AssertPublishedExactly(server.Recording, feed.Sink);
        Assert.All(feed.Sink.Trades, t => Assert.Equal(DataSource.Live, t.Source));
        Assert.Empty(feed.Journal.Gaps);
        Assert.Empty(server.RestRequests);
        var sent = server.Recording.Trades(Symbol).Count * 4 / 3;
        await feed.WaitUntilAsync(() => feed.MessagesOfKind("trade") == sent, $"{sent} trade frames, every third twice");
    }

    [Fact]
    public async Task Pings_are_answered_with_a_pong_carrying_the_ping_s_payload()
    {
        await using var server = await FakeBinanceServer.StartAsync(FakeBinanceMarket.Spot, Recordings.SpotBtc2023);
        server.PauseAfter(Symbol, 3071245500);
        await using var feed = await BinanceFeedHarness.StartAsync(server);
        await feed.WaitForTradeAsync(Symbol, 3071245500);
        byte[] payload = [.. "binance-ping-1680652800000"u8];

        await server.SendPingAsync(payload);
        await feed.WaitUntilAsync(() => server.Pongs.Any(p => p.SequenceEqual(payload)), "the pong");
        server.Resume();
        await feed.WaitForTradesAsync(Recordings.TradeCounts(server.Recording));

        Recordings.AssertPublishedExactly(server.Recording, feed.Sink);
        Assert.Equal(1, server.ConnectionsAccepted);
    }

    [Fact]
    public async Task Every_kind_of_bad_input_is_counted_once_logged_and_skipped_and_the_feed_goes_on()
    {
        await using var server = await FakeBinanceServer.StartAsync(new FakeBinanceServerOptions
        {
            Market = FakeBinanceMarket.Spot,
            Recordings = [Recordings.SpotBtc2023],
            SendUnsubscribedStreams = true,
        });
        server.PauseAfter(Symbol, 3071245500);
        await using var feed = await BinanceFeedHarness.StartAsync(server);
        await feed.WaitForTradeAsync(Symbol, 3071245500);
        const string trade = """{"stream":"btcusdt@trade","data":{"e":"trade","E":1680652800002,"s":"BTCUSDT","t":3071245501,"p":"28165.47000000","q":"0.00128000","b":20720542158,"a":20720542593,"T":1680652800001,"m":true,"M":true}}""";
        var bad = new Dictionary<string, string>
        {
            [BadInputKinds.MalformedJson] = trade[..60],
            [BadInputKinds.WrongType] = trade.Replace("\"p\":\"28165.47000000\"", "\"p\":28165.47", StringComparison.Ordinal),
            [BadInputKinds.MissingField] = trade.Replace("\"q\":\"0.00128000\",", "", StringComparison.Ordinal),
            [BadInputKinds.InvalidTradeId] = trade.Replace("\"t\":3071245501", "\"t\":-3071245501", StringComparison.Ordinal),
            [BadInputKinds.InvalidPrice] = trade.Replace("\"p\":\"28165.47000000\"", "\"p\":\"NaN\"", StringComparison.Ordinal),
            [BadInputKinds.InvalidQuantity] = trade.Replace("\"q\":\"0.00128000\"", "\"q\":\"-0.00128000\"", StringComparison.Ordinal),
            [BadInputKinds.AbsurdTimestamp] = trade.Replace("\"T\":1680652800001", "\"T\":1680652800", StringComparison.Ordinal),
            [BadInputKinds.UnknownSymbol] = trade.Replace("\"s\":\"BTCUSDT\"", "\"s\":\"XRPUSDT\"", StringComparison.Ordinal),
            [BadInputKinds.OversizedFrame] = trade.Replace("\"M\":true", "\"M\":true,\"padding\":\"" + new string('x', 70_000) + "\"", StringComparison.Ordinal),
        };

        foreach (var frame in bad.Values)
        {
            await server.SendRawAsync(frame);
        }

        server.Resume();
        await feed.WaitForTradesAsync(Recordings.TradeCounts(server.Recording));

        Recordings.AssertPublishedExactly(server.Recording, feed.Sink);
        Assert.All(bad.Keys, kind => Assert.Equal(1, feed.BadInput.Count(Exchanges.Binance, kind)));
        Assert.Equal(bad.Count, feed.MessagesOfKind("bad"));

        // The depth stream the exchange sent unasked is skipped quietly, not as bad input.
        Assert.True(feed.MessagesOfKind("ignored") > 0);
        Assert.Equal(1, server.ConnectionsAccepted);
        Assert.Empty(feed.Journal.Gaps);
    }
}
