using CryptoPipeline.Contracts;
using CryptoPipeline.Processor.FunctionalTests.Infrastructure;
using CryptoPipeline.Testing;
using Npgsql;

namespace CryptoPipeline.Processor.FunctionalTests;

/// <summary><c>current_prices</c> from trades and quotes, and per-minute averages of polled prices (DESIGN.md §4).</summary>
public sealed class CurrentPricesTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Last_trade_best_bid_ask_and_price_minutes_come_from_the_recorded_feed_and_repeated_ticks_count_once()
    {
        using var kafka = new PipelineKafka();
        var database = await postgres.CreateDatabaseAsync(cancellationToken: TestContext.Current.CancellationToken);
        var trades = Recordings.UsdmTrades;
        // Every fourth quote and the last: all of them would not fit the embedded cluster's partition.
        var quotes = Recordings.UsdmQuotes.Where((_, i) => i % 4 == 0 || i == Recordings.UsdmQuotes.Count - 1).ToList();
        var ticks = Recordings.UsdmMarkPrices;
        kafka.Publish(trades);
        kafka.Publish(quotes);
        kafka.Publish(ticks);

        // A poller restarted mid-way repeats what it sent: the repeated ticks must not count again.
        kafka.Publish(ticks.Take(ticks.Count / 2));
        kafka.PublishEndOfInput(Topics.Prices);
        await using (await ProcessorHost.StartAsync(kafka.BootstrapServers, database))
        {
            await Tables.WaitForEverythingCommittedAsync(database, kafka);
        }

        await using var connection = await Tables.OpenAsync(database);
        var lastTrade = trades.Where(t => t.Kind == TradeKind.Market).MaxBy(t => t.TradeId)!;
        var latestQuoteTime = quotes.Max(q => q.Time);
        var lastQuote = quotes.Last(q => q.Time == latestQuoteTime);
        await using (var command = new NpgsqlCommand(
            "SELECT last_price, last_qty, last_trade_id, last_trade_time, bid_price, bid_qty, ask_price, ask_qty, spread, quote_time, source FROM current_prices",
            connection))
        {
            await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
            Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken));
            Assert.Equal(
                (lastTrade.Price, lastTrade.Quantity, lastTrade.TradeId, lastTrade.TradeTime),
                (reader.GetDecimal(0), reader.GetDecimal(1), reader.GetInt64(2), reader.GetFieldValue<DateTimeOffset>(3)));
            Assert.Equal(
                (lastQuote.BidPrice, lastQuote.BidQuantity, lastQuote.AskPrice, lastQuote.AskQuantity, lastQuote.AskPrice - lastQuote.BidPrice, lastQuote.Time!.Value),
                (reader.GetDecimal(4), reader.GetDecimal(5), reader.GetDecimal(6), reader.GetDecimal(7), reader.GetDecimal(8), reader.GetFieldValue<DateTimeOffset>(9)));
            Assert.Equal("replay", reader.GetString(10));
            Assert.False(await reader.ReadAsync(TestContext.Current.CancellationToken));
        }

        var expected = ticks
            .GroupBy(t => Recordings.StartOfMinute(t.Time))
            .Select(g => (g.Key, g.Count(), g.Min(t => t.Price), g.Max(t => t.Price), g.MaxBy(t => t.Time)!.Price, g.Sum(t => t.Price), true))
            .OrderBy(m => m.Key)
            .ToList();
        var actual = new List<(DateTimeOffset, int, decimal, decimal, decimal, decimal, bool)>();
        await using (var command = new NpgsqlCommand(
            "SELECT window_start, tick_count, min_price, max_price, last_price, price_sum, is_final FROM prices_1min_avg ORDER BY window_start",
            connection))
        {
            await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
            while (await reader.ReadAsync(TestContext.Current.CancellationToken))
            {
                actual.Add((reader.GetFieldValue<DateTimeOffset>(0), (int)reader.GetInt64(1), reader.GetDecimal(2), reader.GetDecimal(3),
                    reader.GetDecimal(4), reader.GetDecimal(5), reader.GetBoolean(6)));
            }
        }

        Assert.Equal(expected, actual);
    }
}
