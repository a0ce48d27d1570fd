using CryptoPipeline.Contracts;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace CryptoPipeline.Api;

/// <summary>Per-symbol totals of the original endpoints: trades counted and quote volume (the original's "trade volume in USDT").</summary>
public sealed record SymbolTotals(string Symbol, long TradeCount, decimal QuoteVolume);

public sealed record HourTotals(string Symbol, DateTimeOffset HourStart, long TradeCount, decimal QuoteVolume);

/// <summary>
/// The data behind the seven original endpoints, for the one exchange <see cref="ApiOptions.CompatibleExchange"/>
/// (the original system had one, BitMEX). Clients of the original ask for BitMEX symbols; when the exchange has no
/// data under the symbol asked for, <see cref="BitmexAlias"/> maps it to the symbol the exchange uses.
/// </summary>
internal sealed class CompatibleQueries(NpgsqlDataSource dataSource, IOptions<ApiOptions> options)
{
    private const string Totals = """
        SELECT symbol, sum(trade_count)::bigint, sum(quote_volume)
        FROM trades_1min_agg
        WHERE exchange = @exchange AND window_start >= @from AND window_start < @to
        GROUP BY symbol
        ORDER BY symbol
        """;

    private const string TopTotals = """
        SELECT symbol, sum(trade_count)::bigint, sum(quote_volume)
        FROM trades_1min_agg
        WHERE exchange = @exchange AND window_start >= @from AND window_start < @to
        GROUP BY symbol
        ORDER BY sum(quote_volume) DESC, symbol
        LIMIT @top
        """;

    private const string HourlyTotals = """
        SELECT symbol, date_trunc('hour', window_start, 'UTC') AS hour_start, sum(trade_count)::bigint, sum(quote_volume)
        FROM trades_1min_agg
        WHERE exchange = @exchange AND window_start >= @from AND window_start < @to
        GROUP BY symbol, hour_start
        ORDER BY symbol, hour_start
        """;

    private const string SymbolTradeCount = """
        SELECT coalesce(sum(trade_count), 0)::bigint
        FROM trades_1min_agg
        WHERE exchange = @exchange AND symbol = @symbol AND window_start >= @from AND window_start < @to
        """;

    // The first of the candidate spellings the exchange has any candle or price of.
    private const string Resolve = """
        SELECT c.symbol
        FROM unnest(@candidates) WITH ORDINALITY AS c(symbol, preference)
        WHERE EXISTS (SELECT 1 FROM trades_1min_agg t WHERE t.exchange = @exchange AND t.symbol = c.symbol)
           OR EXISTS (SELECT 1 FROM current_prices p WHERE p.exchange = @exchange AND p.symbol = c.symbol)
        ORDER BY c.preference
        LIMIT 1
        """;

    private const string BestBidAsk = """
        SELECT bid_price, ask_price FROM current_prices
        WHERE exchange = @exchange AND symbol = @symbol AND bid_price IS NOT NULL AND ask_price IS NOT NULL
        """;

    public string Exchange => options.Value.CompatibleExchange;

    /// <summary>
    /// BitMEX's spelling of a Binance-style symbol's base and quote: <c>XBT</c> is bitcoin and <c>USD</c>-quoted
    /// perpetuals correspond to <c>USDT</c> pairs, so <c>XBTUSD</c> → <c>BTCUSDT</c>, <c>ETHUSD</c> → <c>ETHUSDT</c>,
    /// <c>XBTUSDT</c> → <c>BTCUSDT</c>; other symbols (e.g. <c>SOLUSDT</c>) are spelled alike. Null when nothing changes.
    /// </summary>
    public static string? BitmexAlias(string symbol)
    {
        var alias = symbol.StartsWith("XBT", StringComparison.Ordinal) ? "BTC" + symbol[3..] : symbol;
        if (alias.EndsWith("USD", StringComparison.Ordinal))
        {
            alias += "T";
        }

        return alias == symbol ? null : alias;
    }

    /// <summary>The other spelling tried for <paramref name="requested"/>: its <see cref="BitmexAlias"/> unless the exchange is BitMEX itself.</summary>
    public string? AliasFor(string requested) => Exchange == Exchanges.Bitmex ? null : BitmexAlias(requested);

    /// <summary>The symbol the exchange stores for <paramref name="requested"/>, or null when it has no data of it.</summary>
    public async Task<string?> ResolveSymbolAsync(string requested, CancellationToken cancellationToken)
    {
        string[] candidates = AliasFor(requested) is { } alias ? [requested, alias] : [requested];
        await using var command = dataSource.CreateCommand(Resolve);
        command.Parameters.AddWithValue("exchange", Exchange);
        command.Parameters.AddWithValue("candidates", NpgsqlDbType.Array | NpgsqlDbType.Text, candidates);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    public Task<List<SymbolTotals>> TotalsAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
        TotalsAsync(Totals, from, to, top: null, cancellationToken);

    public Task<List<SymbolTotals>> TopAsync(DateTimeOffset from, DateTimeOffset to, int top, CancellationToken cancellationToken) =>
        TotalsAsync(TopTotals, from, to, top, cancellationToken);

    public async Task<List<HourTotals>> HourlyAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        await using var command = Ranged(HourlyTotals, from, to);
        return await MarketQueries.ReadAsync(command, r => new HourTotals(
            r.GetString(0), r.GetFieldValue<DateTimeOffset>(1), r.GetInt64(2), r.GetDecimal(3)), cancellationToken);
    }

    public async Task<long> TradeCountAsync(string symbol, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        await using var command = Ranged(SymbolTradeCount, from, to);
        command.Parameters.AddWithValue("symbol", symbol);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Best bid and best ask, or null when the exchange has no quote of the symbol.</summary>
    public async Task<(decimal Bid, decimal Ask)?> BestBidAskAsync(string symbol, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(BestBidAsk);
        command.Parameters.AddWithValue("exchange", Exchange);
        command.Parameters.AddWithValue("symbol", symbol);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetDecimal(0), reader.GetDecimal(1)) : null;
    }

    private async Task<List<SymbolTotals>> TotalsAsync(string sql, DateTimeOffset from, DateTimeOffset to, int? top, CancellationToken cancellationToken)
    {
        await using var command = Ranged(sql, from, to);
        if (top is { } limit)
        {
            command.Parameters.AddWithValue("top", limit);
        }

        return await MarketQueries.ReadAsync(command, r => new SymbolTotals(r.GetString(0), r.GetInt64(1), r.GetDecimal(2)), cancellationToken);
    }

    private NpgsqlCommand Ranged(string sql, DateTimeOffset from, DateTimeOffset to)
    {
        var command = dataSource.CreateCommand(sql);
        command.Parameters.AddWithValue("exchange", Exchange);
        command.Parameters.AddWithValue("from", NpgsqlDbType.TimestampTz, from);
        command.Parameters.AddWithValue("to", NpgsqlDbType.TimestampTz, to);
        return command;
    }
}
