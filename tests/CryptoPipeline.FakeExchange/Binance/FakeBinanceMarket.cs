namespace CryptoPipeline.FakeExchange.Binance;

/// <summary>
/// The Binance market a <see cref="FakeBinanceServer"/> plays, with the paths, page sizes and request weights
/// of Binance's documentation. Futures serve trade-like streams on <c>/market/stream</c> and book streams on
/// <c>/public/stream</c> (since April 2026); spot serves everything on <c>/stream</c>.
/// </summary>
public sealed class FakeBinanceMarket
{
    public static readonly FakeBinanceMarket Spot = new(
        isFutures: false,
        restPrefix: "/api/v3",
        historicalTradesWeight: 25,
        recentTradesWeight: 25,
        aggTradesWeight: 4,
        klinesWeight: 2,
        exchangeInfoWeight: 20,
        defaultTradesLimit: 500,
        maxTradesLimit: 1000,
        maxKlinesLimit: 1000);

    public static readonly FakeBinanceMarket Usdm = new(
        isFutures: true,
        restPrefix: "/fapi/v1",
        historicalTradesWeight: 20,
        recentTradesWeight: 5,
        aggTradesWeight: 20,
        klinesWeight: 5,
        exchangeInfoWeight: 1,
        defaultTradesLimit: 100,
        maxTradesLimit: 500,
        maxKlinesLimit: 1500);

    private FakeBinanceMarket(
        bool isFutures,
        string restPrefix,
        int historicalTradesWeight,
        int recentTradesWeight,
        int aggTradesWeight,
        int klinesWeight,
        int exchangeInfoWeight,
        int defaultTradesLimit,
        int maxTradesLimit,
        int maxKlinesLimit)
    {
        IsFutures = isFutures;
        RestPrefix = restPrefix;
        HistoricalTradesWeight = historicalTradesWeight;
        RecentTradesWeight = recentTradesWeight;
        AggTradesWeight = aggTradesWeight;
        KlinesWeight = klinesWeight;
        ExchangeInfoWeight = exchangeInfoWeight;
        DefaultTradesLimit = defaultTradesLimit;
        MaxTradesLimit = maxTradesLimit;
        MaxKlinesLimit = maxKlinesLimit;
    }

    public bool IsFutures { get; }

    /// <summary><c>/api/v3</c> or <c>/fapi/v1</c>.</summary>
    public string RestPrefix { get; }

    public int HistoricalTradesWeight { get; }

    public int RecentTradesWeight { get; }

    public int AggTradesWeight { get; }

    public int KlinesWeight { get; }

    public int ExchangeInfoWeight { get; }

    public int DefaultTradesLimit { get; }

    public int MaxTradesLimit { get; }

    public int MaxKlinesLimit { get; }

    /// <summary>The combined-stream paths this market serves.</summary>
    public IReadOnlyList<string> StreamPaths => IsFutures ? ["/market/stream", "/public/stream"] : ["/stream"];

    /// <summary>Whether <paramref name="path"/> serves <paramref name="stream"/>, e.g. <c>btcusdt@bookTicker</c>.</summary>
    public bool Serves(string path, string stream)
    {
        if (!IsFutures)
        {
            return true;
        }

        var type = stream[(stream.IndexOf('@', StringComparison.Ordinal) + 1)..];
        var isBook = type.StartsWith("bookTicker", StringComparison.Ordinal) || type.StartsWith("depth", StringComparison.Ordinal);
        return path == "/public/stream" ? isBook : !isBook;
    }
}
