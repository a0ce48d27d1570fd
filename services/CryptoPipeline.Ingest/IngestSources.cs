namespace CryptoPipeline.Ingest;

/// <summary>The names <c>Ingest:Sources</c> accepts: which feeds this process runs.</summary>
public static class IngestSources
{
    /// <summary>Binance spot WebSocket trades and best bid/ask (live).</summary>
    public const string Binance = "binance";

    /// <summary>Binance USD-M futures WebSocket trades and best bid/ask (live).</summary>
    public const string BinanceUsdm = "binance-usdm";

    /// <summary>BitMEX WebSocket <c>trade</c> and <c>quote</c> tables (live).</summary>
    public const string Bitmex = "bitmex";

    /// <summary>CoinGecko <c>simple/price</c> polling (live price ticks).</summary>
    public const string CoinGecko = "coingecko";

    /// <summary>Binance REST <c>ticker/price</c> polling (live price ticks).</summary>
    public const string BinanceRestPrices = "binance-rest-prices";

    /// <summary>A recorded feed or data.binance.vision trade CSVs, replayed once to the end (labelled replay).</summary>
    public const string Replay = "replay";

    /// <summary>A synthetic market (labelled simulated).</summary>
    public const string Simulated = "simulated";

    public static IReadOnlyList<string> All { get; } = [Binance, BinanceUsdm, Bitmex, CoinGecko, BinanceRestPrices, Replay, Simulated];

    public static bool IsKnown(string name) => All.Contains(name, StringComparer.Ordinal);
}
