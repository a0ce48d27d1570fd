namespace CryptoPipeline.Api;

/// <summary>
/// A candle length the API derives from the 1-minute rows. Buckets are aligned to UTC midnight (so 4h candles open
/// at 00:00, 04:00, … UTC, as the exchanges' klines do).
/// </summary>
internal sealed record CandleInterval(string Name, TimeSpan Length)
{
    public static readonly CandleInterval OneMinute = new("1m", TimeSpan.FromMinutes(1));

    public static readonly CandleInterval OneHour = new("1h", TimeSpan.FromHours(1));

    private static readonly CandleInterval[] All =
    [
        OneMinute,
        new("5m", TimeSpan.FromMinutes(5)),
        new("15m", TimeSpan.FromMinutes(15)),
        OneHour,
        new("4h", TimeSpan.FromHours(4)),
        new("1d", TimeSpan.FromDays(1)),
    ];

    public static IEnumerable<string> Names => All.Select(i => i.Name);

    public static bool TryParse(string? name, out CandleInterval interval)
    {
        var found = Array.Find(All, i => string.Equals(i.Name, name, StringComparison.Ordinal));
        interval = found ?? OneMinute;
        return found is not null;
    }

    public static CandleInterval Parse(string? name) =>
        TryParse(name, out var interval) ? interval : throw new ArgumentException($"Unknown candle interval '{name}'.", nameof(name));

    /// <summary>Start of the bucket that contains <paramref name="time"/>.</summary>
    public DateTimeOffset Floor(DateTimeOffset time) =>
        new(time.UtcTicks - (time.UtcTicks % Length.Ticks), TimeSpan.Zero);

    /// <summary>The first bucket boundary at or after <paramref name="time"/>.</summary>
    public DateTimeOffset Ceiling(DateTimeOffset time)
    {
        var floor = Floor(time);
        return floor == time ? floor : floor + Length;
    }
}
