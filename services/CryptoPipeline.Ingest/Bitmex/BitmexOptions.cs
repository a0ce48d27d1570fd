using System.ComponentModel.DataAnnotations;

namespace CryptoPipeline.Ingest.Bitmex;

/// <summary>The <c>bitmex</c> source: section <c>Ingest:Bitmex</c>; defaults are BitMEX's production endpoint and limits.</summary>
public sealed class BitmexOptions : IValidatableObject
{
    public const string SectionName = IngestOptions.SectionName + ":Bitmex";

    /// <summary><c>Ingest:Bitmex:Url</c>: the realtime WebSocket endpoint (tests point it at a fake server).</summary>
    public string Url { get; set; } = "wss://ws.bitmex.com/realtime";

    /// <summary><c>Ingest:Bitmex:Symbols</c>: BitMEX instruments (comma-separated or an array); default XBTUSD, ETHUSD.</summary>
    public IReadOnlyList<string> Symbols { get; internal set; } = ["XBTUSD", "ETHUSD"];

    /// <summary><c>Ingest:Bitmex:PublishQuotes</c>: also subscribe the <c>quote</c> table and publish best bid/ask.</summary>
    public bool PublishQuotes { get; set; } = true;

    /// <summary><c>Ingest:Bitmex:PingInterval</c>: after this much silence the feed sends <c>ping</c> (BitMEX answers <c>pong</c>).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary><c>Ingest:Bitmex:NoDataTimeout</c>: a connection silent this long, pings unanswered, is dropped and reopened.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan NoDataTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary><c>Ingest:Bitmex:ReconnectDelay</c>: first delay of the exponential reconnect backoff (with jitter).</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:05:00")]
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);

    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary><c>Ingest:Bitmex:MaxMessageBytes</c>: larger frames are skipped as <c>oversized_frame</c>.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 1024 * 1024;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("ws" or "wss"))
        {
            yield return new ValidationResult($"Url = '{Url}' is invalid: use a ws:// or wss:// URL such as wss://ws.bitmex.com/realtime.", [nameof(Url)]);
        }

        if (Symbols.Count == 0)
        {
            yield return new ValidationResult("Symbols is empty: name at least one instrument, e.g. XBTUSD.", [nameof(Symbols)]);
        }

        foreach (var symbol in Symbols.Where(s => !IngestOptionsValidator.IsSymbol(s)))
        {
            yield return new ValidationResult($"Symbols contains '{symbol}', which is not an instrument name.", [nameof(Symbols)]);
        }

        if (MaxReconnectDelay < ReconnectDelay)
        {
            yield return new ValidationResult($"MaxReconnectDelay ({MaxReconnectDelay}) is shorter than ReconnectDelay ({ReconnectDelay}).", [nameof(MaxReconnectDelay)]);
        }
    }
}
