using Npgsql;
using NpgsqlTypes;

namespace CryptoPipeline.Api;

/// <summary>
/// An instrument the pipeline has data of.
/// <para>
/// <c>FirstCandle</c>: Open time of its first 1-minute candle; null when it only has prices (polled sources).
/// </para><para>
/// <c>LastCandle</c>: Open time of its latest 1-minute candle.
/// </para><para>
/// <c>Source</c>: Where its latest data came from: live, replay, simulated or backfill.
/// </para>
/// </summary>
public sealed record SymbolRow(
    string Exchange,
    string Symbol,
    DateTimeOffset? FirstCandle,
    DateTimeOffset? LastCandle,
    decimal? LastPrice,
    DateTimeOffset? UpdatedAt,
    string Source);

/// <summary>
/// Latest trade, best bid/ask and the 24-hour figures of one instrument. The 24 hours are the 1,440 minutes that end
/// with the instrument's latest candle, so a replay of an old day shows that day's figures.
/// </summary>
public sealed record TickerRow(
    string Exchange,
    string Symbol,
    decimal? Last,
    DateTimeOffset? LastTradeTime,
    decimal? Bid,
    decimal? BidQuantity,
    decimal? Ask,
    decimal? AskQuantity,
    decimal? Spread,
    DateTimeOffset? QuoteTime,
    decimal? Open24h,
    decimal? High24h,
    decimal? Low24h,
    decimal? Change24h,
    decimal? ChangePercent24h,
    decimal? Volume24h,
    decimal? QuoteVolume24h,
    long? TradeCount24h,
    DateTimeOffset? UpdatedAt,
    string Source);

/// <summary>
/// What one instrument did over a window of minutes.
/// <para>
/// <c>ChangePercent</c>: (close − open) / open × 100, rounded to 4 decimals.
/// </para>
/// </summary>
public sealed record StatisticsRow(
    string Exchange,
    string Symbol,
    long TradeCount,
    decimal Volume,
    decimal QuoteVolume,
    decimal Open,
    decimal High,
    decimal Low,
    decimal Close,
    decimal? Vwap,
    decimal Change,
    decimal? ChangePercent,
    DateTimeOffset FirstMinute,
    DateTimeOffset LastMinute,
    string Source);

/// <summary>One hour of one instrument.</summary>
public sealed record HourlyStatisticsRow(
    string Exchange,
    string Symbol,
    DateTimeOffset HourStart,
    long TradeCount,
    decimal Volume,
    decimal QuoteVolume,
    decimal Open,
    decimal High,
    decimal Low,
    decimal Close,
    string Source);

/// <summary>Instruments, tickers and statistics, read from the tables of DESIGN.md §4.</summary>
internal sealed class MarketQueries(NpgsqlDataSource dataSource)
{
    // Every (exchange, symbol) with candles, found by skipping through the primary key one instrument at a time
    // (a loose index scan) instead of reading every minute, plus those that only have prices.
    internal const string Instruments = """
        WITH RECURSIVE candle_instruments AS (
            (SELECT exchange, symbol FROM trades_1min_agg ORDER BY exchange, symbol LIMIT 1)
            UNION ALL
            SELECT next.exchange, next.symbol
            FROM candle_instruments c
            CROSS JOIN LATERAL (
                SELECT t.exchange, t.symbol FROM trades_1min_agg t
                WHERE (t.exchange, t.symbol) > (c.exchange, c.symbol)
                ORDER BY t.exchange, t.symbol LIMIT 1) next
        ),
        instruments AS (
            SELECT exchange, symbol FROM candle_instruments
            UNION
            SELECT exchange, symbol FROM current_prices
        )
        """;

    private const string Symbols = Instruments + """
        SELECT i.exchange, i.symbol, first.window_start, last.window_start, p.last_price, p.updated_at,
               coalesce(last.source, p.source)
        FROM instruments i
        LEFT JOIN current_prices p ON p.exchange = i.exchange AND p.symbol = i.symbol
        LEFT JOIN LATERAL (SELECT window_start FROM trades_1min_agg t WHERE t.exchange = i.exchange AND t.symbol = i.symbol
                           ORDER BY window_start LIMIT 1) first ON true
        LEFT JOIN LATERAL (SELECT window_start, source FROM trades_1min_agg t WHERE t.exchange = i.exchange AND t.symbol = i.symbol
                           ORDER BY window_start DESC LIMIT 1) last ON true
        WHERE @exchange::text IS NULL OR i.exchange = @exchange
        ORDER BY i.exchange, i.symbol
        """;

    private const string Tickers = Instruments + """
        SELECT i.exchange, i.symbol, coalesce(p.last_price, d.close), p.last_trade_time, p.bid_price, p.bid_qty, p.ask_price, p.ask_qty,
               p.spread, p.quote_time, d.open, d.high, d.low, d.close, d.volume, d.quote_volume, d.trade_count, p.updated_at,
               coalesce(p.source, d.source)
        FROM instruments i
        LEFT JOIN current_prices p ON p.exchange = i.exchange AND p.symbol = i.symbol
        LEFT JOIN LATERAL (
            SELECT (array_agg(t.open ORDER BY t.window_start))[1] AS open, max(t.high) AS high, min(t.low) AS low,
                   (array_agg(t.close ORDER BY t.window_start DESC))[1] AS close,
                   sum(t.volume) AS volume, sum(t.quote_volume) AS quote_volume, sum(t.trade_count)::bigint AS trade_count,
                   (array_agg(t.source ORDER BY t.window_start DESC))[1] AS source
            FROM trades_1min_agg t
            WHERE t.exchange = i.exchange AND t.symbol = i.symbol
              AND t.window_start > (SELECT max(l.window_start) FROM trades_1min_agg l
                                    WHERE l.exchange = i.exchange AND l.symbol = i.symbol) - interval '1 day'
        ) d ON true
        WHERE @exchange::text IS NULL OR i.exchange = @exchange
        ORDER BY i.exchange, i.symbol
        """;

    private const string Statistics = """
        SELECT exchange, symbol, sum(trade_count)::bigint, sum(volume), sum(quote_volume),
               (array_agg(open ORDER BY window_start))[1], max(high), min(low), (array_agg(close ORDER BY window_start DESC))[1],
               sum(quote_volume) / NULLIF(sum(volume), 0), min(window_start), max(window_start),
               (array_agg(source ORDER BY window_start DESC))[1]
        FROM trades_1min_agg
        WHERE window_start >= @from AND window_start < @to
          AND (@exchange::text IS NULL OR exchange = @exchange)
          AND (@symbol::text IS NULL OR symbol = @symbol)
        GROUP BY exchange, symbol
        ORDER BY sum(quote_volume) DESC, exchange, symbol
        """;

    private const string Hourly = """
        SELECT exchange, symbol, date_trunc('hour', window_start, 'UTC') AS hour_start, sum(trade_count)::bigint, sum(volume), sum(quote_volume),
               (array_agg(open ORDER BY window_start))[1], max(high), min(low), (array_agg(close ORDER BY window_start DESC))[1],
               (array_agg(source ORDER BY window_start DESC))[1]
        FROM trades_1min_agg
        WHERE window_start >= @from AND window_start < @to
          AND (@exchange::text IS NULL OR exchange = @exchange)
          AND (@symbol::text IS NULL OR symbol = @symbol)
        GROUP BY exchange, symbol, hour_start
        ORDER BY exchange, symbol, hour_start
        """;

    public async Task<List<SymbolRow>> SymbolsAsync(string? exchange, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(Symbols);
        command.Parameters.Add(Text("exchange", exchange));
        return await ReadAsync(command, r => new SymbolRow(
            r.GetString(0), r.GetString(1), Time(r, 2), Time(r, 3), Number(r, 4), Time(r, 5), r.IsDBNull(6) ? "live" : r.GetString(6)), cancellationToken);
    }

    public async Task<List<TickerRow>> TickersAsync(string? exchange, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(Tickers);
        command.Parameters.Add(Text("exchange", exchange));
        return await ReadAsync(command, r =>
        {
            var open = Number(r, 10);
            var close = Number(r, 13);
            decimal? change = open is { } o && close is { } c ? c - o : null;
            return new TickerRow(
                r.GetString(0), r.GetString(1), Number(r, 2), Time(r, 3), Number(r, 4), Number(r, 5), Number(r, 6), Number(r, 7),
                Number(r, 8), Time(r, 9), open, Number(r, 11), Number(r, 12), change, Percent(change, open),
                Number(r, 14), Number(r, 15), r.IsDBNull(16) ? null : r.GetInt64(16), Time(r, 17), r.IsDBNull(18) ? "live" : r.GetString(18));
        }, cancellationToken);
    }

    /// <summary>Per instrument over the minutes that open in [<paramref name="from"/>, <paramref name="to"/>), by quote volume descending.</summary>
    public async Task<List<StatisticsRow>> StatisticsAsync(
        string? exchange, string? symbol, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(Statistics);
        AddRange(command, exchange, symbol, from, to);
        return await ReadAsync(command, r =>
        {
            var open = r.GetDecimal(5);
            var change = r.GetDecimal(8) - open;
            return new StatisticsRow(
                r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetDecimal(3), r.GetDecimal(4), open, r.GetDecimal(6), r.GetDecimal(7),
                r.GetDecimal(8), Number(r, 9), change, Percent(change, open), r.GetFieldValue<DateTimeOffset>(10), r.GetFieldValue<DateTimeOffset>(11),
                r.GetString(12));
        }, cancellationToken);
    }

    /// <summary>Per instrument and UTC hour over the minutes that open in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public async Task<List<HourlyStatisticsRow>> HourlyAsync(
        string? exchange, string? symbol, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(Hourly);
        AddRange(command, exchange, symbol, from, to);
        return await ReadAsync(command, r => new HourlyStatisticsRow(
            r.GetString(0), r.GetString(1), r.GetFieldValue<DateTimeOffset>(2), r.GetInt64(3), r.GetDecimal(4), r.GetDecimal(5),
            r.GetDecimal(6), r.GetDecimal(7), r.GetDecimal(8), r.GetDecimal(9), r.GetString(10)), cancellationToken);
    }

    internal static async Task<List<T>> ReadAsync<T>(NpgsqlCommand command, Func<NpgsqlDataReader, T> map, CancellationToken cancellationToken)
    {
        var rows = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(map(reader));
        }

        return rows;
    }

    internal static NpgsqlParameter<string?> Text(string name, string? value) => new(name, NpgsqlDbType.Text) { TypedValue = value };

    internal static DateTimeOffset? Time(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);

    internal static decimal? Number(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetDecimal(ordinal);

    private static decimal? Percent(decimal? change, decimal? open) =>
        change is { } c && open is { } o && o != 0 ? Math.Round(c / o * 100, 4, MidpointRounding.AwayFromZero) : null;

    private static void AddRange(NpgsqlCommand command, string? exchange, string? symbol, DateTimeOffset from, DateTimeOffset to)
    {
        command.Parameters.Add(Text("exchange", exchange));
        command.Parameters.Add(Text("symbol", symbol));
        command.Parameters.AddWithValue("from", NpgsqlDbType.TimestampTz, from);
        command.Parameters.AddWithValue("to", NpgsqlDbType.TimestampTz, to);
    }
}
