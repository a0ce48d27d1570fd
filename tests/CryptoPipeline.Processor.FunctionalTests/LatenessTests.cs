using CryptoPipeline.Contracts;
using CryptoPipeline.Processor.FunctionalTests.Infrastructure;
using CryptoPipeline.Testing;
using Npgsql;

namespace CryptoPipeline.Processor.FunctionalTests;

/// <summary>Finalization by watermark, late firings and end of input (DESIGN.md §5).</summary>
public sealed class LatenessTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Late_trade_updates_its_final_window_and_end_of_input_finalizes_everything()
    {
        using var kafka = new PipelineKafka();
        var database = await postgres.CreateDatabaseAsync(cancellationToken: TestContext.Current.CancellationToken);
        var trades = Recordings.SpotCsvTrades;
        var minute = Assert.Single(Recordings.FullMinutes(trades));
        var kline = Recordings.Klines(Recordings.SpotKlines).Single(k => k.OpenTime == minute);

        // The minute's opening trade arrives after the watermark (no allowed lateness) passed the minute's end.
        var late = trades.Where(t => t.TradeTime >= minute).MinBy(t => t.TradeId)!;
        var settings = new Dictionary<string, string?> { ["Processor:AllowedLateness"] = "00:00:00" };
        await using var host = await ProcessorHost.StartAsync(kafka.BootstrapServers, database, settings);

        kafka.Publish(trades.Where(t => t != late));
        await Tables.WaitForEverythingCommittedAsync(database, kafka);
        var before = await CandleAsync(database, minute);
        Assert.True(before.IsFinal);
        Assert.Equal(kline.TradeCount - 1, before.TradeCount);
        Assert.True(before.FirstTradeId > late.TradeId);
        Assert.False((await CandleAsync(database, minute.AddMinutes(1))).IsFinal);

        kafka.Publish([late]);
        await Tables.WaitForEverythingCommittedAsync(database, kafka);
        var after = await CandleAsync(database, minute);
        Assert.True(after.IsFinal);
        Assert.Equal(kline, ConformanceTests.AsKline(after));
        Assert.False((await CandleAsync(database, minute.AddMinutes(1))).IsFinal);

        kafka.PublishEndOfInput();
        await Tables.WaitForEverythingCommittedAsync(database, kafka);
        var candles = await Tables.CandlesAsync(database, Exchanges.Binance, "BTCUSDT");
        Assert.Equal(3, candles.Count);
        Assert.All(candles, c => Assert.True(c.IsFinal));

        // The hour rolled up from its final minutes, the late firing included.
        var (hourCount, hourFinal) = await HourAsync(database, new DateTimeOffset(minute.Year, minute.Month, minute.Day, minute.Hour, 0, 0, TimeSpan.Zero));
        Assert.Equal(trades.Count, hourCount);
        Assert.True(hourFinal);
    }

    private static async Task<CandleRow> CandleAsync(string database, DateTimeOffset minute) =>
        (await Tables.CandlesAsync(database, Exchanges.Binance, "BTCUSDT")).Single(c => c.WindowStart == minute);

    private static async Task<(long TradeCount, bool IsFinal)> HourAsync(string database, DateTimeOffset hour)
    {
        await using var connection = await Tables.OpenAsync(database);
        await using var command = new NpgsqlCommand(
            "SELECT trade_count, is_final FROM trades_1h_agg WHERE exchange = 'binance' AND symbol = 'BTCUSDT' AND window_start = @hour", connection);
        command.Parameters.AddWithValue("hour", hour);
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken), $"No hourly candle for {hour:O}");
        return (reader.GetInt64(0), reader.GetBoolean(1));
    }
}
