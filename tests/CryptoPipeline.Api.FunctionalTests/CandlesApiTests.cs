using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CryptoPipeline.Testing;
using Npgsql;

namespace CryptoPipeline.Api.FunctionalTests;

/// <summary>A day of BTCUSDT minutes (with gaps, open minutes and a replayed hour) on 2024-08-08, and a few of ETHUSDT.</summary>
public sealed class CandlesFixture(PostgresFixture postgres) : IAsyncLifetime
{
    public static readonly DateTimeOffset Day = new(2024, 8, 8, 0, 0, 0, TimeSpan.Zero);

    public string Database { get; private set; } = null!;

    public ApiHost Api { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Database = await postgres.CreateDatabaseAsync();
        await MarketData.InsertAsync(Database, MarketData.Series("binance", "BTCUSDT", Day, minutes: 1440));
        await MarketData.InsertAsync(Database, MarketData.Series("binance", "ETHUSDT", Day, minutes: 30, seed: 11));
        Api = await ApiHost.StartAsync(Database);
    }

    public async ValueTask DisposeAsync() => await Api.DisposeAsync();
}

public sealed class CandlesApiTests(CandlesFixture fixture) : IClassFixture<CandlesFixture>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static readonly DateTimeOffset Day = CandlesFixture.Day;

    private readonly HttpClient _client = fixture.Api.Client;

    [Theory]
    [InlineData("1m", 60)]
    [InlineData("5m", 300)]
    [InlineData("15m", 900)]
    [InlineData("1h", 3600)]
    [InlineData("4h", 14400)]
    [InlineData("1d", 86400)]
    public async Task Candles_of_every_interval_equal_an_independent_aggregation_of_the_minutes(string interval, int seconds)
    {
        var response = await GetCandlesAsync($"symbol=BTCUSDT&interval={interval}&from=2024-08-08T00:00:00Z&to=2024-08-09T00:00:00Z&limit=10000");
        var expected = await AggregateIndependentlyAsync(seconds);

        Assert.Equal(interval, response.Interval);
        Assert.Equal(expected.Count, response.Candles.Count);
        Assert.Equal(CandlesFixture.Day, response.Candles[0].OpenTime);
        Assert.Equal(expected, response.Candles);
    }

    [Fact]
    public async Task Without_from_the_limit_intervals_ending_with_the_latest_minute_are_served()
    {
        var response = await GetCandlesAsync("symbol=BTCUSDT&interval=1h&limit=5");

        Assert.Equal(Day.AddHours(19), response.From);
        Assert.Equal(Day.AddHours(24), response.To);
        Assert.Equal([.. Enumerable.Range(19, 5).Select(h => Day.AddHours(h))], response.Candles.Select(c => c.OpenTime));
        Assert.False(response.Candles[^1].IsFinal);
        Assert.True(response.Candles[^2].IsFinal);
    }

    [Fact]
    public async Task With_from_the_first_limit_intervals_are_served_and_a_partly_covered_interval_is_whole()
    {
        var response = await GetCandlesAsync("symbol=BTCUSDT&interval=15m&from=2024-08-08T10:07:00Z&limit=3");
        var whole = await GetCandlesAsync("symbol=BTCUSDT&interval=15m&from=2024-08-08T10:00:00Z&to=2024-08-08T10:45:00Z");

        Assert.Equal(Day.AddHours(10), response.From);
        Assert.Equal(Day.AddHours(10).AddMinutes(45), response.To);
        Assert.Equal(whole.Candles, response.Candles);
        Assert.Equal(3, response.Candles.Count);
    }

    [Fact]
    public async Task An_interval_that_mixes_sources_is_labelled_with_the_least_live_one()
    {
        var response = await GetCandlesAsync("symbol=BTCUSDT&interval=1h&from=2024-08-08T09:00:00Z&to=2024-08-08T12:00:00Z");

        Assert.Equal(["live", "replay", "live"], response.Candles.Select(c => c.Source));
    }

    [Theory]
    [InlineData("format=csv", null)]
    [InlineData(null, "text/csv")]
    public async Task Csv_is_utf8_with_bom_and_a_timestamped_file_name_and_holds_the_same_candles(string? query, string? accept)
    {
        const string Range = "symbol=BTCUSDT&interval=5m&from=2024-08-08T06:00:00Z&to=2024-08-08T07:00:00Z";
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/candles?{Range}" + (query is null ? "" : "&" + query));
        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }

        using var response = await _client.SendAsync(request, TestContext.Current.CancellationToken);
        var bytes = await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        var json = await GetCandlesAsync(Range);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Matches(@"^candles_binance_BTCUSDT_5m_\d{8}T\d{6}Z\.csv$", response.Content.Headers.ContentDisposition?.FileName);
        Assert.Equal<byte>([0xEF, 0xBB, 0xBF], bytes[..3]);
        var lines = Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
            "open_time,close_time,open,high,low,close,volume,quote_volume,taker_buy_volume,taker_buy_quote_volume,trade_count,vwap,is_final,source",
            lines[0]);
        Assert.Equal(json.Candles.Count, lines.Length - 1);
        var first = json.Candles[0];
        Assert.Equal(
            string.Join(',', "2024-08-08T06:00:00.000Z", "2024-08-08T06:05:00.000Z", Text(first.Open), Text(first.High), Text(first.Low),
                Text(first.Close), Text(first.Volume), Text(first.QuoteVolume), Text(first.TakerBuyVolume), Text(first.TakerBuyQuoteVolume),
                Text(first.TradeCount), Text(first.Vwap!.Value), "true", "live"),
            lines[1]);
    }

    [Fact]
    public async Task A_final_range_is_served_from_the_cache_while_the_latest_candles_are_read_anew()
    {
        // ETHUSDT's first 28 minutes are final; a late change to one of them stays unseen in the cached answer.
        const string Final = "symbol=ETHUSDT&interval=5m&from=2024-08-08T00:00:00Z&to=2024-08-08T00:25:00Z";
        var before = await GetCandlesAsync(Final);
        var latestBefore = await GetCandlesAsync("symbol=ETHUSDT&interval=1h&limit=1");
        await using (var dataSource = NpgsqlDataSource.Create(fixture.Database))
        {
            await using var late = dataSource.CreateCommand(
                "UPDATE trades_1min_agg SET trade_count = trade_count + 1 WHERE symbol = 'ETHUSDT' AND window_start = (SELECT min(window_start) FROM trades_1min_agg WHERE symbol = 'ETHUSDT')");
            Assert.Equal(1, await late.ExecuteNonQueryAsync(TestContext.Current.CancellationToken));
        }

        var cached = await GetCandlesAsync(Final);
        var latest = await GetCandlesAsync("symbol=ETHUSDT&interval=1h&limit=1");

        Assert.All(before.Candles, c => Assert.True(c.IsFinal));
        Assert.Equal(before.Candles, cached.Candles);
        Assert.Equal(latestBefore.Candles[0].TradeCount + 1, latest.Candles[0].TradeCount);
    }

    [Fact]
    public async Task An_old_range_that_still_holds_open_minutes_is_not_cached()
    {
        // A replay of old data: its latest minutes are not final yet although their range ended long ago.
        var start = new DateTimeOffset(2024, 8, 7, 12, 0, 0, TimeSpan.Zero);
        await MarketData.InsertAsync(fixture.Database, new MinuteRow("binance", "SOLUSDT", start, 150m, 150m, 150m, 150m, 1m, 150m, 1, IsFinal: false));
        const string OldRange = "symbol=SOLUSDT&interval=1m&from=2024-08-07T12:00:00Z&to=2024-08-07T12:05:00Z";
        var open = await GetCandlesAsync(OldRange);

        await using (var dataSource = NpgsqlDataSource.Create(fixture.Database))
        {
            await using var finish = dataSource.CreateCommand(
                "UPDATE trades_1min_agg SET trade_count = 2, last_trade_id = first_trade_id + 1, price_sum = 300, is_final = true WHERE symbol = 'SOLUSDT'");
            await finish.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var final = await GetCandlesAsync(OldRange);

        Assert.Equal((1L, false), (open.Candles.Single().TradeCount, open.Candles.Single().IsFinal));
        Assert.Equal((2L, true), (final.Candles.Single().TradeCount, final.Candles.Single().IsFinal));
    }

    [Fact]
    public async Task The_simulated_market_is_served_under_its_own_exchange_name()
    {
        await MarketData.InsertAsync(fixture.Database, new MinuteRow("simulated", "BTCUSDT", Day, 60_000m, 60_010m, 59_990m, 60_005m, 2m, 120_005m, 3, Source: "simulated"));

        var response = await GetCandlesAsync("exchange=simulated&symbol=BTCUSDT&interval=1m&from=2024-08-08T00:00:00Z&limit=1");

        Assert.Equal(("simulated", 3L, "simulated"), (response.Exchange, response.Candles.Single().TradeCount, response.Candles.Single().Source));
    }

    private static string Text(IFormattable value) => value.ToString(null, CultureInfo.InvariantCulture);

    private async Task<CandlesResponse> GetCandlesAsync(string query)
    {
        using var response = await _client.GetAsync($"/api/v1/candles?{query}", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<CandlesResponse>(Json, TestContext.Current.CancellationToken))!;
    }

    // A different formulation from the Api's: buckets from epoch arithmetic instead of date_bin, open and close as
    // window functions over the bucket instead of ordered arrays.
    private async Task<List<CandleRow>> AggregateIndependentlyAsync(int seconds)
    {
        await using var dataSource = NpgsqlDataSource.Create(fixture.Database);
        await using var command = dataSource.CreateCommand(
            """
            WITH m AS (
                SELECT to_timestamp((floor(extract(epoch FROM window_start) / @seconds) * @seconds)::float8) AS bucket, *
                FROM trades_1min_agg WHERE exchange = 'binance' AND symbol = 'BTCUSDT'
            ),
            last_final AS (SELECT max(window_end) AS at FROM trades_1min_agg WHERE exchange = 'binance' AND symbol = 'BTCUSDT' AND is_final)
            SELECT DISTINCT ON (bucket)
                   bucket, bucket + make_interval(secs => @seconds),
                   first_value(open) OVER w, max(high) OVER w, min(low) OVER w, last_value(close) OVER w,
                   sum(volume) OVER w, sum(quote_volume) OVER w, sum(taker_buy_volume) OVER w, sum(taker_buy_quote_volume) OVER w,
                   (sum(trade_count) OVER w)::bigint, sum(quote_volume) OVER w / sum(volume) OVER w,
                   bool_and(is_final) OVER w AND bucket + make_interval(secs => @seconds) <= (SELECT at FROM last_final),
                   CASE WHEN bool_or(source = 'replay') OVER w THEN 'replay' ELSE 'live' END
            FROM m
            WINDOW w AS (PARTITION BY bucket ORDER BY window_start ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
            ORDER BY bucket
            """);
        command.Parameters.AddWithValue("seconds", seconds);
        var rows = new List<CandleRow>();
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            rows.Add(new CandleRow(
                reader.GetFieldValue<DateTimeOffset>(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetDecimal(2), reader.GetDecimal(3),
                reader.GetDecimal(4), reader.GetDecimal(5), reader.GetDecimal(6), reader.GetDecimal(7), reader.GetDecimal(8), reader.GetDecimal(9),
                reader.GetInt64(10), reader.GetDecimal(11), reader.GetBoolean(12), reader.GetString(13)));
        }

        return rows;
    }
}
