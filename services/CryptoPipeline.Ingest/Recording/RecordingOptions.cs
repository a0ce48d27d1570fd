using System.ComponentModel.DataAnnotations;

namespace CryptoPipeline.Ingest.Recording;

/// <summary>Recording of the live Binance feeds: section <c>Ingest:Recording</c>; off unless a folder is set.</summary>
public sealed class RecordingOptions
{
    public const string SectionName = IngestOptions.SectionName + ":Recording";

    /// <summary>
    /// <c>Ingest:Recording:Directory</c>: where to write <c>&lt;exchange&gt;_&lt;yyyyMMdd&gt;.gz</c> files, one per exchange
    /// and UTC day, in the recorded-feed format (<c>&lt;receive time ns&gt; &lt;frame&gt;</c> lines) that
    /// <c>Ingest:Sources=replay</c> with <c>Ingest:Replay:Path</c> set to this folder plays back. Unset: no recording.
    /// </summary>
    public string? Directory { get; set; }

    /// <summary>
    /// <c>Ingest:Recording:QueueCapacity</c>: frames waiting for the disk. A disk too slow to keep up loses frames from the
    /// recording (counted and logged), never from the feed.
    /// </summary>
    [Range(1, 10_000_000)]
    public int QueueCapacity { get; set; } = 100_000;
}
