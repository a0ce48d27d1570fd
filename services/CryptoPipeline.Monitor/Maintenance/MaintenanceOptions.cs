using System.ComponentModel.DataAnnotations;

namespace CryptoPipeline.Monitor.Maintenance;

/// <summary>The maintenance job, configuration section <c>Monitor:Maintenance</c>.</summary>
public sealed class MaintenanceOptions
{
    public const string SectionName = "Monitor:Maintenance";

    /// <summary>How far back the hourly rollups catch-up looks for hours whose minutes changed after the hour was rolled up.</summary>
    [Range(typeof(TimeSpan), "01:00:00", "366.00:00:00")]
    public TimeSpan RollupLookback { get; set; } = TimeSpan.FromDays(2);

    /// <summary>Raw trade history partitions (one per UTC day) kept ready for today and this many days ahead.</summary>
    [Range(1, 366)]
    public int PartitionDaysAhead { get; set; } = 3;

    /// <summary>
    /// Days of raw trade history kept; older day partitions are dropped. The processor applies its own
    /// <c>Processor:RawTradeHistory:RetentionDays</c> (also 30 by default) when it writes history; the shorter wins.
    /// </summary>
    [Range(1, 3650)]
    public int RawTradeRetentionDays { get; set; } = 30;

    /// <summary>Days of the monitor's own history kept: finished job runs (with their reconciliation mismatches) and resolved alerts.</summary>
    [Range(1, 3650)]
    public int HistoryRetentionDays { get; set; } = 30;
}
