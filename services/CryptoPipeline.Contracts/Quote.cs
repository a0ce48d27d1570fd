namespace CryptoPipeline.Contracts;

/// <summary>Best bid and ask on the <c>quotes</c> topic (Binance <c>bookTicker</c>, BitMEX <c>quote</c>).</summary>
public sealed record Quote
{
    public required string Exchange { get; init; }

    public required string Market { get; init; }

    public required string Symbol { get; init; }

    public required decimal BidPrice { get; init; }

    /// <summary>Zero when the bid side of the book is empty.</summary>
    public required decimal BidQuantity { get; init; }

    public required decimal AskPrice { get; init; }

    /// <summary>Zero when the ask side of the book is empty.</summary>
    public required decimal AskQuantity { get; init; }

    /// <summary>The exchange's order book update id, when it sends one.</summary>
    public long? UpdateId { get; init; }

    /// <summary>Exchange time; Binance spot <c>bookTicker</c> carries none.</summary>
    public DateTimeOffset? Time { get; init; }

    public required DateTimeOffset ReceivedAt { get; init; }

    public required DataSource Source { get; init; }

    /// <summary>Ask minus bid; negative when the book is crossed.</summary>
    public decimal Spread => AskPrice - BidPrice;

    public string Key => MessageKey.For(Exchange, Symbol);
}
