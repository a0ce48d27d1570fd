namespace CryptoPipeline.Contracts;

/// <summary>Exchange names as they appear in messages, Kafka keys and table rows (DESIGN.md §4).</summary>
public static class Exchanges
{
    /// <summary>Binance spot.</summary>
    public const string Binance = "binance";

    /// <summary>Binance USD-M futures: a separate exchange name because its trade ids and klines are its own.</summary>
    public const string BinanceUsdm = "binance-usdm";

    public const string Bitmex = "bitmex";

    public const string CoinGecko = "coingecko";

    /// <summary>Ingest's synthetic market (source <c>simulated</c>): its own exchange name, so it never mixes with real data.</summary>
    public const string Simulated = "simulated";
}

/// <summary>Market kinds carried by trades and quotes.</summary>
public static class Markets
{
    public const string Spot = "spot";

    /// <summary>Binance USD-margined futures.</summary>
    public const string Usdm = "usdm";

    /// <summary>Perpetual swaps (BitMEX).</summary>
    public const string Perpetual = "perpetual";
}
