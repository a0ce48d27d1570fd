using System.Net;
using System.Text.Json;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Api.FunctionalTests;

public sealed class BadInputFixture(PostgresFixture postgres) : IAsyncLifetime
{
    public string Database { get; private set; } = null!;

    public ApiHost Api { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Database = await postgres.CreateDatabaseAsync();
        await MarketData.InsertAsync(Database, MarketData.Series("binance", "BTCUSDT", new DateTimeOffset(2024, 8, 8, 0, 0, 0, TimeSpan.Zero), 60));
        Api = await ApiHost.StartAsync(Database);
    }

    public async ValueTask DisposeAsync() => await Api.DisposeAsync();
}

public sealed class BadInputTests(BadInputFixture fixture) : IClassFixture<BadInputFixture>
{
    private const string Injection = "BTCUSDT'%3B%20DROP%20TABLE%20trades_1min_agg%3B--";

    public static TheoryData<string, string, string> Rejected => new()
    {
        // path, parameter named in the problem, a phrase of what it accepts
        { "/transactions_in_last_n_min?symbol=BTCUSDT&n_minutes=0", "n_minutes", "between 1 and 1440" },
        { "/transactions_in_last_n_min?symbol=BTCUSDT&n_minutes=1441", "n_minutes", "between 1 and 1440" },
        { "/transactions_in_last_n_min?symbol=BTCUSDT&n_minutes=-5", "n_minutes", "between 1 and 1440" },
        { "/transactions_in_last_n_min?symbol=BTCUSDT&n_minutes=abc", "n_minutes", "between 1 and 1440" },
        { "/transactions_in_last_n_min?symbol=BTCUSDT&n_minutes=99999999999999999999", "n_minutes", "between 1 and 1440" },
        { "/transactions_in_last_n_min?symbol=BTCUSDT", "n_minutes", "between 1 and 1440" },
        { "/transactions_in_last_n_min?n_minutes=5", "symbol", "required" },
        { $"/transactions_in_last_n_min?symbol={Injection}&n_minutes=5", "symbol", "letters, digits" },
        { "/top_n_highest_volumes?top_n=0", "top_n", "between 1 and 1000" },
        { "/top_n_highest_volumes?top_n=1000000", "top_n", "between 1 and 1000" },
        { $"/current_price?symbol={Injection}", "symbol", "letters, digits" },
        { "/compat/current_price?symbol=%3Cscript%3E", "symbol", "letters, digits" },
        { $"/api/v1/candles?symbol={Injection}", "symbol", "letters, digits" },
        { "/api/v1/candles?symbol=BTCUSDT&exchange=binance'--", "exchange", "binance, binance-usdm, bitmex, coingecko" },
        { "/api/v1/candles?symbol=BTCUSDT&interval=2m", "interval", "1m, 5m, 15m, 1h, 4h, 1d" },
        { "/api/v1/candles?symbol=BTCUSDT&limit=0", "limit", "between 1 and 10000" },
        { "/api/v1/candles?symbol=BTCUSDT&limit=100000000000", "limit", "between 1 and 10000" },
        { "/api/v1/candles?symbol=BTCUSDT&from=2024-13-45", "from", "ISO 8601" },
        { "/api/v1/candles?symbol=BTCUSDT&from=yesterday", "from", "ISO 8601" },
        { "/api/v1/candles?symbol=BTCUSDT&to=99999999999999999999", "to", "ISO 8601" },
        { "/api/v1/candles?symbol=BTCUSDT&to=0001-01-01T00:00:00Z", "to", "between 1970-01-01T00:00:00Z and 2100-01-01T00:00:00Z" },
        { "/api/v1/candles?symbol=BTCUSDT&from=2024-08-08T02:00:00Z&to=2024-08-08T01:00:00Z", "from", "before to" },
        { "/api/v1/candles?symbol=BTCUSDT&format=xml", "format", "json or csv" },
        { "/api/v1/candles", "symbol", "required" },
        { "/api/v1/statistics?minutes=0", "minutes", "between 1 and 10080" },
        { "/api/v1/statistics?end=2024-02-30T00:00:00Z", "end", "ISO 8601" },
        { "/api/v1/statistics/hourly?hours=1000", "hours", "between 1 and 168" },
        { "/api/v1/tickers?exchange=nasdaq", "exchange", "binance, binance-usdm, bitmex, coingecko" },
        { "/api/v1/stream?symbol=BTC%20USDT", "symbol", "letters, digits" },
    };

    [Theory]
    [MemberData(nameof(Rejected))]
    public async Task Bad_input_is_400_problem_details_that_name_the_parameter_and_what_it_accepts(string path, string parameter, string accepts)
    {
        using var response = await fixture.Api.Client.GetAsync(path, TestContext.Current.CancellationToken);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(400, problem.RootElement.GetProperty("status").GetInt32());
        var message = Assert.Single(problem.RootElement.GetProperty("errors").GetProperty(parameter).EnumerateArray()).GetString();
        Assert.Contains(accepts, message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/v1/candles?symbol=DOGEUSDT")]
    [InlineData("/api/v1/candles?symbol=BTCUSDT&exchange=bitmex")]
    [InlineData("/current_price?symbol=XRPU21")]
    public async Task A_symbol_without_data_is_404_problem_details(string path)
    {
        using var response = await fixture.Api.Client.GetAsync(path, TestContext.Current.CancellationToken);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("Unknown symbol", problem.RootElement.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Injection_attempts_leave_the_data_intact()
    {
        foreach (var path in new[] { $"/current_price?symbol={Injection}", $"/api/v1/candles?symbol={Injection}", "/api/v1/candles?symbol=BTCUSDT&from=1%27%3B--" })
        {
            using var response = await fixture.Api.Client.GetAsync(path, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        using var candles = await fixture.Api.Client.GetAsync("/api/v1/candles?symbol=BTCUSDT&limit=60", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, candles.StatusCode);
    }

    [Fact]
    public async Task An_unknown_path_is_404_problem_details_not_an_empty_page()
    {
        using var response = await fixture.Api.Client.GetAsync("/api/v1/nothing-here", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
