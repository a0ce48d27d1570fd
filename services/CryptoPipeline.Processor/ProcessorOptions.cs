using System.ComponentModel.DataAnnotations;
using CryptoPipeline.Windowing;

namespace CryptoPipeline.Processor;

/// <summary>
/// Settings of the processor, configuration section <c>Processor</c>; every default works as it is.
/// Kafka and PostgreSQL come from the connection strings <c>kafka</c> and <c>cryptodb</c> (DESIGN.md §2).
/// </summary>
public sealed class ProcessorOptions : IValidatableObject
{
    public const string SectionName = "Processor";

    /// <summary>Kafka consumer group; every replica of one pipeline uses the same one.</summary>
    [Required]
    public string ConsumerGroup { get; set; } = "processor";

    /// <summary>Where a partition starts when PostgreSQL holds no offset for it on this Kafka cluster.</summary>
    public StartPosition StartPosition { get; set; } = StartPosition.Earliest;

    /// <summary>A micro-batch closes after this many messages...</summary>
    [Range(1, 1_000_000)]
    public int MaxBatchMessages { get; set; } = 5_000;

    /// <summary>...or this long after its first message, whichever comes first.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan MaxBatchDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The watermark of a partition trails the latest trade time seen on it by this much.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan AllowedLateness { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A new trade whose minute ended more than this before the watermark goes to the dead-letter topic.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "3650.00:00:00")]
    public TimeSpan HardLatenessBound { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Count futures trades that are not MARKET (insurance fund, ADL); the exchange's klines leave them out.</summary>
    public bool IncludeNonMarketTrades { get; set; }

    /// <summary>First wait before retrying when PostgreSQL (or the dead-letter topic) fails; it doubles up to <see cref="MaxRetryDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the readiness check waits for Kafka's metadata before reporting it unreachable.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan KafkaHealthCheckTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>The optional raw <c>trades</c> history (<c>Processor:RawTradeHistory:*</c>).</summary>
    public RawTradeHistoryOptions RawTradeHistory { get; set; } = new();

    internal WindowingOptions ToWindowingOptions() => new()
    {
        AllowedLateness = AllowedLateness,
        HardLatenessBound = HardLatenessBound,
        IncludeNonMarketTrades = IncludeNonMarketTrades,
    };

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxRetryDelay < FirstRetryDelay)
        {
            yield return new ValidationResult(
                $"MaxRetryDelay ({MaxRetryDelay}) must not be below FirstRetryDelay ({FirstRetryDelay})");
        }

        if (!Enum.IsDefined(StartPosition))
        {
            yield return new ValidationResult($"StartPosition must be Earliest or Latest, got {StartPosition}");
        }

        if (RawTradeHistory.RetentionDays is < 1 or > RawTradeHistoryOptions.MaxRetentionDays)
        {
            yield return new ValidationResult(
                $"RawTradeHistory:RetentionDays must be between 1 and {RawTradeHistoryOptions.MaxRetentionDays}, got {RawTradeHistory.RetentionDays}");
        }
    }
}

/// <summary>Where a partition without a stored offset starts.</summary>
public enum StartPosition
{
    /// <summary>The oldest message Kafka still holds: nothing published before the processor started is missed.</summary>
    Earliest,

    /// <summary>Only messages published from now on.</summary>
    Latest,
}

/// <summary>
/// Every trade in the partitioned <c>trades</c> table (one partition per UTC day), written with binary COPY
/// in the same transaction as the candles. Off by default: it grows by every trade.
/// </summary>
public sealed class RawTradeHistoryOptions
{
    public const int MaxRetentionDays = 3650;

    public bool Enabled { get; set; }

    /// <summary>Days kept; older day partitions are dropped, and older trades are not written.</summary>
    public int RetentionDays { get; set; } = 30;
}
