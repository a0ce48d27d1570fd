namespace CryptoPipeline.Contracts;

/// <summary>
/// An event-time candle: one row of <c>trades_1min_agg</c> (or a rollup). Open and close follow trade id
/// order, high and low follow price, and the sums are exact decimals, so a finished 1-minute candle equals
/// the exchange's own kline.
/// </summary>
public sealed record Candle
{
    public required string Exchange { get; init; }

    public required string Symbol { get; init; }

    public required DateTimeOffset WindowStart { get; init; }

    /// <summary>Exclusive: start plus the window size.</summary>
    public required DateTimeOffset WindowEnd { get; init; }

    public required decimal Open { get; init; }

    public required decimal High { get; init; }

    public required decimal Low { get; init; }

    public required decimal Close { get; init; }

    /// <summary>Sum of quantities.</summary>
    public required decimal Volume { get; init; }

    /// <summary>Sum of price × quantity.</summary>
    public required decimal QuoteVolume { get; init; }

    /// <summary>Volume of trades whose taker bought (<see cref="Trade.IsBuyerMaker"/> false).</summary>
    public required decimal TakerBuyVolume { get; init; }

    public required decimal TakerBuyQuoteVolume { get; init; }

    /// <summary>Quote volume divided by volume.</summary>
    public required decimal Vwap { get; init; }

    /// <summary>Mean of the trade prices, unweighted.</summary>
    public required decimal AvgPrice { get; init; }

    public required long TradeCount { get; init; }

    public required long FirstTradeId { get; init; }

    public required long LastTradeId { get; init; }

    public required DateTimeOffset FirstTradeTime { get; init; }

    public required DateTimeOffset LastTradeTime { get; init; }

    /// <summary>True once the watermark passed <see cref="WindowEnd"/>; a late trade may still update it.</summary>
    public required bool IsFinal { get; init; }

    public required DataSource Source { get; init; }
}
