namespace CryptoPipeline.Contracts;

/// <summary>
/// One normalized trade on the <c>raw_trades</c> topic. Times carry microsecond precision
/// (Binance spot archives since 2025 are in µs); finer ticks do not survive the wire format.
/// </summary>
public sealed record Trade
{
    /// <summary>One of <see cref="Exchanges"/>.</summary>
    public required string Exchange { get; init; }

    /// <summary>One of <see cref="Markets"/>.</summary>
    public required string Market { get; init; }

    /// <summary>The exchange's own symbol, upper case for Binance and BitMEX, e.g. <c>BTCUSDT</c>.</summary>
    public required string Symbol { get; init; }

    /// <summary>The exchange's trade id: the identity by which candles count a trade once.</summary>
    public required long TradeId { get; init; }

    public required decimal Price { get; init; }

    public required decimal Quantity { get; init; }

    public required DateTimeOffset TradeTime { get; init; }

    /// <summary>True when the buyer was the resting (maker) order, i.e. the taker sold.</summary>
    public required bool IsBuyerMaker { get; init; }

    public required TradeKind Kind { get; init; }

    /// <summary>When ingest received the trade; trade time to sink commit is the end-to-end latency.</summary>
    public required DateTimeOffset ReceivedAt { get; init; }

    public required DataSource Source { get; init; }

    /// <summary>Price × quantity, exact: equals the exchange's own <c>quoteQty</c>.</summary>
    public decimal QuoteQuantity => Price * Quantity;

    public TakerSide TakerSide => IsBuyerMaker ? TakerSide.Sell : TakerSide.Buy;

    /// <summary>Kafka key, <c>exchange:symbol</c>.</summary>
    public string Key => MessageKey.For(Exchange, Symbol);
}

/// <summary>The side of the order that crossed the spread.</summary>
public enum TakerSide
{
    Buy,
    Sell,
}
