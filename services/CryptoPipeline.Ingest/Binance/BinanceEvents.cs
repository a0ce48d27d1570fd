namespace CryptoPipeline.Ingest.Binance;

/// <summary>The <c>kind</c>s the Binance feeds write to <c>ingestion_events</c>.</summary>
internal static class BinanceEvents
{
    public const string Connected = "connected";
    public const string ConnectFailed = "connect-failed";
    public const string Disconnected = "disconnected";
    public const string SubscribeFailed = "subscribe-failed";

    /// <summary>A replacement connection took over before Binance's 24-hour cut.</summary>
    public const string Rotated = "rotated";

    public const string RotationFailed = "rotation-failed";

    /// <summary>Futures ids inside a filled gap that REST does not serve: insurance-fund and ADL trades.</summary>
    public const string NonMarketTradesUnavailable = "non-market-trades-unavailable";

    /// <summary>The feed started without knowing the last trades published before it: a restart gap could not be checked.</summary>
    public const string ResumeFailed = "resume-failed";
}
