using Npgsql;
using NpgsqlTypes;

namespace CryptoPipeline.Api;

/// <summary>
/// A candle as the API serves it: one interval of one instrument, derived from its 1-minute rows.
/// <para>
/// <c>OpenTime</c>: Start of the interval (inclusive).
/// </para><para>
/// <c>CloseTime</c>: End of the interval (exclusive).
/// </para><para>
/// <c>Vwap</c>: Quote volume divided by volume; null when every trade had zero quantity.
/// </para><para>
/// <c>IsFinal</c>: True once every minute of the interval is final and the symbol's stream has passed the
/// interval's end; a late trade may still amend it.
/// </para><para>
/// <c>Source</c>: live, replay, simulated or backfill; an interval that mixes sources carries the least live one.
/// </para>
/// </summary>
public sealed record CandleRow(
    DateTimeOffset OpenTime,
    DateTimeOffset CloseTime,
    decimal Open,
    decimal High,
    decimal Low,
    decimal Close,
    decimal Volume,
    decimal QuoteVolume,
    decimal TakerBuyVolume,
    decimal TakerBuyQuoteVolume,
    long TradeCount,
    decimal? Vwap,
    bool IsFinal,
    string Source);

/// <summary>Candles of any <see cref="CandleInterval"/>, aggregated in PostgreSQL from <c>trades_1min_agg</c>.</summary>
internal sealed class CandleQueries(NpgsqlDataSource dataSource)
{
    private const string MinuteColumns = """
        window_start, window_end, open, high, low, close, volume, quote_volume, taker_buy_volume, taker_buy_quote_volume,
        trade_count, vwap, is_final, source
        """;

    private const string Minutes = $"""
        SELECT {MinuteColumns}
        FROM trades_1min_agg
        WHERE exchange = @exchange AND symbol = @symbol AND window_start >= @from AND window_start < @to
        ORDER BY window_start
        """;

    // Open is the first minute's open and close the last minute's close (by time), high/low the extremes, the
    // volumes and trade counts sums, and vwap the summed quote volume over the summed volume: the same rules as
    // the hourly rollup. An interval is final when all its minutes are and a final minute of the symbol ends at
    // or after its end (the processor's watermark has passed it).
    private const string Buckets = """
        WITH minutes AS (
            SELECT date_bin(@length, window_start, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket, *
            FROM trades_1min_agg
            WHERE exchange = @exchange AND symbol = @symbol AND window_start >= @from AND window_start < @to
        ),
        final_end AS (
            SELECT window_end FROM trades_1min_agg
            WHERE exchange = @exchange AND symbol = @symbol AND is_final
            ORDER BY window_start DESC LIMIT 1
        )
        SELECT bucket, bucket + @length,
               (array_agg(open ORDER BY window_start))[1],
               max(high), min(low),
               (array_agg(close ORDER BY window_start DESC))[1],
               sum(volume), sum(quote_volume), sum(taker_buy_volume), sum(taker_buy_quote_volume),
               sum(trade_count)::bigint,
               sum(quote_volume) / NULLIF(sum(volume), 0),
               bool_and(is_final) AND bucket + @length <= coalesce((SELECT window_end FROM final_end), '-infinity'),
               CASE WHEN bool_or(source = 'simulated') THEN 'simulated'
                    WHEN bool_or(source = 'replay') THEN 'replay'
                    WHEN bool_or(source = 'backfill') THEN 'backfill'
                    ELSE 'live' END
        FROM minutes
        GROUP BY bucket
        ORDER BY bucket
        """;

    /// <summary>Start of the symbol's latest minute, or null when the exchange has no candle of it.</summary>
    public async Task<DateTimeOffset?> LatestMinuteAsync(string exchange, string symbol, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT max(window_start) FROM trades_1min_agg WHERE exchange = @exchange AND symbol = @symbol");
        command.Parameters.AddWithValue("exchange", exchange);
        command.Parameters.AddWithValue("symbol", symbol);
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime latest
            ? new DateTimeOffset(latest, TimeSpan.Zero)
            : null;
    }

    /// <summary>The candles whose open time lies in [<paramref name="from"/>, <paramref name="to"/>), both on interval boundaries.</summary>
    public async Task<List<CandleRow>> GetAsync(
        string exchange, string symbol, CandleInterval interval, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var minutes = interval == CandleInterval.OneMinute;
        await using var command = dataSource.CreateCommand(minutes ? Minutes : Buckets);
        command.Parameters.AddWithValue("exchange", exchange);
        command.Parameters.AddWithValue("symbol", symbol);
        command.Parameters.AddWithValue("from", NpgsqlDbType.TimestampTz, from);
        command.Parameters.AddWithValue("to", NpgsqlDbType.TimestampTz, to);
        if (!minutes)
        {
            command.Parameters.AddWithValue("length", NpgsqlDbType.Interval, interval.Length);
        }

        var candles = new List<CandleRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            candles.Add(new CandleRow(
                reader.GetFieldValue<DateTimeOffset>(0),
                reader.GetFieldValue<DateTimeOffset>(1),
                reader.GetDecimal(2),
                reader.GetDecimal(3),
                reader.GetDecimal(4),
                reader.GetDecimal(5),
                reader.GetDecimal(6),
                reader.GetDecimal(7),
                reader.GetDecimal(8),
                reader.GetDecimal(9),
                reader.GetInt64(10),
                reader.IsDBNull(11) ? null : reader.GetDecimal(11),
                reader.GetBoolean(12),
                reader.GetString(13)));
        }

        return candles;
    }
}
