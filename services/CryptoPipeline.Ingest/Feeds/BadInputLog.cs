using System.Collections.Concurrent;
using System.Text;

namespace CryptoPipeline.Ingest.Feeds;

/// <summary>
/// Where every source reports input it skips (DESIGN.md §6): each occurrence is counted in
/// <see cref="IngestTelemetry.BadInput"/>, and the first of each kind per exchange is logged with a sample,
/// so a stream of bad messages neither floods the log nor goes unnoticed. The feed itself goes on.
/// </summary>
public sealed partial class BadInputLog(IngestTelemetry telemetry, ILogger<BadInputLog> logger)
{
    /// <summary>How much of an offending message the log shows.</summary>
    public const int SampleLength = 300;

    private readonly ConcurrentDictionary<(string Exchange, string Kind), long> _counts = new();

    /// <summary>Counts one skipped input; <paramref name="detail"/> says what is wrong with it.</summary>
    public void Report(string exchange, string kind, string detail, ReadOnlySpan<byte> sampleUtf8) =>
        Report(exchange, kind, detail, sampleUtf8.IsEmpty ? "" : Encoding.UTF8.GetString(sampleUtf8[..Math.Min(sampleUtf8.Length, SampleLength)]));

    public void Report(string exchange, string kind, string detail, string sample)
    {
        ArgumentException.ThrowIfNullOrEmpty(exchange);
        ArgumentException.ThrowIfNullOrEmpty(kind);
        telemetry.BadInput.Add(1, new(IngestTelemetry.ExchangeTag, exchange), new(IngestTelemetry.KindTag, kind));
        if (_counts.AddOrUpdate((exchange, kind), 1, (_, count) => count + 1) == 1)
        {
            LogFirst(exchange, kind, detail, sample.Length > SampleLength ? sample[..SampleLength] + "…" : sample);
        }
    }

    /// <summary>How many inputs of <paramref name="kind"/> from <paramref name="exchange"/> were skipped so far.</summary>
    public long Count(string exchange, string kind) => _counts.TryGetValue((exchange, kind), out var count) ? count : 0;

    /// <summary>Every (exchange, kind) seen so far with its count.</summary>
    public IReadOnlyDictionary<(string Exchange, string Kind), long> Snapshot() => _counts.ToDictionary();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipping bad input from {Exchange} ({Kind}): {Detail}. Sample: {Sample}. Further input of this kind is only counted (metric cryptopipeline.ingest.bad_input).")]
    private partial void LogFirst(string exchange, string kind, string detail, string sample);
}
