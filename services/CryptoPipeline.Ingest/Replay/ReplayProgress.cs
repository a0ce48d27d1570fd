namespace CryptoPipeline.Ingest.Replay;

/// <summary>How far a replay has come; updated as it runs, readable from any thread.</summary>
public sealed class ReplayProgress
{
    private long _messages;
    private long _trades;
    private long _quotes;
    private long _skipped;
    private long _recordedMicroseconds;

    private IReadOnlyList<ReplaySeries> _series = [];

    /// <summary>Size of all the files on disk (compressed where they are).</summary>
    public long TotalBytes => _series.Sum(s => s.TotalBytes);

    /// <summary>Lines read: frames of every stream, including the ones replay does not publish (depth, mark price).</summary>
    public long Messages => Interlocked.Read(ref _messages);

    public long Trades => Interlocked.Read(ref _trades);

    public long Quotes => Interlocked.Read(ref _quotes);

    /// <summary>Lines skipped as bad input.</summary>
    public long Skipped => Interlocked.Read(ref _skipped);

    public long BytesRead => _series.Sum(s => s.BytesRead);

    public double Percent
    {
        get
        {
            var total = TotalBytes;
            return total == 0 ? 100 : 100.0 * BytesRead / total;
        }
    }

    /// <summary>The recorded time of the last message published; null before the first.</summary>
    public DateTimeOffset? RecordedTime
    {
        get
        {
            var microseconds = Interlocked.Read(ref _recordedMicroseconds);
            return microseconds == 0 ? null : DateTimeOffset.UnixEpoch.AddTicks(microseconds * TimeSpan.TicksPerMicrosecond);
        }
    }

    internal void Message() => Interlocked.Increment(ref _messages);

    internal void Skip() => Interlocked.Increment(ref _skipped);

    internal void Published(ReplayRecord record)
    {
        Interlocked.Increment(ref record.Trade is null ? ref _quotes : ref _trades);
        Interlocked.Exchange(ref _recordedMicroseconds, Contracts.UnixMicroseconds.From(record.At));
    }

    internal void Track(IReadOnlyList<ReplaySeries> series) => _series = series;
}
