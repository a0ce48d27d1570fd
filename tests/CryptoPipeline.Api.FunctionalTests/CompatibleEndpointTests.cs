using System.Net;
using System.Text.Json;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Api.FunctionalTests;

/// <summary>
/// binance rows around a fixed "now" of 2026-03-10 12:34:56 UTC: the 6-hour endpoints cover 06:00–12:00, the 12-hour one
/// 00:00–12:00, the last hour is 11:34:56–12:34:56 and the last n minutes end at 12:34. Rows of another exchange and
/// of the current hour must not count where the original did not count them.
/// </summary>
public sealed class CompatibleEndpointsFixture(PostgresFixture postgres) : IAsyncLifetime
{
    public static readonly DateTimeOffset Now = new(2026, 3, 10, 12, 34, 56, TimeSpan.Zero);

    public ApiHost Api { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var database = await postgres.CreateDatabaseAsync();
        await MarketData.InsertAsync(
            database,
            Minute("BTCUSDT", "11:59", trades: 10, quoteVolume: 1000.5m),
            Minute("BTCUSDT", "06:00", trades: 5, quoteVolume: 200.25m),
            Minute("BTCUSDT", "05:59", trades: 7, quoteVolume: 70.1m),
            Minute("BTCUSDT", "12:00", trades: 3, quoteVolume: 30m),
            Minute("ETHUSDT", "07:30", trades: 20, quoteVolume: 400m),
            Minute("ETHUSDT", "12:30", trades: 4, quoteVolume: 5000m),
            Minute("SOLUSDT", "00:00", trades: 1, quoteVolume: 2.5m),
            Minute("BTCUSDT", "11:00", trades: 1000, quoteVolume: 99999m) with { Exchange = "binance-usdm" });
        await MarketData.UpsertPriceAsync(database, "binance", "BTCUSDT", last: 61000.15m, bid: 61000.1m, ask: 61000.2m);
        await MarketData.UpsertPriceAsync(database, "binance-usdm", "ETHUSDT", last: 3000m, bid: 2999.9m, ask: 3000.1m);
        Api = await ApiHost.StartAsync(database, clock: new FixedClock(Now));
    }

    public async ValueTask DisposeAsync() => await Api.DisposeAsync();

    private static MinuteRow Minute(string symbol, string time, long trades, decimal quoteVolume) =>
        new("binance", symbol, DateTimeOffset.Parse($"2026-03-10T{time}:00Z", System.Globalization.CultureInfo.InvariantCulture),
            100m, 101m, 99m, 100.5m, quoteVolume / 100m, quoteVolume, trades);
}

public sealed class CompatibleEndpointTests(CompatibleEndpointsFixture fixture) : IClassFixture<CompatibleEndpointsFixture>
{
    private readonly HttpClient _client = fixture.Api.Client;

    public static TheoryData<string, string> Originals => new()
    {
        { "/transactions_count_last_6_hours", """{"count":{"BTCUSDT":{"total_transaction_count":15},"ETHUSDT":{"total_transaction_count":20}}}""" },
        { "/trade_volume_last_6_hours", """{"count":{"BTCUSDT":{"total_trade_volume":1200.75},"ETHUSDT":{"total_trade_volume":400}}}""" },
        {
            "/hourly_stats_last_12_hours",
            """{"stats":{"BTCUSDT":[{"hour_start":"2026-03-10T05:00:00+00:00","transaction_count":7,"total_trade_volume":70.1},""" +
            """{"hour_start":"2026-03-10T06:00:00+00:00","transaction_count":5,"total_trade_volume":200.25},""" +
            """{"hour_start":"2026-03-10T11:00:00+00:00","transaction_count":10,"total_trade_volume":1000.5}],""" +
            "\"ETHUSDT\":" + """[{"hour_start":"2026-03-10T07:00:00+00:00","transaction_count":20,"total_trade_volume":400}],""" +
            "\"SOLUSDT\":" + """[{"hour_start":"2026-03-10T00:00:00+00:00","transaction_count":1,"total_trade_volume":2.5}]}}"""
        },
        { "/transactions_in_last_n_min?symbol=BTCUSDT&n_minutes=60", """{"number_of_trades":13,"symbol":"BTCUSDT","n_minutes":60}""" },
        { "/transactions_in_last_n_min?symbol=BTCUSDT&n_minutes=1440", """{"number_of_trades":25,"symbol":"BTCUSDT","n_minutes":1440}""" },
        { "/transactions_in_last_n_min?symbol=SOLUSDT&n_minutes=5", """{"number_of_trades":0,"symbol":"SOLUSDT","n_minutes":5}""" },
        { "/top_n_highest_volumes?top_n=2", """{"top_symbols":[{"symbol":"ETHUSDT","total_volume":5000},{"symbol":"BTCUSDT","total_volume":1030.5}]}""" },
        { "/top_n_highest_volumes?top_n=1", """{"top_symbols":[{"symbol":"ETHUSDT","total_volume":5000}]}""" },
        { "/current_price?symbol=BTCUSDT", """{"Symbol":"BTCUSDT","Buy price":61000.1,"Sell price":61000.2}""" },
        // BitMEX spellings of the original clients: XBT is bitcoin, USD perpetuals map to USDT pairs.
        { "/transactions_in_last_n_min?symbol=XBTUSD&n_minutes=60", """{"number_of_trades":13,"symbol":"XBTUSD","n_minutes":60}""" },
        { "/current_price?symbol=XBTUSD", """{"Symbol":"XBTUSD","Buy price":61000.1,"Sell price":61000.2}""" },
    };

    [Theory]
    [MemberData(nameof(Originals))]
    public async Task Original_endpoint_answers_the_exact_json_of_the_original_at_the_root_and_under_compat(string path, string expected)
    {
        foreach (var url in new[] { path, CompatibleEndpoints.Prefix + path })
        {
            using var response = await _client.GetAsync(url, TestContext.Current.CancellationToken);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(expected, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }
    }

    [Fact]
    public async Task Original_health_check_answers_status_200_under_compat_while_the_root_health_is_the_readiness_report()
    {
        var original = await _client.GetStringAsync("/compat/health", TestContext.Current.CancellationToken);
        using var readiness = JsonDocument.Parse(await _client.GetStringAsync("/health", TestContext.Current.CancellationToken));

        Assert.Equal("""{"status":200}""", original);
        Assert.Equal("Healthy", readiness.RootElement.GetProperty("status").GetString());
        Assert.Contains(readiness.RootElement.GetProperty("checks").EnumerateArray(), c => c.GetProperty("name").GetString() == "postgres");
    }

    [Theory]
    [InlineData("/current_price?symbol=DOGEUSDT", "Unknown symbol")]
    [InlineData("/transactions_in_last_n_min?symbol=DOGEUSDT&n_minutes=5", "Unknown symbol")]
    [InlineData("/current_price?symbol=SOLUSDT", "No current price")]
    [InlineData("/current_price?symbol=ETHUSDT", "No current price")]
    public async Task Symbol_without_data_on_the_exchange_is_404_problem_details(string path, string title)
    {
        using var response = await _client.GetAsync(path, TestContext.Current.CancellationToken);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(404, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Equal(title, problem.RootElement.GetProperty("title").GetString());
        Assert.Contains("binance", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
