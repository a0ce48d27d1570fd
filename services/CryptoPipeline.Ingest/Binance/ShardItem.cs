using CryptoPipeline.Contracts;

namespace CryptoPipeline.Ingest.Binance;

internal enum ShardItemKind
{
    Trade,
    Quote,

    /// <summary>A gap's grace period ran out: if it is still open, record it and back-fill it.</summary>
    GapDue,

    /// <summary>The REST back-fill of a gap returned.</summary>
    Backfilled,
}

/// <summary>Work for a shard's single processing loop, which alone touches the per-symbol state.</summary>
internal readonly struct ShardItem
{
    private ShardItem(ShardItemKind kind, Trade? trade = null, Quote? quote = null, string? symbol = null, TradeGap? gap = null, BackfillResult? backfill = null)
    {
        Kind = kind;
        Trade = trade;
        Quote = quote;
        Symbol = symbol;
        Gap = gap;
        Backfill = backfill;
    }

    public ShardItemKind Kind { get; }

    public Trade? Trade { get; }

    public Quote? Quote { get; }

    public string? Symbol { get; }

    public TradeGap? Gap { get; }

    public BackfillResult? Backfill { get; }

    public static ShardItem ForTrade(Trade trade) => new(ShardItemKind.Trade, trade: trade);

    public static ShardItem ForQuote(Quote quote) => new(ShardItemKind.Quote, quote: quote);

    public static ShardItem GapDue(string symbol, TradeGap gap) => new(ShardItemKind.GapDue, symbol: symbol, gap: gap);

    public static ShardItem Backfilled(string symbol, TradeGap gap, BackfillResult result) => new(ShardItemKind.Backfilled, symbol: symbol, gap: gap, backfill: result);
}

/// <summary>
/// What REST returned for a gap: its trades, the highest id REST showed to exist (futures REST skips non-market
/// ids below it) and, when it gave up, why.
/// </summary>
internal sealed record BackfillResult(IReadOnlyList<Trade> Trades, long CoveredThroughId, string? Error);
