using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;

namespace CryptoPipeline.Ingest.Binance;

/// <summary>
/// One Binance live feed (WebSocket trades and best bid/ask, REST back-fill), run when <c>Ingest:Sources</c>
/// names it. Bound from <c>Ingest:Binance:Spot</c> (<see cref="BinanceSpotOptions"/>) and
/// <c>Ingest:Binance:Usdm</c> (<see cref="BinanceUsdmOptions"/>); the defaults are Binance's production
/// endpoints and limits.
/// </summary>
public abstract partial class BinanceOptions : IValidatableObject
{
    private protected BinanceOptions(string webSocketBaseUrl, string tradeStreamPath, string quoteStreamPath, string restBaseUrl, int restWeightBudgetPerMinute)
    {
        WebSocketBaseUrl = webSocketBaseUrl;
        TradeStreamPath = tradeStreamPath;
        QuoteStreamPath = quoteStreamPath;
        RestBaseUrl = restBaseUrl;
        RestWeightBudgetPerMinute = restWeightBudgetPerMinute;
    }

    /// <summary>
    /// <c>Symbols</c>: the symbols to subscribe (any case), comma-separated or an array; default BTCUSDT, ETHUSDT.
    /// </summary>
    public IReadOnlyList<string> Symbols { get; internal set; } = ["BTCUSDT", "ETHUSDT"];

    /// <summary>Subscribes every trading USDT pair listed by <c>exchangeInfo</c> instead of <see cref="Symbols"/>.</summary>
    public bool AllUsdtPairs { get; set; }

    /// <summary>Also subscribes <c>@bookTicker</c> and publishes best bid/ask to the <c>quotes</c> topic.</summary>
    public bool PublishQuotes { get; set; } = true;

    /// <summary>Scheme, host and port of the market-data WebSocket servers (tests point it at a fake server).</summary>
    public string WebSocketBaseUrl { get; set; }

    /// <summary>Combined-stream path that serves <c>@trade</c>.</summary>
    public string TradeStreamPath { get; set; }

    /// <summary>Combined-stream path that serves <c>@bookTicker</c>; streams sharing a path share connections.</summary>
    public string QuoteStreamPath { get; set; }

    /// <summary>REST base URL for <c>exchangeInfo</c> and the trade back-fill.</summary>
    public string RestBaseUrl { get; set; }

    /// <summary>Sent as <c>X-MBX-APIKEY</c> when set; only needed where Binance demands a key for old trades.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Binance allows 1024 streams per connection; more are spread over further connections.</summary>
    [Range(1, 1024)]
    public int StreamsPerConnection { get; set; } = 1024;

    /// <summary>A connection that delivers nothing for this long is dropped and reopened.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan NoDataTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Binance cuts every connection after 24 hours; after this long a replacement is opened alongside and
    /// takes over once it delivers, so the cut never loses a trade.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "23:59:00")]
    public TimeSpan RotateConnectionsAfter { get; set; } = TimeSpan.FromMinutes(23 * 60 + 30);

    /// <summary>First delay of the exponential reconnect backoff (with jitter); a connection that worked is retried at once.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:05:00")]
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);

    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Frames larger than this are skipped as bad input (trades and quotes are a few hundred bytes).</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// How long a missing trade id may take to turn up (frames from two overlapping connections interleave)
    /// before it counts as a gap and is back-filled over REST. The symbol's later trades wait meanwhile.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan GapBackfillDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Gaps wider than this are recorded as unfillable instead of being back-filled.</summary>
    [Range(1, 10_000_000)]
    public int MaxBackfillTrades { get; set; } = 100_000;

    /// <summary>
    /// Live trades of one symbol held back while its gap is back-filled (so the symbol stays in id order).
    /// Beyond this the back-fill is abandoned, the gap recorded as unfillable and the trades released.
    /// </summary>
    [Range(1, 10_000_000)]
    public int MaxHeldTradesPerSymbol { get; set; } = 100_000;

    /// <summary>
    /// After a restart each symbol continues after the last trade id published before it, so the trades that happened
    /// while Ingest was not running are a gap that is back-filled over REST, but only up to this many trades; a wider
    /// gap is recorded as unfillable instead (and never skipped silently).
    /// </summary>
    [Range(1, 10_000_000)]
    public int MaxRestartBackfillTrades { get; set; } = 100_000;

    /// <summary>
    /// The trades missed across a restart are back-filled only when the first trade after it came at most this long
    /// (in trade time) after the last one published before it; a longer absence is recorded as an unfillable gap.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan MaxRestartBackfillAge { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// REST request weight per minute the back-fill lets this IP reach, read from <c>X-MBX-USED-WEIGHT-1M</c>.
    /// Defaults to half of Binance's limit, leaving the rest to other clients on the same IP.
    /// </summary>
    [Range(1, 100_000)]
    public int RestWeightBudgetPerMinute { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!AllUsdtPairs && Symbols.Count == 0)
        {
            yield return new ValidationResult("Symbols lists no symbol: list them (Symbols=BTCUSDT,ETHUSDT) or set AllUsdtPairs=true.", [nameof(Symbols)]);
        }

        foreach (var symbol in Symbols.Where(s => !SymbolPattern().IsMatch(s)))
        {
            yield return new ValidationResult($"Symbols contains '{symbol}', which is not a Binance symbol: use letters and digits, e.g. BTCUSDT.", [nameof(Symbols)]);
        }

        if (BadUrl(WebSocketBaseUrl, "ws", "wss") is { } ws)
        {
            yield return new ValidationResult($"WebSocketBaseUrl = '{WebSocketBaseUrl}' is invalid: {ws}", [nameof(WebSocketBaseUrl)]);
        }

        if (BadUrl(RestBaseUrl, "http", "https") is { } rest)
        {
            yield return new ValidationResult($"RestBaseUrl = '{RestBaseUrl}' is invalid: {rest}", [nameof(RestBaseUrl)]);
        }

        foreach (var (name, path) in new[] { (nameof(TradeStreamPath), TradeStreamPath), (nameof(QuoteStreamPath), QuoteStreamPath) })
        {
            if (string.IsNullOrEmpty(path) || path[0] != '/' || path.Contains('?', StringComparison.Ordinal))
            {
                yield return new ValidationResult($"{name} = '{path}' is invalid: use a path such as /stream.", [name]);
            }
        }

        if (MaxReconnectDelay < ReconnectDelay)
        {
            yield return new ValidationResult($"MaxReconnectDelay ({MaxReconnectDelay}) is shorter than ReconnectDelay ({ReconnectDelay}).", [nameof(MaxReconnectDelay)]);
        }
    }

    /// <summary>Reads <see cref="Symbols"/> the way <see cref="ConfigurationLists"/> allows, in Binance's upper case, without repeats.</summary>
    internal void BindSymbols(IConfiguration section)
    {
        if (ConfigurationLists.Read(section, nameof(Symbols)) is { } symbols)
        {
            Symbols = [.. symbols.Select(s => s.ToUpperInvariant()).Distinct(StringComparer.Ordinal)];
        }
    }

    private static string? BadUrl(string url, params string[] schemes) =>
        !Uri.TryCreate(url, UriKind.Absolute, out var uri) ? $"use an absolute URL such as {schemes[^1]}://host:port."
        : !schemes.Contains(uri.Scheme, StringComparer.OrdinalIgnoreCase) ? $"the scheme must be {string.Join(" or ", schemes)}."
        : uri.PathAndQuery.Length > 1 ? "give scheme, host and port only; the paths are separate settings."
        : null;

    [GeneratedRegex("^[A-Za-z0-9]{2,30}$")]
    private static partial Regex SymbolPattern();
}

/// <summary>Binance spot, section <c>Ingest:Binance:Spot</c>; REST budget half of spot's 6000 per minute.</summary>
public sealed class BinanceSpotOptions() : BinanceOptions(
    webSocketBaseUrl: "wss://stream.binance.com:9443",
    tradeStreamPath: "/stream",
    quoteStreamPath: "/stream",
    restBaseUrl: "https://api.binance.com",
    restWeightBudgetPerMinute: 3000)
{
    public const string SectionName = "Ingest:Binance:Spot";
}

/// <summary>
/// Binance USD-M futures, section <c>Ingest:Binance:Usdm</c>. Since April 2026 futures serve trades on
/// <c>/market</c> and book tickers on <c>/public</c>. REST budget half of USD-M's 2400 per minute.
/// </summary>
public sealed class BinanceUsdmOptions() : BinanceOptions(
    webSocketBaseUrl: "wss://fstream.binance.com",
    tradeStreamPath: "/market/stream",
    quoteStreamPath: "/public/stream",
    restBaseUrl: "https://fapi.binance.com",
    restWeightBudgetPerMinute: 1200)
{
    public const string SectionName = "Ingest:Binance:Usdm";
}
