using System.Net.ServerSentEvents;
using System.Text.Json;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Api.FunctionalTests;

public sealed class StreamTests(PostgresFixture postgres) : IAsyncLifetime
{
    private static readonly DateTimeOffset Minute = new(2024, 8, 9, 0, 1, 0, TimeSpan.Zero);

    private string _database = null!;
    private ApiHost _api = null!;

    public async ValueTask InitializeAsync()
    {
        _database = await postgres.CreateDatabaseAsync();
        await MarketData.InsertAsync(_database, Row(Minute, close: 100m, trades: 2));
        _api = await ApiHost.StartAsync(_database, [new("Api:Stream:PollInterval", "00:00:00.050")]);
    }

    public async ValueTask DisposeAsync() => await _api.DisposeAsync();

    [Fact]
    public async Task A_client_receives_a_new_one_minute_candle_after_its_row_is_committed()
    {
        await using var stream = await StreamClient.OpenAsync(_api, "symbol=BTCUSDT&interval=1m");

        await MarketData.InsertAsync(_database, Row(Minute.AddMinutes(1), close: 101.5m, trades: 7));
        var update = await stream.NextAsync("candle", e => e.GetProperty("candle").GetProperty("openTime").GetDateTimeOffset() == Minute.AddMinutes(1));

        Assert.Equal("BTCUSDT", update.GetProperty("symbol").GetString());
        Assert.Equal("1m", update.GetProperty("interval").GetString());
        Assert.Equal(101.5m, update.GetProperty("candle").GetProperty("close").GetDecimal());
        Assert.Equal(7, update.GetProperty("candle").GetProperty("tradeCount").GetInt64());
    }

    [Fact]
    public async Task A_client_of_a_longer_interval_receives_the_whole_interval_after_one_of_its_minutes_changes()
    {
        await using var stream = await StreamClient.OpenAsync(_api, "symbol=BTCUSDT&interval=5m");

        await MarketData.InsertAsync(_database, Row(Minute.AddMinutes(2), close: 103m, trades: 5));
        var update = await stream.NextAsync("candle", e => e.GetProperty("candle").GetProperty("tradeCount").GetInt64() == 7);

        var candle = update.GetProperty("candle");
        Assert.Equal("5m", update.GetProperty("interval").GetString());
        Assert.Equal(new DateTimeOffset(2024, 8, 9, 0, 0, 0, TimeSpan.Zero), candle.GetProperty("openTime").GetDateTimeOffset());
        Assert.Equal(100m, candle.GetProperty("open").GetDecimal());
        Assert.Equal(103m, candle.GetProperty("close").GetDecimal());
        Assert.Equal(2m, candle.GetProperty("volume").GetDecimal());
    }

    [Fact]
    public async Task A_late_update_of_a_minute_reaches_the_client_with_the_new_values()
    {
        await using var stream = await StreamClient.OpenAsync(_api, "symbol=BTCUSDT&interval=1m");

        await MarketData.ExecuteAsync(
            _database,
            "UPDATE trades_1min_agg SET trade_count = trade_count + 1, last_trade_id = last_trade_id + 1, updated_at = now() WHERE window_start = @start",
            TestContext.Current.CancellationToken,
            ("start", Minute));
        // The stream may first repeat the row as it was (changes of the last seconds reach new clients too).
        var update = await stream.NextAsync("candle", e => e.GetProperty("candle").GetProperty("tradeCount").GetInt64() == 3);

        Assert.Equal(Minute, update.GetProperty("candle").GetProperty("openTime").GetDateTimeOffset());
    }

    [Fact]
    public async Task A_client_receives_a_tick_with_bid_ask_and_spread_after_the_price_row_is_committed()
    {
        await using var stream = await StreamClient.OpenAsync(_api, "exchange=binance");

        await MarketData.UpsertPriceAsync(_database, "binance", "ETHUSDT", last: 2650.5m, bid: 2650.25m, ask: 2650.75m, "replay", TestContext.Current.CancellationToken);
        var tick = await stream.NextAsync("tick", e => e.GetProperty("symbol").GetString() == "ETHUSDT");

        Assert.Equal(2650.5m, tick.GetProperty("last").GetDecimal());
        Assert.Equal(2650.25m, tick.GetProperty("bid").GetDecimal());
        Assert.Equal(2650.75m, tick.GetProperty("ask").GetDecimal());
        Assert.Equal(0.50m, tick.GetProperty("spread").GetDecimal());
        Assert.Equal("replay", tick.GetProperty("source").GetString());
    }

    [Fact]
    public async Task Past_the_most_streams_allowed_a_new_client_gets_503_problem_details()
    {
        await using var limited = await ApiHost.StartAsync(_database, [new("Api:Stream:MaxClients", "1")], cancellationToken: TestContext.Current.CancellationToken);
        await using var first = await StreamClient.OpenAsync(limited, "symbol=BTCUSDT");

        using var second = await limited.Client.GetAsync("/api/v1/stream?symbol=BTCUSDT", HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);

        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, second.StatusCode);
        Assert.Contains("Api:Stream:MaxClients", await second.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    private static MinuteRow Row(DateTimeOffset start, decimal close, long trades) =>
        new("binance", "BTCUSDT", start, 100m, Math.Max(100m, close), 99m, close, 1m, 100m, trades);
}

/// <summary>Reads a Server-Sent Events stream of the Api; opening it waits for the hello event, so the client is subscribed.</summary>
internal sealed class StreamClient : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly IAsyncEnumerator<SseItem<string>> _events;
    private readonly CancellationTokenSource _timeout;

    private StreamClient(HttpResponseMessage response, IAsyncEnumerator<SseItem<string>> events, CancellationTokenSource timeout)
    {
        _response = response;
        _events = events;
        _timeout = timeout;
    }

    public static async Task<StreamClient> OpenAsync(ApiHost api, string query)
    {
        var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var response = await api.Client.GetAsync($"/api/v1/stream?{query}", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStreamAsync(timeout.Token);
        var client = new StreamClient(response, SseParser.Create(body).EnumerateAsync(timeout.Token).GetAsyncEnumerator(timeout.Token), timeout);
        await client.NextAsync("hello", _ => true);
        return client;
    }

    /// <summary>The data of the next event of <paramref name="type"/> that matches; fails when the stream's deadline passes first.</summary>
    public async Task<JsonElement> NextAsync(string type, Func<JsonElement, bool> match)
    {
        while (await _events.MoveNextAsync())
        {
            if (_events.Current.EventType == type)
            {
                using var data = JsonDocument.Parse(_events.Current.Data);
                if (match(data.RootElement))
                {
                    return data.RootElement.Clone();
                }
            }
        }

        throw new InvalidOperationException($"The stream ended before a matching {type} event.");
    }

    public async ValueTask DisposeAsync()
    {
        await _timeout.CancelAsync();
        try
        {
            await _events.DisposeAsync();
        }
        catch (OperationCanceledException)
        {
            // The stream is cancelled on purpose.
        }

        _response.Dispose();
        _timeout.Dispose();
    }
}
