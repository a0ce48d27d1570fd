using System.Net.Http.Json;
using System.Text.Json;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Api.FunctionalTests;

/// <summary>Symbols, tickers, statistics and the pipeline status around a fixed "now" of 2026-03-10 12:34:56 UTC.</summary>
public sealed class MarketApiFixture(PostgresFixture postgres) : IAsyncLifetime
{
    public static readonly DateTimeOffset Now = new(2026, 3, 10, 12, 34, 56, TimeSpan.Zero);

    public ApiHost Api { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var database = await postgres.CreateDatabaseAsync();
        // BTCUSDT: 25 hours of minutes, opening at 100 and rising 1 per minute; ETHUSDT: two minutes an hour ago.
        await MarketData.InsertAsync(database, Enumerable.Range(0, 1500).Select(i =>
            new MinuteRow("binance", "BTCUSDT", Now.AddMinutes(-1500 + i).AddSeconds(-56), 100m + i, 101m + i, 99m + i, 101m + i, 2m, 200m + i, 3)));
        await MarketData.InsertAsync(database,
            new MinuteRow("binance", "ETHUSDT", new DateTimeOffset(2026, 3, 10, 11, 30, 0, TimeSpan.Zero), 10m, 12m, 9m, 11m, 5m, 50m, 4, Source: "simulated"),
            new MinuteRow("binance", "ETHUSDT", new DateTimeOffset(2026, 3, 10, 11, 31, 0, TimeSpan.Zero), 11m, 11m, 8m, 8m, 5m, 45m, 6, Source: "simulated"));
        await MarketData.UpsertPriceAsync(database, "binance", "BTCUSDT", last: 1600.5m, bid: 1600.25m, ask: 1600.75m);
        await MarketData.UpsertPriceAsync(database, "coingecko", "bitcoin", last: 1601m, bid: null, ask: null);
        await MarketData.ExecuteAsync(database,
            """
            INSERT INTO consumer_offsets (cluster_id, consumer_group, topic, partition, next_offset, updated_at, max_event_time)
            VALUES ('cluster-a', 'processor', 'raw_trades', 0, 42, now() - interval '3 seconds', now() - interval '10 seconds');
            INSERT INTO job_runs (job_name, started_at, finished_at, status, message, metrics)
            VALUES ('freshness', now() - interval '1 minute', now(), 'succeeded', 'all fresh', '{"checked": 2}'),
                   ('lag', now() - interval '30 seconds', NULL, 'running', NULL, NULL);
            INSERT INTO alerts (rule, subject, severity, detail) VALUES ('stale-data', 'binance:ETHUSDT', 'warning', '{"ageSeconds": 300}');
            INSERT INTO alerts (rule, subject, severity, state, resolved_at) VALUES ('stale-data', 'binance:BTCUSDT', 'warning', 'resolved', now());
            INSERT INTO ingestion_gaps (exchange, symbol, first_missing_id, last_missing_id, detail) VALUES ('binance', 'BTCUSDT', 1001, 1005, 'reconnect');
            INSERT INTO ingestion_gaps (exchange, symbol, first_missing_id, last_missing_id, status, filled_at) VALUES ('binance', 'BTCUSDT', 5, 6, 'filled', now());
            """, TestContext.Current.CancellationToken);
        Api = await ApiHost.StartAsync(database, clock: new FixedClock(Now));
    }

    public async ValueTask DisposeAsync() => await Api.DisposeAsync();
}

public sealed class MarketApiTests(MarketApiFixture fixture) : IClassFixture<MarketApiFixture>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task Symbols_lists_instruments_with_candles_or_prices_and_their_latest_source()
    {
        var symbols = await GetAsync<List<SymbolRow>>("/api/v1/symbols");

        Assert.Equal(["binance:BTCUSDT", "binance:ETHUSDT", "coingecko:bitcoin"], symbols.Select(s => $"{s.Exchange}:{s.Symbol}"));
        Assert.Equal(MarketApiFixture.Now.AddMinutes(-1500).AddSeconds(-56), symbols[0].FirstCandle);
        Assert.Equal("simulated", symbols[1].Source);
        Assert.Null(symbols[2].FirstCandle);
        Assert.Equal(1601m, symbols[2].LastPrice);
    }

    [Fact]
    public async Task Tickers_carry_bid_ask_spread_and_the_change_and_volume_of_the_last_24_hours()
    {
        var btc = (await GetAsync<List<TickerRow>>("/api/v1/tickers?exchange=binance")).Single(t => t.Symbol == "BTCUSDT");

        Assert.Equal(1600.5m, btc.Last);
        Assert.Equal(1600.25m, btc.Bid);
        Assert.Equal(1600.75m, btc.Ask);
        Assert.Equal(0.50m, btc.Spread);
        // The 1,440 minutes ending with the latest (index 1499): indexes 60..1499.
        Assert.Equal(160m, btc.Open24h);
        Assert.Equal(1600m, btc.Close24h());
        Assert.Equal(1440m, btc.Change24h);
        Assert.Equal(900m, btc.ChangePercent24h);
        Assert.Equal(2880m, btc.Volume24h);
        Assert.Equal(4320L, btc.TradeCount24h);
    }

    [Fact]
    public async Task Statistics_cover_the_last_minutes_by_quote_volume_and_hourly_statistics_the_last_hours()
    {
        var hour = await GetAsync<StatisticsResponse>("/api/v1/statistics?minutes=90");
        var hourly = await GetAsync<HourlyStatisticsResponse>("/api/v1/statistics/hourly?hours=2&symbol=ETHUSDT");

        Assert.Equal(MarketApiFixture.Now, hour.To);
        Assert.Equal(["BTCUSDT", "ETHUSDT"], hour.Symbols.Select(s => s.Symbol));
        var eth = hour.Symbols[1];
        Assert.Equal((10L, 10m, 95m, 10m, 12m, 8m, 8m, -2m, -20m, 9.5m),
            (eth.TradeCount, eth.Volume, eth.QuoteVolume, eth.Open, eth.High, eth.Low, eth.Close, eth.Change, eth.ChangePercent, eth.Vwap));
        var only = Assert.Single(hourly.Hours);
        Assert.Equal((new DateTimeOffset(2026, 3, 10, 11, 0, 0, TimeSpan.Zero), 10L, 95m, "simulated"), (only.HourStart, only.TradeCount, only.QuoteVolume, only.Source));
    }

    [Fact]
    public async Task Pipeline_status_shows_freshness_consumer_progress_jobs_open_alerts_open_gaps_and_that_data_is_not_all_live()
    {
        var status = await GetAsync<PipelineStatus>("/api/v1/pipeline");

        Assert.Equal("mixed", status.Mode);
        Assert.Equal(["live", "simulated"], status.Sources);
        Assert.Equal(["BTCUSDT", "ETHUSDT", "bitcoin"], status.Freshness.Select(f => f.Symbol));
        Assert.All(status.Freshness, f => Assert.InRange(f.AgeSeconds!.Value, 0, 120));
        var consumer = Assert.Single(status.Consumers);
        Assert.Equal(("raw_trades", 0, 42L), (consumer.Topic, consumer.Partition, consumer.NextOffset));
        Assert.InRange(consumer.EventTimeLagSeconds!.Value, 10, 120);
        Assert.Equal(["lag", "freshness"], status.Jobs.Select(j => j.JobName));
        Assert.Equal(2, status.Jobs[1].Metrics!.Value.GetProperty("checked").GetInt32());
        Assert.Equal("binance:ETHUSDT", Assert.Single(status.Alerts).Subject);
        Assert.Equal(1001, Assert.Single(status.Gaps).FirstMissingId);
    }

    private async Task<T> GetAsync<T>(string path) =>
        (await fixture.Api.Client.GetFromJsonAsync<T>(path, Json, TestContext.Current.CancellationToken))!;
}

internal static class TickerRowExtensions
{
    public static decimal? Close24h(this TickerRow ticker) => ticker.Open24h + ticker.Change24h;
}
