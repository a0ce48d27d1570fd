using System.ComponentModel.DataAnnotations;

namespace CryptoPipeline.Monitor.Pipeline;

/// <summary>The pipeline check, configuration section <c>Monitor:Pipeline</c>; thresholds of its alerts are under <c>Monitor:Alerts</c>.</summary>
public sealed class PipelineOptions
{
    public const string SectionName = "Monitor:Pipeline";

    /// <summary>The processor's Kafka consumer group (<c>Processor:ConsumerGroup</c>), whose offsets it keeps in <c>consumer_offsets</c>.</summary>
    [Required]
    public string ConsumerGroup { get; set; } = "processor";

    /// <summary>With messages waiting, a processor that has committed nothing for this long counts as stalled.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long the check waits for each Kafka admin request before calling Kafka unreachable.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan KafkaTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>/health reports Degraded when the latest pipeline check is older than this (no monitor is checking).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan MaxReportAge { get; set; } = TimeSpan.FromMinutes(5);
}
