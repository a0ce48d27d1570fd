using System.ComponentModel.DataAnnotations;
using CryptoPipeline.Contracts;

namespace CryptoPipeline.Api;

/// <summary>Settings of the Api, configuration section <c>Api</c>; every default works as it is.</summary>
public sealed class ApiOptions : IValidatableObject
{
    public const string SectionName = "Api";

    /// <summary>
    /// <c>Api:CompatibleExchange</c>: the exchange whose rows the seven original endpoints report. The original
    /// system had one exchange (BitMEX); default <c>binance</c>, the feed Ingest runs by default.
    /// </summary>
    [Required]
    public string CompatibleExchange { get; set; } = Exchanges.Binance;

    /// <summary>
    /// <c>Api:FinalAfter</c>: a candle range that ended at least this long ago counts as final data and its
    /// response is cached. Late trades may still amend a final minute within the processor's hard lateness bound,
    /// which is why cached responses also expire (<see cref="FinalDataCacheDuration"/>).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan FinalAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary><c>Api:FinalDataCacheDuration</c>: how long a response of final data is served from the cache.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan FinalDataCacheDuration { get; set; } = TimeSpan.FromMinutes(5);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!ApiParameters.KnownExchanges.Contains(CompatibleExchange))
        {
            yield return new ValidationResult(
                $"CompatibleExchange must be one of {string.Join(", ", ApiParameters.KnownExchanges)}, got '{CompatibleExchange}'.",
                [nameof(CompatibleExchange)]);
        }
    }
}

/// <summary>Per-client rate limits of the API groups, configuration section <c>Api:RateLimit</c>.</summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "Api:RateLimit";

    /// <summary>
    /// <c>Api:RateLimit:PermitLimit</c>: requests one client (remote IP address) may make per <see cref="Window"/>;
    /// the dashboard makes about ten per refresh. Further requests get 429 with <c>Retry-After</c>.
    /// </summary>
    [Range(1, 1_000_000)]
    public int PermitLimit { get; set; } = 600;

    /// <summary><c>Api:RateLimit:Window</c>: the fixed window the permits are counted in.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>The live stream (<c>/api/v1/stream</c>), configuration section <c>Api:Stream</c>.</summary>
public sealed class StreamOptions
{
    public const string SectionName = "Api:Stream";

    /// <summary><c>Api:Stream:PollInterval</c>: how often the one poller looks for committed rows while anyone listens.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// <c>Api:Stream:Lookback</c>: a row's <c>updated_at</c> is its writer's transaction start, so a transaction
    /// that commits after a poll may carry an older time than rows already seen. Each poll therefore looks back
    /// this far and skips rows it already sent; it must exceed the writers' longest transaction.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan Lookback { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary><c>Api:Stream:HeartbeatInterval</c>: an idle stream sends a heartbeat event this often, so proxies keep it open.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary><c>Api:Stream:MaxClients</c>: streams open at once; one more gets 503.</summary>
    [Range(1, 100_000)]
    public int MaxClients { get; set; } = 1_000;

    /// <summary>
    /// <c>Api:Stream:ClientBuffer</c>: events queued for one client; a client that falls further behind loses its
    /// oldest events (a later event of the same candle or ticker supersedes them anyway).
    /// </summary>
    [Range(16, 1_000_000)]
    public int ClientBuffer { get; set; } = 4_096;
}
