namespace CryptoPipeline.Contracts;

/// <summary>Times on the wire: integer microseconds since the Unix epoch, UTC.</summary>
public static class UnixMicroseconds
{
    private static readonly long MaxMicroseconds =
        (DateTimeOffset.MaxValue.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;

    /// <summary>Microseconds since the epoch; ticks finer than a microsecond are dropped.</summary>
    public static long From(DateTimeOffset time) =>
        (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;

    /// <summary>The UTC time of a non-negative epoch microsecond count within <see cref="DateTimeOffset"/>'s range.</summary>
    public static bool TryToDateTimeOffset(long microseconds, out DateTimeOffset time)
    {
        if (microseconds < 0 || microseconds > MaxMicroseconds)
        {
            time = default;
            return false;
        }

        time = DateTimeOffset.UnixEpoch.AddTicks(microseconds * TimeSpan.TicksPerMicrosecond);
        return true;
    }

    public static DateTimeOffset ToDateTimeOffset(long microseconds) =>
        TryToDateTimeOffset(microseconds, out var time)
            ? time
            : throw new ArgumentOutOfRangeException(nameof(microseconds), microseconds, $"Epoch microseconds must be between 0 and {MaxMicroseconds}, got {microseconds}.");
}
