namespace CryptoPipeline.Contracts;

/// <summary>
/// A polled price on the <c>prices</c> topic: Binance <c>ticker/price</c>, CoinGecko <c>simple/price</c>.
/// Sources without trades are averaged per minute from these.
/// </summary>
public sealed record PriceTick
{
    public required string Exchange { get; init; }

    public required string Symbol { get; init; }

    public required decimal Price { get; init; }

    /// <summary>The source's own time for the price, or the poll time when it gives none.</summary>
    public required DateTimeOffset Time { get; init; }

    public required DateTimeOffset ReceivedAt { get; init; }

    public required DataSource Source { get; init; }

    public string Key => MessageKey.For(Exchange, Symbol);
}
