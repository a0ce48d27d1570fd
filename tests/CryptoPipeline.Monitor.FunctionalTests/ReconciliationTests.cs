using System.Globalization;
using System.Text.Json;
using CryptoPipeline.Contracts;
using CryptoPipeline.FakeExchange.Binance;
using CryptoPipeline.Monitor.FunctionalTests.Infrastructure;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Monitor.FunctionalTests;

/// <summary>Reconciliation against a fake Binance that serves the official klines of shared/data over REST.</summary>
public sealed class ReconciliationTests(PostgresFixture postgres)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>
    /// Stores the first <paramref name="count"/> official klines of <paramref name="file"/> as final live candles: the
    /// candles a correct pipeline writes (data/README.md).
    /// </summary>
    internal static async Task InsertCandlesAsync(string database, string exchange, string file, int count, string symbol = "BTCUSDT", string source = "live")
    {
        var rows = File.ReadLines(SharedData.Path(file)).Take(count).Select(line => line.Split(','));
        foreach (var (row, index) in rows.Select((r, i) => (r, i)))
        {
            var start = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(row[0], CultureInfo.InvariantCulture));
            var trades = long.Parse(row[8], CultureInfo.InvariantCulture);
            await Db.ExecuteAsync(
                database,
                """
                INSERT INTO trades_1min_agg (exchange, symbol, window_start, window_end, open, high, low, close, volume, quote_volume,
                    taker_buy_volume, taker_buy_quote_volume, trade_count, first_trade_id, last_trade_id, is_final,
                    first_trade_time, last_trade_time, price_sum, source)
                VALUES ($1, $2, $3, $3 + interval '1 minute', $4::numeric, $5::numeric, $6::numeric, $7::numeric, $8::numeric, $9::numeric,
                    $10::numeric, $11::numeric, $12, $13, $13 + $12 - 1, true, $3, $3 + interval '59 seconds', $7::numeric * $12, $14)
                """,
                exchange, symbol, start, row[1], row[2], row[3], row[4], row[5], row[7], row[9], row[10], trades, 1_000_000L * (index + 1), source);
        }
    }

    [Fact]
    public async Task Reconciliation_flags_exactly_the_candles_that_differ_from_the_exchange_s_klines()
    {
        await using var exchange = await FakeBinanceServer.StartAsync(new FakeBinanceServerOptions { Market = FakeBinanceMarket.Spot, Recordings = [] });
        var database = await postgres.CreateDatabaseAsync(cancellationToken: Cancellation);
        await InsertCandlesAsync(database, Exchanges.Binance, "binance/spot-klines/BTCUSDT-1m-2020-01-01.csv", 32);

        // One wrong close, one candle with a wrong volume and trade count, a lost minute, a minute not final yet.
        await Db.ExecuteAsync(database, "UPDATE trades_1min_agg SET close = close + 0.01 WHERE window_start = '2020-01-01T00:10:00Z'");
        await Db.ExecuteAsync(database, "UPDATE trades_1min_agg SET volume = volume + 1, trade_count = trade_count - 1 WHERE window_start = '2020-01-01T00:20:00Z'");
        await Db.ExecuteAsync(database, "DELETE FROM trades_1min_agg WHERE window_start = '2020-01-01T00:15:00Z'");
        await Db.ExecuteAsync(database, "UPDATE trades_1min_agg SET is_final = false, volume = 0, taker_buy_volume = 0, taker_buy_quote_volume = 0 WHERE window_start = '2020-01-01T00:25:00Z'");

        // Replayed data is no claim about the exchange's present: not reconciled (the fake has no ETHUSDT klines).
        await InsertCandlesAsync(database, Exchanges.Binance, "binance/spot-klines/BTCUSDT-1m-2020-01-01.csv", 30, symbol: "ETHUSDT", source: "replay");

        // At 00:32:30 with the defaults (2 minutes to settle, a 1-hour window) the window is [23:30, 00:30).
        await using var monitor = await MonitorHost.StartAsync(database, settings: new Dictionary<string, string?>
        {
            ["Monitor:ApiKey"] = MonitorHost.ApiKey,
            ["Monitor:Reconciliation:BaseUrl"] = exchange.RestBaseUrl,
        }, time: new ManualTimeProvider(new DateTimeOffset(2020, 1, 1, 0, 32, 30, TimeSpan.Zero)));

        var run = await monitor.RunAsync("reconciliation");

        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        var metrics = run.GetProperty("metrics");
        Assert.Equal(
            "instruments 1, compared 28, not final 1, mismatched 3, fields 3, missing 1, unexpected 0",
            $"instruments {metrics.GetProperty("instruments")}, compared {metrics.GetProperty("candlesCompared")}, not final {metrics.GetProperty("candlesNotFinal")}, " +
            $"mismatched {metrics.GetProperty("candlesMismatched")}, fields {metrics.GetProperty("fieldMismatches")}, missing {metrics.GetProperty("missing")}, unexpected {metrics.GetProperty("unexpected")}");
        var mismatches = await monitor.GetJsonAsync($"/api/v1/monitor/runs/{run.GetProperty("id")}/mismatches");
        Assert.Equal(
            [
                "binance BTCUSDT 00:10 field close 7187.37000000 7187.36000000",
                "binance BTCUSDT 00:15 missing - - kline",
                "binance BTCUSDT 00:20 field volume 15.16625100 14.16625100",
                "binance BTCUSDT 00:20 field trade_count 159 160",
            ],
            mismatches.GetProperty("mismatches").EnumerateArray().Select(Describe));
        Assert.Equal(["reconciliation-mismatch binance:BTCUSDT open"], await Db.RowsAsync(database, "SELECT rule, subject, state FROM alerts"));
        Assert.Equal(["/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=1577835000000&endTime=1577838599999&limit=1000"], exchange.RestRequests);
    }

    [Fact]
    public async Task Futures_candles_are_reconciled_with_the_futures_klines()
    {
        await using var spot = await FakeBinanceServer.StartAsync(new FakeBinanceServerOptions { Market = FakeBinanceMarket.Spot, Recordings = [] });
        await using var futures = await FakeBinanceServer.StartAsync(new FakeBinanceServerOptions { Market = FakeBinanceMarket.Usdm, Recordings = [] });
        var database = await postgres.CreateDatabaseAsync(cancellationToken: Cancellation);
        await InsertCandlesAsync(database, Exchanges.BinanceUsdm, "binance/usdm-klines/BTCUSDT-UM-1m-2023-04-04T2357-2023-04-05T0008.excerpt.csv", 12);
        await Db.ExecuteAsync(database, "UPDATE trades_1min_agg SET high = high + 5 WHERE window_start = '2023-04-05T00:03:00Z'");
        await using var monitor = await MonitorHost.StartAsync(database, settings: new Dictionary<string, string?>
        {
            ["Monitor:ApiKey"] = MonitorHost.ApiKey,
            ["Monitor:Reconciliation:BaseUrl"] = spot.RestBaseUrl,
            ["Monitor:Reconciliation:FuturesBaseUrl"] = futures.RestBaseUrl,
        }, time: new ManualTimeProvider(new DateTimeOffset(2023, 4, 5, 0, 12, 0, TimeSpan.Zero)));

        var run = await monitor.RunAsync("reconciliation");

        var mismatches = await monitor.GetJsonAsync($"/api/v1/monitor/runs/{run.GetProperty("id")}/mismatches");
        Assert.Equal(["binance-usdm BTCUSDT 00:03 field high 28160.30 28155.30"], mismatches.GetProperty("mismatches").EnumerateArray().Select(Describe));
        Assert.Equal(12, run.GetProperty("metrics").GetProperty("candlesCompared").GetInt32());
        Assert.Empty(spot.RestRequests);
        Assert.All(futures.RestRequests, r => Assert.StartsWith("/fapi/v1/klines?symbol=BTCUSDT&interval=1m", r, StringComparison.Ordinal));
    }

    private static string Describe(JsonElement m) =>
        $"{m.GetProperty("exchange")} {m.GetProperty("symbol")} {m.GetProperty("windowStart").GetDateTimeOffset():HH:mm} {m.GetProperty("kind")} " +
        string.Join(' ', new[] { "field", "ours", "exchangeValue" }.Select(p => m.GetProperty(p).GetString() ?? "-"));
}
