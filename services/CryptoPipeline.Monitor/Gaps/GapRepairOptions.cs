using System.ComponentModel.DataAnnotations;

namespace CryptoPipeline.Monitor.Gaps;

/// <summary>Requests to Ingest to repair open ingestion gaps, configuration section <c>Monitor:GapRepair</c>.</summary>
public sealed class GapRepairOptions
{
    public const string SectionName = "Monitor:GapRepair";

    /// <summary>A gap still open this long after detection is requested for repair (Ingest back-fills most gaps at once by itself).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan RequestAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>A gap requested before and still open is requested again after this long...</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan RetryEvery { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>...at most this many times in all; then only the gap-open alert speaks for it.</summary>
    [Range(1, 1_000)]
    public int MaxRequests { get; set; } = 5;
}
