using CryptoPipeline.Contracts;
using CryptoPipeline.FakeExchange.Binance;
using CryptoPipeline.FakeExchange.Polling;
using CryptoPipeline.Ingest.FunctionalTests.Infrastructure;
using CryptoPipeline.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CryptoPipeline.Ingest.FunctionalTests.Polling;

/// <summary>CoinGecko and Binance REST price polling against fake APIs answering with real recorded bodies.</summary>
public sealed class PricePollingTests(PostgresFixture postgres)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly DateTimeOffset Start = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>Moves the clock a step unless <paramref name="done"/>: the poller sets its timer a moment after it polled.</summary>
    private static bool Step(ManualTimeProvider clock, TimeSpan step, Func<bool> done)
    {
        if (done())
        {
            return true;
        }

        clock.Advance(step);
        return false;
    }

    [Fact]
    public async Task CoinGecko_rate_limit_pauses_polling_for_retry_after_then_prices_arrive_exactly()
    {
        await using var apis = await FakePriceApis.StartAsync();
        apis.RateLimitedAnswers = 1;
        var clock = new ManualTimeProvider(Start);
        using var kafka = new IngestKafka();
        using var host = await IngestTestHost.StartAsync(
            postgres,
            kafka,
            new()
            {
                ["Ingest:Sources"] = "coingecko",
                ["Ingest:CoinGecko:BaseUrl"] = apis.BaseUrl + "/api/v3",
                ["Ingest:CoinGecko:Ids"] = "bitcoin,ethereum",
                ["Ingest:CoinGecko:VsCurrencies"] = "usd,myr",
                ["Ingest:CoinGecko:ApiKey"] = "demo-key",
                ["Ingest:CoinGecko:Interval"] = "00:01:00",
            },
            services => services.AddSingleton<TimeProvider>(clock));

        // A backoff from the 60 s interval would wait 30 s or more; Retry-After says 7.
        await Eventually.Until(() => apis.Requests.Count == 1, Timeout, "the first poll", Cancellation);
        await Eventually.Until(() => Step(clock, TimeSpan.FromSeconds(1), () => apis.Requests.Count == 2), Timeout, "the poll after Retry-After", Cancellation);
        var polledBy = clock.GetUtcNow();
        var ticks = kafka.ReadExactly(Topics.Prices, 4)
            .Select(m => PriceTickJson.TryParse(m.Message.Value, out var tick, out _) ? tick : throw new InvalidOperationException("not a tick"))
            .ToDictionary(t => t.Symbol, t => t);
        await host.StopAsync(Cancellation);

        Assert.Equal("5005.73", DecimalText.ToText(ticks["bitcoin-usd"].Price));
        Assert.Equal("20474", DecimalText.ToText(ticks["bitcoin-myr"].Price));
        Assert.Equal("163.58", DecimalText.ToText(ticks["ethereum-usd"].Price));
        Assert.Equal("669.07", DecimalText.ToText(ticks["ethereum-myr"].Price));
        Assert.All(ticks.Values, t => Assert.Equal((Exchanges.CoinGecko, DataSource.Live), (t.Exchange, t.Source)));
        Assert.All(ticks.Values, t => Assert.InRange(t.Time, Start.AddSeconds(apis.RetryAfterSeconds), polledBy));
        Assert.True(polledBy < Start.AddSeconds(30), $"polled again at {polledBy:O}, as a backoff would, not after Retry-After");
        Assert.All(apis.Requests, r => Assert.Equal("demo-key", r.Headers["x-cg-demo-api-key"]));
        Assert.Contains("ids=bitcoin,ethereum&vs_currencies=usd,myr", apis.Requests[0].PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Binance_ticker_prices_are_polled_every_interval_as_exact_price_ticks()
    {
        await using var apis = await FakePriceApis.StartAsync();
        var clock = new ManualTimeProvider(Start);
        using var kafka = new IngestKafka();
        using var host = await IngestTestHost.StartAsync(
            postgres,
            kafka,
            new()
            {
                ["Ingest:Sources"] = "binance-rest-prices",
                ["Ingest:Symbols"] = "BTCUSDT",
                ["Ingest:BinanceRestPrices:BaseUrl"] = apis.BaseUrl,
            },
            services => services.AddSingleton<TimeProvider>(clock));

        // The clock stands still until the first poll is published, so its time is the start.
        var first = kafka.ReadExactly(Topics.Prices, 1);
        await Eventually.Until(() => Step(clock, TimeSpan.FromMilliseconds(100), () => apis.Requests.Count == 2), Timeout, "the second poll, one interval later", Cancellation);
        var polledBy = clock.GetUtcNow();
        var ticks = kafka.ReadExactly(Topics.Prices, 2)
            .Select(m => PriceTickJson.TryParse(m.Message.Value, out var tick, out _) ? tick : throw new InvalidOperationException("not a tick"))
            .ToList();
        await host.StopAsync(Cancellation);

        Assert.All(ticks, t => Assert.Equal(("binance:BTCUSDT", "74192.71000000"), (t.Key, DecimalText.ToText(t.Price))));
        Assert.Single(first);
        Assert.Equal(Start, ticks[0].Time);
        Assert.InRange(ticks[1].Time, Start.AddSeconds(1), polledBy);
        Assert.Equal("/api/v3/ticker/price?symbols=%5B%22BTCUSDT%22%5D", apis.Requests[0].PathAndQuery);
    }
}
