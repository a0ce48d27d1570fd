using Npgsql;

namespace CryptoPipeline.Api.FunctionalTests;

/// <summary>A 1-minute candle row as the processor writes it to <c>trades_1min_agg</c>.</summary>
public sealed record MinuteRow(
    string Exchange,
    string Symbol,
    DateTimeOffset Start,
    decimal Open,
    decimal High,
    decimal Low,
    decimal Close,
    decimal Volume,
    decimal QuoteVolume,
    long TradeCount,
    bool IsFinal = true,
    string Source = "live")
{
    public decimal TakerBuyVolume { get; init; } = Volume / 2;

    public decimal TakerBuyQuoteVolume { get; init; } = QuoteVolume / 2;
}

/// <summary>Seeds the tables of DESIGN.md §4 with plain SQL, as the processor and the monitor would fill them.</summary>
public static class MarketData
{
    public static async Task InsertAsync(string connectionString, IEnumerable<MinuteRow> rows, CancellationToken cancellationToken = default)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var writer = await connection.BeginBinaryImportAsync(
            """
            COPY trades_1min_agg (exchange, symbol, window_start, window_end, open, high, low, close, volume, quote_volume,
                                  taker_buy_volume, taker_buy_quote_volume, trade_count, first_trade_id, last_trade_id, is_final,
                                  first_trade_time, last_trade_time, price_sum, source)
            FROM STDIN (FORMAT BINARY)
            """, cancellationToken);
        var tradeId = 1L;
        foreach (var row in rows)
        {
            await writer.StartRowAsync(cancellationToken);
            await writer.WriteAsync(row.Exchange, cancellationToken);
            await writer.WriteAsync(row.Symbol, cancellationToken);
            await writer.WriteAsync(row.Start, NpgsqlTypes.NpgsqlDbType.TimestampTz, cancellationToken);
            await writer.WriteAsync(row.Start.AddMinutes(1), NpgsqlTypes.NpgsqlDbType.TimestampTz, cancellationToken);
            await writer.WriteAsync(row.Open, cancellationToken);
            await writer.WriteAsync(row.High, cancellationToken);
            await writer.WriteAsync(row.Low, cancellationToken);
            await writer.WriteAsync(row.Close, cancellationToken);
            await writer.WriteAsync(row.Volume, cancellationToken);
            await writer.WriteAsync(row.QuoteVolume, cancellationToken);
            await writer.WriteAsync(row.TakerBuyVolume, cancellationToken);
            await writer.WriteAsync(row.TakerBuyQuoteVolume, cancellationToken);
            await writer.WriteAsync(row.TradeCount, cancellationToken);
            await writer.WriteAsync(tradeId, cancellationToken);
            await writer.WriteAsync(tradeId + row.TradeCount - 1, cancellationToken);
            tradeId += row.TradeCount;
            await writer.WriteAsync(row.IsFinal, cancellationToken);
            await writer.WriteAsync(row.Start.AddSeconds(1), NpgsqlTypes.NpgsqlDbType.TimestampTz, cancellationToken);
            await writer.WriteAsync(row.Start.AddSeconds(59), NpgsqlTypes.NpgsqlDbType.TimestampTz, cancellationToken);
            await writer.WriteAsync((row.Open + row.Close) / 2 * row.TradeCount, cancellationToken);
            await writer.WriteAsync(row.Source, cancellationToken);
        }

        await writer.CompleteAsync(cancellationToken);
    }

    public static Task InsertAsync(string connectionString, params MinuteRow[] rows) => InsertAsync(connectionString, rows, CancellationToken.None);

    /// <summary>Upserts the latest trade and best bid/ask of an instrument, as the processor does.</summary>
    public static async Task UpsertPriceAsync(
        string connectionString, string exchange, string symbol, decimal? last, decimal? bid, decimal? ask, string source = "live",
        CancellationToken cancellationToken = default)
    {
        await ExecuteAsync(
            connectionString,
            """
            INSERT INTO current_prices (exchange, symbol, last_price, last_qty, last_trade_time, bid_price, bid_qty, ask_price, ask_qty, quote_time, updated_at, source)
            VALUES (@exchange, @symbol, @last, 0.5, now(), @bid, 1.25, @ask, 2.5, now(), now(), @source)
            ON CONFLICT (exchange, symbol) DO UPDATE SET
                last_price = excluded.last_price, bid_price = excluded.bid_price, ask_price = excluded.ask_price,
                quote_time = excluded.quote_time, updated_at = excluded.updated_at, source = excluded.source
            """,
            cancellationToken,
            ("exchange", exchange), ("symbol", symbol), ("last", last), ("bid", bid), ("ask", ask), ("source", source));
    }

    public static async Task ExecuteAsync(
        string connectionString, string sql, CancellationToken cancellationToken = default, params (string Name, object? Value)[] parameters)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// A day-long series of one instrument with realistic features: gaps (minutes without trades), open and final
    /// minutes, a replayed stretch, prices with eight decimals and volumes of varying scale. Deterministic.
    /// </summary>
    public static List<MinuteRow> Series(string exchange, string symbol, DateTimeOffset start, int minutes, int seed = 7)
    {
        var random = new Random(seed);
        var rows = new List<MinuteRow>();
        var price = 61_000m;
        for (var i = 0; i < minutes; i++)
        {
            if (random.Next(10) == 0)
            {
                continue;
            }

            var open = price;
            var close = Math.Round(open + (random.Next(-4_000, 4_001) / 100m) + (random.Next(0, 100) / 100_000_000m), 8);
            var high = Math.Max(open, close) + (random.Next(0, 2_000) / 100m);
            var low = Math.Min(open, close) - (random.Next(0, 2_000) / 100m);
            var volume = random.Next(1, 5_000_000) / 100_000m;
            var quote = Math.Round(volume * ((open + close) / 2), 10);
            rows.Add(new MinuteRow(exchange, symbol, start.AddMinutes(i), open, high, low, close, volume, quote, random.Next(1, 900),
                IsFinal: i < minutes - 2, Source: i is >= 600 and < 660 ? "replay" : "live")
            {
                TakerBuyVolume = Math.Round(volume * random.Next(0, 101) / 100m, 5),
                TakerBuyQuoteVolume = Math.Round(quote * random.Next(0, 101) / 100m, 10),
            });
            price = close;
        }

        // Keep the taker volumes within the totals, as the table's constraints require.
        return [.. rows.Select(r => r with
        {
            TakerBuyVolume = Math.Min(r.TakerBuyVolume, r.Volume),
            TakerBuyQuoteVolume = Math.Min(r.TakerBuyQuoteVolume, r.QuoteVolume),
        })];
    }
}
