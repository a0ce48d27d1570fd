using CryptoPipeline.Testing;
using Npgsql;

namespace CryptoPipeline.Database.FunctionalTests.Schema;

public sealed class MarketDataSchemaTests(PostgresFixture postgres)
{
    private static readonly DateTime Hour = new(2024, 8, 8, 23, 0, 0, DateTimeKind.Utc);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Trades_1min_agg_has_the_contract_columns_in_order_followed_by_the_window_state()
    {
        var connectionString = await postgres.CreateDatabaseAsync(migrated: true, Cancellation);

        var columns = await Sql.RowsAsync(connectionString, """
            SELECT column_name, data_type FROM information_schema.columns
            WHERE table_schema = 'public' AND table_name = 'trades_1min_agg' ORDER BY ordinal_position
            """);
        var primaryKey = await Sql.RowsAsync(connectionString, """
            SELECT a.attname FROM pg_index i
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
            WHERE i.indrelid = 'trades_1min_agg'::regclass AND i.indisprimary
            ORDER BY array_position(i.indkey, a.attnum)
            """);

        // DESIGN.md §4, verbatim.
        (string, string)[] contract =
        [
            ("exchange", "text"), ("symbol", "text"),
            ("window_start", "timestamp with time zone"), ("window_end", "timestamp with time zone"),
            ("open", "numeric"), ("high", "numeric"), ("low", "numeric"), ("close", "numeric"),
            ("volume", "numeric"), ("quote_volume", "numeric"), ("taker_buy_volume", "numeric"),
            ("taker_buy_quote_volume", "numeric"), ("vwap", "numeric"), ("avg_price", "numeric"),
            ("trade_count", "bigint"), ("first_trade_id", "bigint"), ("last_trade_id", "bigint"),
            ("is_final", "boolean"), ("updated_at", "timestamp with time zone"),
        ];
        (string, string)[] state =
        [
            ("first_trade_time", "timestamp with time zone"), ("last_trade_time", "timestamp with time zone"),
            ("price_sum", "numeric"), ("source", "text"), ("trade_ids", "int8multirange"),
        ];
        Assert.Equal([.. contract, .. state], columns.Select(c => ((string)c[0]!, (string)c[1]!)));
        Assert.Equal(["exchange", "symbol", "window_start"], primaryKey.Select(c => (string)c[0]!));
    }

    [Theory]
    [InlineData("trades_1h_agg", "exchange symbol window_start window_end open high low close volume quote_volume taker_buy_volume taker_buy_quote_volume vwap avg_price trade_count first_trade_id last_trade_id is_final updated_at first_trade_time last_trade_time price_sum source")]
    [InlineData("current_prices", "exchange symbol last_price last_qty last_trade_id last_trade_time bid_price bid_qty ask_price ask_qty spread quote_time updated_at source")]
    [InlineData("prices_1min_avg", "exchange symbol window_start window_end avg_price min_price max_price last_price last_tick_time tick_count price_sum is_final updated_at source")]
    [InlineData("moving_averages", "exchange symbol start_time avg_price ma_5 ma_15 ma_60 source")]
    [InlineData("trades", "exchange symbol trade_id price qty quote_qty is_buyer_maker kind trade_time received_at source")]
    [InlineData("consumer_offsets", "cluster_id consumer_group topic partition next_offset updated_at max_event_time")]
    [InlineData("job_runs", "id job_name started_at finished_at status message metrics host")]
    [InlineData("ingestion_gaps", "id exchange symbol first_missing_id last_missing_id detected_at status filled_at detail")]
    [InlineData("ingestion_events", "id occurred_at exchange connection kind detail")]
    [InlineData("alerts", "id rule subject severity state raised_at resolved_at detail")]
    public async Task Schema_has_the_relation_with_its_columns(string relation, string expectedColumns)
    {
        var connectionString = await postgres.CreateDatabaseAsync(migrated: true, Cancellation);

        var columns = await Sql.RowsAsync(connectionString, """
            SELECT column_name FROM information_schema.columns
            WHERE table_schema = 'public' AND table_name = @relation ORDER BY ordinal_position
            """, ("relation", relation));

        Assert.Equal(expectedColumns.Split(' '), columns.Select(c => (string)c[0]!));
    }

    [Fact]
    public async Task Vwap_avg_price_and_spread_are_derived_from_the_stored_values()
    {
        var connectionString = await postgres.CreateDatabaseAsync(migrated: true, Cancellation);
        await InsertMinuteAsync(connectionString, new Minute("BTCUSDT", Hour, Open: 100m, High: 104m, Low: 99m, Close: 101m,
            Volume: 4m, QuoteVolume: 406m, TradeCount: 3, PriceSum: 304.5m, FirstId: 1, LastId: 3));
        await Sql.ExecuteAsync(connectionString,
            "INSERT INTO current_prices (exchange, symbol, bid_price, ask_price) VALUES ('binance', 'BTCUSDT', 100.25, 100.75)");

        var row = (await Sql.RowsAsync(connectionString, "SELECT vwap, avg_price FROM trades_1min_agg"))[0];
        var spread = await Sql.ScalarAsync<decimal>(connectionString, "SELECT spread FROM current_prices");

        Assert.Equal(101.5m, (decimal)row[0]!);
        Assert.Equal(101.5m, (decimal)row[1]!);
        Assert.Equal(0.5m, spread);
    }

    [Theory]
    [InlineData("window_start = window_start + interval '30 seconds', window_end = window_end + interval '30 seconds', first_trade_time = first_trade_time + interval '30 seconds'", "trades_1min_agg_window_aligned")]
    [InlineData("window_end = window_start + interval '2 minutes'", "trades_1min_agg_window_length")]
    [InlineData("open = 105", "trades_1min_agg_open_in_range")]
    [InlineData("close = 99", "trades_1min_agg_close_in_range")]
    [InlineData("taker_buy_volume = 2", "trades_1min_agg_volumes")]
    [InlineData("trade_count = 0", "trades_1min_agg_trade_count")]
    [InlineData("first_trade_id = 2", "trades_1min_agg_trade_ids")]
    [InlineData("last_trade_time = window_end", "trades_1min_agg_trade_times")]
    [InlineData("source = 'made-up'", "trades_1min_agg_source")]
    public async Task A_candle_row_that_breaks_a_window_or_price_rule_is_rejected_by_that_rule(string change, string constraint)
    {
        var connectionString = await postgres.CreateDatabaseAsync(migrated: true, Cancellation);
        await InsertMinuteAsync(connectionString, Flat("BTCUSDT", Hour, 100m, 1));

        var error = await Assert.ThrowsAsync<PostgresException>(
            () => Sql.ExecuteAsync(connectionString, $"UPDATE trades_1min_agg SET {change}"));

        Assert.Equal(PostgresErrorCodes.CheckViolation, error.SqlState);
        Assert.Equal(constraint, error.ConstraintName);
    }

    [Fact]
    public async Task Moving_averages_span_the_last_N_minutes_of_finished_rows_per_instrument()
    {
        var connectionString = await postgres.CreateDatabaseAsync(migrated: true, Cancellation);
        // Minute 2 had no trades; minute 6 is still open; ETH must not mix into BTC.
        decimal?[] prices = [10m, 11m, null, 13m, 14m, 15m, 99m];
        for (var minute = 0; minute < prices.Length; minute++)
        {
            if (prices[minute] is { } price)
            {
                await InsertMinuteAsync(connectionString, Flat("BTCUSDT", Hour.AddMinutes(minute), price, minute, isFinal: minute < 6));
            }
        }

        await InsertMinuteAsync(connectionString, Flat("ETHUSDT", Hour.AddMinutes(5), 1000m, 1));

        var rows = await Sql.RowsAsync(connectionString,
            "SELECT start_time, avg_price, ma_5, ma_15, ma_60 FROM moving_averages WHERE symbol = 'BTCUSDT' ORDER BY start_time");

        Assert.Equal(
            new[] { 0, 1, 3, 4, 5 }.Select(m => Hour.AddMinutes(m)),
            rows.Select(r => (DateTime)r[0]!));
        var last = rows[^1];
        Assert.Equal(15m, (decimal)last[1]!);
        Assert.Equal(13.25m, (decimal)last[2]!); // minutes 1..5: 11, 13, 14, 15
        Assert.Equal(12.6m, (decimal)last[3]!);  // minutes 0..5: 10, 11, 13, 14, 15
        Assert.Equal(12.6m, (decimal)last[4]!);
        Assert.Equal(10m, (decimal)rows[0][2]!);
    }

    [Fact]
    public async Task Hourly_rollup_merges_the_minutes_and_is_final_only_when_every_minute_is()
    {
        var connectionString = await postgres.CreateDatabaseAsync(migrated: true, Cancellation);
        await InsertMinuteAsync(connectionString, new Minute("BTCUSDT", Hour.AddMinutes(58), 100m, 105m, 99m, 104m, 2m, 203m, 2, 203m, 10, 11));
        await InsertMinuteAsync(connectionString, new Minute("BTCUSDT", Hour.AddMinutes(3), 101m, 102m, 98m, 99m, 1m, 100m, 3, 300m, 7, 9, Source: "backfill"));
        await InsertMinuteAsync(connectionString, new Minute("BTCUSDT", Hour.AddMinutes(60), 104m, 104m, 104m, 104m, 1m, 104m, 1, 104m, 12, 12, IsFinal: false));

        var written = await Sql.ScalarAsync<int>(connectionString, "SELECT rollup_trades_1h(@from, @to)",
            ("from", Hour.AddMinutes(30)), ("to", Hour.AddMinutes(61)));
        var hours = await Sql.RowsAsync(connectionString, """
            SELECT window_start, open, high, low, close, volume, quote_volume, trade_count, first_trade_id, last_trade_id,
                   avg_price, is_final, source
            FROM trades_1h_agg ORDER BY window_start
            """);

        Assert.Equal(2, written);
        Assert.Equal(new object[] { Hour, 101m, 105m, 98m, 104m, 3m, 303m, 5L, 7L, 11L, 100.6m, true, "backfill" }, hours[0]);
        Assert.Equal(Hour.AddHours(1), hours[1][0]);
        Assert.False((bool)hours[1][11]!);

        // A late firing of a finished minute reaches the hour on the next run.
        await Sql.ExecuteAsync(connectionString,
            "UPDATE trades_1min_agg SET high = 110, volume = 3, quote_volume = 313 WHERE window_start = @start", ("start", Hour.AddMinutes(58)));
        await Sql.ExecuteAsync(connectionString, "SELECT rollup_trades_1h(@from, @to)", ("from", Hour), ("to", Hour.AddHours(1)));

        var updated = (await Sql.RowsAsync(connectionString, "SELECT high, volume, trade_count FROM trades_1h_agg WHERE window_start = @start", ("start", Hour)))[0];
        Assert.Equal(new object[] { 110m, 4m, 5L }, updated);
    }

    private static Minute Flat(string symbol, DateTime start, decimal price, long tradeId, bool isFinal = true) =>
        new(symbol, start, price, price, price, price, 1m, price, 1, price, tradeId, tradeId, isFinal);

    private static Task InsertMinuteAsync(string connectionString, Minute m) =>
        Sql.ExecuteAsync(connectionString, """
            INSERT INTO trades_1min_agg (
                exchange, symbol, window_start, window_end, open, high, low, close, volume, quote_volume,
                taker_buy_volume, taker_buy_quote_volume, trade_count, first_trade_id, last_trade_id, is_final,
                first_trade_time, last_trade_time, price_sum, source)
            VALUES (
                'binance', @symbol, @start, @start + interval '1 minute', @open, @high, @low, @close, @volume, @quote,
                0, 0, @count, @first, @last, @final,
                @start, @start + interval '59 seconds', @sum, @source)
            """,
            ("symbol", m.Symbol), ("start", m.Start), ("open", m.Open), ("high", m.High), ("low", m.Low), ("close", m.Close),
            ("volume", m.Volume), ("quote", m.QuoteVolume), ("count", m.TradeCount), ("first", m.FirstId), ("last", m.LastId),
            ("final", m.IsFinal), ("sum", m.PriceSum), ("source", m.Source));

    private sealed record Minute(
        string Symbol, DateTime Start, decimal Open, decimal High, decimal Low, decimal Close, decimal Volume, decimal QuoteVolume,
        long TradeCount, decimal PriceSum, long FirstId, long LastId, bool IsFinal = true, string Source = "live");
}
