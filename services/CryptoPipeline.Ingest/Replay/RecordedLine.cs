using CryptoPipeline.Contracts;

namespace CryptoPipeline.Ingest.Replay;

/// <summary>
/// One line of the recorded-feed format: <c>&lt;receive time&gt; &lt;combined-stream JSON&gt;</c>. The time is an
/// integer since the Unix epoch whose unit shows in its size: nanoseconds (the 2024 recordings and this
/// service's own), microseconds (the 2023 <c>.dat.gz</c> recordings) or milliseconds.
/// </summary>
internal static class RecordedLine
{
    // Thresholds sit between the magnitudes today's times have in each unit (about 1.7e18 ns, 1.7e15 µs,
    // 1.7e12 ms), leaving every year from 2001 to 2286 unambiguous.
    private const long NanosecondsFrom = 100_000_000_000_000_000;
    private const long MicrosecondsFrom = 100_000_000_000_000;
    private const long MillisecondsFrom = 100_000_000_000;

    public static bool TryParse(ReadOnlySpan<byte> line, out DateTimeOffset receivedAt, out ReadOnlySpan<byte> json, out string? error)
    {
        receivedAt = default;
        json = default;
        var space = line.IndexOf((byte)' ');
        if (space <= 0)
        {
            error = "the line is not '<time> <json>'";
            return false;
        }

        long value = 0;
        foreach (var digit in line[..space])
        {
            if (digit is < (byte)'0' or > (byte)'9' || value > (long.MaxValue - 9) / 10)
            {
                error = "the receive time is not an integer";
                return false;
            }

            value = (value * 10) + (digit - '0');
        }

        var microseconds = value switch
        {
            >= NanosecondsFrom => value / 1000,
            >= MicrosecondsFrom => value,
            >= MillisecondsFrom => value * 1000,
            _ => -1,
        };
        if (!UnixMicroseconds.TryToDateTimeOffset(microseconds, out receivedAt))
        {
            error = $"the receive time {value} is not epoch ns, µs or ms";
            return false;
        }

        json = line[(space + 1)..].TrimStart((byte)' ');
        error = null;
        return true;
    }

    /// <summary>Formats a line as this service records it: nanoseconds, one space, the frame.</summary>
    public static int Write(Span<byte> destination, DateTimeOffset receivedAt, ReadOnlySpan<byte> frame)
    {
        var nanoseconds = (receivedAt.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
        if (!nanoseconds.TryFormat(destination, out var written, default, System.Globalization.CultureInfo.InvariantCulture)
            || destination.Length < written + 2 + frame.Length)
        {
            throw new ArgumentException("The destination is too small for the line.", nameof(destination));
        }

        destination[written++] = (byte)' ';
        frame.CopyTo(destination[written..]);
        written += frame.Length;
        destination[written++] = (byte)'\n';
        return written;
    }
}
