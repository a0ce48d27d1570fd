using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using CryptoPipeline.FakeExchange.Binance;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Ingest.FunctionalTests.Binance;

/// <summary>The fake's REST side, which other tests (processor, monitor) use as Binance's.</summary>
public sealed class FakeBinanceServerTests
{
    [Fact]
    public async Task Klines_are_the_official_rows_in_Binance_s_json_layout()
    {
        await using var server = await FakeBinanceServer.StartAsync(FakeBinanceMarket.Usdm, Recordings.Usdm2023Day2);
        using var http = new HttpClient { BaseAddress = new Uri(server.RestBaseUrl) };

        using var klines = JsonDocument.Parse(await http.GetStringAsync("/fapi/v1/klines?symbol=BTCUSDT&interval=1m&startTime=1680652800000&endTime=1680652860000", TestContext.Current.CancellationToken));

        var official = File.ReadLines(SharedData.Path("binance/usdm-klines/BTCUSDT-UM-1m-2023-04-04T2357-2023-04-05T0008.excerpt.csv"))
            .Select(l => l.Split(','))
            .Where(f => long.Parse(f[0]) is >= 1680652800000 and <= 1680652860000)
            .ToList();
        Assert.Equal(2, official.Count);
        Assert.Equal(official.Count, klines.RootElement.GetArrayLength());
        foreach (var (row, expected) in klines.RootElement.EnumerateArray().Zip(official))
        {
            Assert.Equal(long.Parse(expected[0]), row[0].GetInt64());
            Assert.Equal(expected[1..6], row.EnumerateArray().Skip(1).Take(5).Select(e => e.GetString()));
            Assert.Equal(long.Parse(expected[8]), row[8].GetInt64());
        }
    }

    [Fact]
    public async Task Rest_serves_only_trades_the_market_has_reached_and_futures_only_market_trades()
    {
        await using var server = await FakeBinanceServer.StartAsync(FakeBinanceMarket.Usdm, Recordings.Usdm2023Day2);
        using var http = new HttpClient { BaseAddress = new Uri(server.RestBaseUrl) };

        var before = await http.GetStringAsync("/fapi/v1/historicalTrades?symbol=BTCUSDT&fromId=3535191070&limit=20", TestContext.Current.CancellationToken);
        using var client = new ClientWebSocket();
        await client.ConnectAsync(new Uri(server.WebSocketBaseUrl + "/market/stream?streams=btcusdt@trade"), TestContext.Current.CancellationToken);
        await server.ReplayFinished.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        using var after = JsonDocument.Parse(await http.GetStringAsync("/fapi/v1/historicalTrades?symbol=BTCUSDT&fromId=3535191070&limit=20", TestContext.Current.CancellationToken));
        using var aggregates = JsonDocument.Parse(await http.GetStringAsync("/fapi/v1/aggTrades?symbol=BTCUSDT&startTime=1680652874000&endTime=1680652875000", TestContext.Current.CancellationToken));

        Assert.Equal("[]", before);
        var ids = after.RootElement.EnumerateArray().Select(t => t.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(20, ids.Count);
        Assert.DoesNotContain(Recordings.InsuranceFundTradeId, ids);
        Assert.Equal(Enumerable.Range(0, 21).Select(i => 3535191070L + i).Where(id => id != Recordings.InsuranceFundTradeId), ids);
        Assert.All(aggregates.RootElement.EnumerateArray(), a => Assert.True(a.GetProperty("l").GetInt64() >= a.GetProperty("f").GetInt64()));
        Assert.Equal(
            server.Recording.Trades("BTCUSDT").Where(t => t.IsMarket && t.TimeMs is >= 1680652874000 and <= 1680652875000).Sum(t => decimal.Parse(t.Quantity)),
            aggregates.RootElement.EnumerateArray().Sum(a => decimal.Parse(a.GetProperty("q").GetString()!)));
    }

    [Fact]
    public async Task Rest_announces_the_used_weight_and_answers_429_past_the_limit()
    {
        // A clock of the test's, so the minute cannot turn between the requests.
        await using var server = await FakeBinanceServer.StartAsync(new FakeBinanceServerOptions
        {
            Market = FakeBinanceMarket.Spot,
            Recordings = [Recordings.SpotBtc2023],
            Time = new ManualTimeProvider(DateTimeOffset.UnixEpoch.AddDays(20_000)),
        });
        server.Faults.WeightLimitPerMinute = 60;
        using var http = new HttpClient { BaseAddress = new Uri(server.RestBaseUrl) };

        using var first = await http.GetAsync("/api/v3/trades?symbol=BTCUSDT", TestContext.Current.CancellationToken);
        using var second = await http.GetAsync("/api/v3/historicalTrades?symbol=BTCUSDT&fromId=1", TestContext.Current.CancellationToken);
        using var third = await http.GetAsync("/api/v3/trades?symbol=BTCUSDT", TestContext.Current.CancellationToken);

        Assert.Equal((HttpStatusCode.OK, "25"), (first.StatusCode, first.Headers.GetValues("X-MBX-USED-WEIGHT-1M").Single()));
        Assert.Equal((HttpStatusCode.OK, "50"), (second.StatusCode, second.Headers.GetValues("X-MBX-USED-WEIGHT-1M").Single()));
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.NotNull(third.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task At_a_multiple_of_the_recorded_pace_the_replay_takes_the_recorded_time_divided_by_it()
    {
        await using var server = await FakeBinanceServer.StartAsync(new FakeBinanceServerOptions
        {
            Market = FakeBinanceMarket.Spot,
            Recordings = [Recordings.SpotBtc2023],
            Speed = 200,
        });
        var messages = server.Recording.Messages;
        var expected = TimeSpan.FromMicroseconds((messages[^1].ReceivedAtMicros - messages[0].ReceivedAtMicros) / 200.0);
        using var client = new ClientWebSocket();
        var clock = Stopwatch.StartNew();
        await client.ConnectAsync(new Uri(server.WebSocketBaseUrl + "/stream?streams=btcusdt@trade"), TestContext.Current.CancellationToken);
        var frames = 0;
        var buffer = new byte[64 * 1024];
        while (frames < server.Recording.Trades("BTCUSDT").Count)
        {
            var received = await client.ReceiveAsync(buffer, TestContext.Current.CancellationToken);
            frames += received.EndOfMessage ? 1 : 0;
        }

        await server.ReplayFinished.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.InRange(clock.Elapsed, expected * 0.95, expected * 5);
    }
}
