using System.ComponentModel.DataAnnotations;

namespace CryptoPipeline.Monitor.Alerts;

/// <summary>
/// Alert rules and their delivery, configuration section <c>Monitor:Alerts</c>. Each rule has a threshold where it
/// needs one and hysteresis: it raises after <see cref="AlertRuleOptions.RaiseAfter"/> bad checks in a row and
/// resolves after <see cref="AlertRuleOptions.ResolveAfter"/> good ones, so a flapping condition does not storm.
/// </summary>
public sealed class AlertOptions : IValidatableObject
{
    public const string SectionName = "Monitor:Alerts";

    /// <summary>
    /// <c>Monitor:Alerts:WebhookUrl</c>: where raised and resolved alerts are POSTed as JSON (with a Slack-style
    /// <c>text</c> field). Not set: alerts are stored, logged and counted only.
    /// </summary>
    public string? WebhookUrl { get; set; }

    /// <summary>Delivery attempts per alert event, the first included; then the event is dropped (and logged).</summary>
    [Range(1, 20)]
    public int WebhookMaxAttempts { get; set; } = 5;

    /// <summary>Wait before the second attempt; it doubles up to <see cref="WebhookMaxRetryDelay"/> (a receiver's Retry-After wins, capped the same).</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan WebhookFirstRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan WebhookMaxRetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long one delivery attempt may take.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary><c>stale-symbol</c>: an instrument without a write for <see cref="StaleSymbolRuleOptions.StaleAfter"/>.</summary>
    public StaleSymbolRuleOptions StaleSymbol { get; set; } = new();

    /// <summary><c>consumer-lag</c>: a consumed topic with more than <see cref="ConsumerLagRuleOptions.MaxLag"/> messages not yet processed.</summary>
    public ConsumerLagRuleOptions ConsumerLag { get; set; } = new();

    /// <summary><c>processor-down</c>: the consumer group has no members, or messages wait and nothing is committed.</summary>
    public AlertRuleOptions ProcessorDown { get; set; } = new() { RaiseAfter = 2, ResolveAfter = 1, Severity = AlertSeverity.Critical };

    /// <summary><c>kafka-unreachable</c>: the pipeline check cannot read Kafka's offsets.</summary>
    public AlertRuleOptions KafkaUnreachable { get; set; } = new() { RaiseAfter = 2, ResolveAfter = 1, Severity = AlertSeverity.Critical };

    /// <summary><c>job-failed</c>: a monitor job's run failed.</summary>
    public AlertRuleOptions JobFailed { get; set; } = new() { RaiseAfter = 1, ResolveAfter = 1, Severity = AlertSeverity.Warning };

    /// <summary><c>reconciliation-mismatch</c>: an instrument's candles differ from the exchange's klines.</summary>
    public AlertRuleOptions ReconciliationMismatch { get; set; } = new() { RaiseAfter = 1, ResolveAfter = 1, Severity = AlertSeverity.Warning };

    /// <summary><c>gap-open</c>: an instrument has an ingestion gap open for longer than <see cref="GapOpenRuleOptions.OpenFor"/>.</summary>
    public GapOpenRuleOptions GapOpen { get; set; } = new();

    /// <summary>The settings of the rule named <paramref name="rule"/> (one of <see cref="AlertRules.All"/>).</summary>
    internal AlertRuleOptions Rule(string rule) => rule switch
    {
        AlertRules.StaleSymbol => StaleSymbol,
        AlertRules.ConsumerLag => ConsumerLag,
        AlertRules.ProcessorDown => ProcessorDown,
        AlertRules.KafkaUnreachable => KafkaUnreachable,
        AlertRules.JobFailed => JobFailed,
        AlertRules.ReconciliationMismatch => ReconciliationMismatch,
        AlertRules.GapOpen => GapOpen,
        _ => throw new ArgumentOutOfRangeException(nameof(rule), rule, $"Unknown alert rule; the rules are {string.Join(", ", AlertRules.All)}."),
    };

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(WebhookUrl)
            && (!Uri.TryCreate(WebhookUrl.Trim(), UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")))
        {
            yield return new ValidationResult($"WebhookUrl must be an absolute http:// or https:// URL, got '{WebhookUrl}'", [nameof(WebhookUrl)]);
        }

        if (WebhookMaxRetryDelay < WebhookFirstRetryDelay)
        {
            yield return new ValidationResult(
                $"WebhookMaxRetryDelay ({WebhookMaxRetryDelay}) must not be below WebhookFirstRetryDelay ({WebhookFirstRetryDelay})", [nameof(WebhookMaxRetryDelay)]);
        }

        foreach (var (key, rule) in new (string, AlertRuleOptions)[]
        {
            (nameof(StaleSymbol), StaleSymbol), (nameof(ConsumerLag), ConsumerLag), (nameof(ProcessorDown), ProcessorDown),
            (nameof(KafkaUnreachable), KafkaUnreachable), (nameof(JobFailed), JobFailed),
            (nameof(ReconciliationMismatch), ReconciliationMismatch), (nameof(GapOpen), GapOpen),
        })
        {
            foreach (var problem in rule.Problems())
            {
                yield return new ValidationResult($"{key}:{problem}", [key]);
            }
        }
    }
}

/// <summary>What every rule has: on or off, its hysteresis and its severity.</summary>
public class AlertRuleOptions
{
    public const int MaxChecks = 1_000;

    /// <summary>False: the rule raises nothing (open alerts stay as they are).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Bad checks in a row that raise the alert.</summary>
    public int RaiseAfter { get; set; } = 2;

    /// <summary>Good checks in a row that resolve it.</summary>
    public int ResolveAfter { get; set; } = 2;

    public AlertSeverity Severity { get; set; } = AlertSeverity.Warning;

    internal virtual IEnumerable<string> Problems()
    {
        if (RaiseAfter is < 1 or > MaxChecks)
        {
            yield return $"RaiseAfter must be between 1 and {MaxChecks}, got {RaiseAfter}";
        }

        if (ResolveAfter is < 1 or > MaxChecks)
        {
            yield return $"ResolveAfter must be between 1 and {MaxChecks}, got {ResolveAfter}";
        }

        if (!Enum.IsDefined(Severity))
        {
            yield return $"Severity must be Info, Warning or Critical, got {Severity}";
        }
    }
}

public sealed class StaleSymbolRuleOptions : AlertRuleOptions
{
    /// <summary>An instrument with no write (trade, quote, price or candle) for this long is stale.</summary>
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// An instrument silent for longer than this counts as retired (a finished replay, a symbol no longer ingested):
    /// it is no longer checked, and its alert resolves.
    /// </summary>
    public TimeSpan IgnoreAfter { get; set; } = TimeSpan.FromDays(1);

    internal override IEnumerable<string> Problems()
    {
        foreach (var problem in base.Problems())
        {
            yield return problem;
        }

        if (StaleAfter < TimeSpan.FromSeconds(1))
        {
            yield return $"StaleAfter must be at least 00:00:01, got {StaleAfter}";
        }

        if (IgnoreAfter <= StaleAfter)
        {
            yield return $"IgnoreAfter ({IgnoreAfter}) must be longer than StaleAfter ({StaleAfter})";
        }
    }
}

public sealed class ConsumerLagRuleOptions : AlertRuleOptions
{
    /// <summary>Messages of one consumed topic (all partitions) the processor may be behind before the rule counts a bad check.</summary>
    public long MaxLag { get; set; } = 10_000;

    public ConsumerLagRuleOptions()
    {
        RaiseAfter = 3;
    }

    internal override IEnumerable<string> Problems()
    {
        foreach (var problem in base.Problems())
        {
            yield return problem;
        }

        if (MaxLag < 0)
        {
            yield return $"MaxLag must be 0 or more, got {MaxLag}";
        }
    }
}

public sealed class GapOpenRuleOptions : AlertRuleOptions
{
    /// <summary>A gap still open this long after it was detected counts against its instrument.</summary>
    public TimeSpan OpenFor { get; set; } = TimeSpan.FromMinutes(15);

    public GapOpenRuleOptions()
    {
        RaiseAfter = 1;
        ResolveAfter = 1;
    }

    internal override IEnumerable<string> Problems()
    {
        foreach (var problem in base.Problems())
        {
            yield return problem;
        }

        if (OpenFor < TimeSpan.FromSeconds(1))
        {
            yield return $"OpenFor must be at least 00:00:01, got {OpenFor}";
        }
    }
}

/// <summary>How bad an alert is, stored lower-case in <c>alerts.severity</c>.</summary>
public enum AlertSeverity
{
    Info,
    Warning,
    Critical,
}

/// <summary>The rule names, as stored in <c>alerts.rule</c>.</summary>
public static class AlertRules
{
    public const string StaleSymbol = "stale-symbol";
    public const string ConsumerLag = "consumer-lag";
    public const string ProcessorDown = "processor-down";
    public const string KafkaUnreachable = "kafka-unreachable";
    public const string JobFailed = "job-failed";
    public const string ReconciliationMismatch = "reconciliation-mismatch";
    public const string GapOpen = "gap-open";

    public static readonly IReadOnlyList<string> All =
        [StaleSymbol, ConsumerLag, ProcessorDown, KafkaUnreachable, JobFailed, ReconciliationMismatch, GapOpen];
}
