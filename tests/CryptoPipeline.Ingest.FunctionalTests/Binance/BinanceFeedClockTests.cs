using System.Globalization;
using CryptoPipeline.FakeExchange.Binance;
using CryptoPipeline.Ingest.Binance;

namespace CryptoPipeline.Ingest.FunctionalTests.Binance;

/// <summary>What happens when time passes: the 24-hour cut, silence, REST rate limits. The clock is the test's.</summary>
public sealed class BinanceFeedClockTests
{
    private const string Symbol = "BTCUSDT";

    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-01-01T00:00:00Z", CultureInfo.InvariantCulture);

    [Fact]
    public async Task Before_the_24_hour_cut_an_overlapping_connection_takes_over_without_loss_or_duplicates()
    {
        var clock = new ManualTimeProvider(Start);
        await using var server = await FakeBinanceServer.StartAsync(FakeBinanceMarket.Spot, Recordings.SpotBtc2023);
        server.PauseAfter(Symbol, 3071246000);

        // The watchdog is taken out of this test: the clock jumps 23.5 hours at once, with no frame on the way.
        await using var feed = await BinanceFeedHarness.StartAsync(server, new() { ["NoDataTimeout"] = "1.00:00:00" }, clock);
        await feed.WaitForTradeAsync(Symbol, 3071246000);

        clock.Advance(TimeSpan.FromHours(23.5));
        await feed.WaitUntilAsync(() => server.OpenConnections == 2 && server.Subscriptions.Count == 2, "the replacement to open beside the old connection");
        server.Resume();
        await feed.WaitForTradesAsync(Recordings.TradeCounts(server.Recording));
        await feed.WaitUntilAsync(() => server.OpenConnections == 1, "the old connection to close");

        Recordings.AssertPublishedExactly(server.Recording, feed.Sink);
        Assert.Equal(2, server.ConnectionsAccepted);
        Assert.Single(feed.Journal.EventsOf(BinanceEvents.Rotated));
        Assert.Single(feed.Journal.EventsOf(BinanceEvents.Connected));
        Assert.Empty(feed.Journal.EventsOf(BinanceEvents.Disconnected));
        Assert.Empty(feed.Journal.Gaps);
    }

    [Fact]
    public async Task A_connection_silent_past_the_no_data_timeout_is_replaced()
    {
        var clock = new ManualTimeProvider(Start);
        await using var server = await FakeBinanceServer.StartAsync(FakeBinanceMarket.Spot, Recordings.SpotBtc2023);
        server.PauseAfter(Symbol, 3071246000);
        await using var feed = await BinanceFeedHarness.StartAsync(server, time: clock);
        await feed.WaitForTradeAsync(Symbol, 3071246000);

        clock.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(1, server.ConnectionsAccepted);
        clock.Advance(TimeSpan.FromSeconds(1));
        await feed.WaitUntilAsync(() => server.ConnectionsAccepted == 2 && server.OpenConnections == 1 && server.Subscriptions.Count == 2, "a new connection");
        server.Resume();
        await feed.WaitForTradesAsync(Recordings.TradeCounts(server.Recording));

        Recordings.AssertPublishedExactly(server.Recording, feed.Sink);
        var dropped = Assert.Single(feed.Journal.EventsOf(BinanceEvents.Disconnected));
        Assert.Equal("no data for 10 s", dropped.Detail);
        Assert.Empty(feed.Journal.Gaps);
    }

    [Fact]
    public async Task The_backfill_waits_out_the_Retry_After_of_a_429()
    {
        var clock = new ManualTimeProvider(Start);
        await using var server = await FakeBinanceServer.StartAsync(new FakeBinanceServerOptions { Market = FakeBinanceMarket.Spot, Recordings = [Recordings.SpotBtc2023], Time = clock });
        server.Faults.DropConnectionsAfter(Symbol, 3071246000);
        server.Faults.SkipOnSocket(Symbol, 3071246001, 3071246300);
        server.Faults.RejectRestRequests(1, TimeSpan.FromSeconds(30));
        await using var feed = await BinanceFeedHarness.StartAsync(server, new() { ["GapBackfillDelay"] = "00:00:00", ["NoDataTimeout"] = "01:00:00" }, clock);

        await feed.WaitUntilAsync(() => server.RestRequests.Count == 1 && feed.Journal.Gaps.Count == 1, "the first back-fill request");
        await server.ReplayFinished;
        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Single(feed.Journal.Gaps);
        clock.Advance(TimeSpan.FromSeconds(1));
        await feed.WaitForTradesAsync(Recordings.TradeCounts(server.Recording));

        Recordings.AssertPublishedExactly(server.Recording, feed.Sink);
        Assert.Equal(["open", "filled"], feed.Journal.Gaps.Select(g => g.Status));
        Assert.Equal(2, server.RestRequests.Count);
    }

    [Fact]
    public async Task The_backfill_waits_for_the_next_minute_once_the_ip_s_weight_reaches_the_budget()
    {
        var clock = new ManualTimeProvider(Start);
        await using var server = await FakeBinanceServer.StartAsync(new FakeBinanceServerOptions { Market = FakeBinanceMarket.Spot, Recordings = [Recordings.SpotBtc2023], Time = clock });
        server.Faults.DropConnectionsAfter(Symbol, 3071246000);
        server.Faults.SkipOnSocket(Symbol, 3071246001, 3071247500);

        // Other clients on the IP have used 90 of the minute: one historicalTrades call (25) passes the budget of 100.
        server.Faults.ExtraUsedWeight = 90;
        await using var feed = await BinanceFeedHarness.StartAsync(
            server,
            new() { ["GapBackfillDelay"] = "00:00:00", ["NoDataTimeout"] = "01:00:00", ["RestWeightBudgetPerMinute"] = "100" },
            clock);

        await feed.WaitUntilAsync(() => server.RestRequests.Count == 1 && feed.Journal.Gaps.Count == 1, "the first page of the back-fill");
        await server.ReplayFinished;
        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Single(server.RestRequests);
        clock.Advance(TimeSpan.FromSeconds(1));
        await feed.WaitForTradesAsync(Recordings.TradeCounts(server.Recording));

        Recordings.AssertPublishedExactly(server.Recording, feed.Sink);
        Assert.Equal(["open", "filled"], feed.Journal.Gaps.Select(g => g.Status));
        Assert.Equal(2, server.RestRequests.Count);
    }
}
