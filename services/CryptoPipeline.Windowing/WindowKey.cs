using CryptoPipeline.Contracts;

namespace CryptoPipeline.Windowing;

/// <summary>
/// Identifies one 1-minute window of one instrument: a row of <c>trades_1min_agg</c>. A trade at time t
/// belongs to [floor(t to the minute), +1 min), like the exchange's kline of that open time (whose
/// "close time" is the start plus 59,999 ms). <see cref="WindowStart"/> is a <see cref="DateTimeOffset"/>
/// with offset zero, the form Npgsql writes to <c>timestamptz</c>.
/// </summary>
public readonly record struct WindowKey
{
    public static readonly TimeSpan Length = TimeSpan.FromMinutes(1);

    /// <exception cref="ArgumentException">The start is not on a whole UTC minute.</exception>
    public WindowKey(string exchange, string symbol, DateTimeOffset windowStart)
    {
        ArgumentException.ThrowIfNullOrEmpty(exchange);
        ArgumentException.ThrowIfNullOrEmpty(symbol);
        if (windowStart.UtcTicks % TimeSpan.TicksPerMinute != 0)
        {
            throw new ArgumentException($"A window starts on a whole UTC minute, got {windowStart:O}.", nameof(windowStart));
        }

        Exchange = exchange;
        Symbol = symbol;
        WindowStart = windowStart.ToUniversalTime();
    }

    public string Exchange { get; }

    public string Symbol { get; }

    public DateTimeOffset WindowStart { get; }

    /// <summary>Exclusive: <see cref="WindowStart"/> plus one minute.</summary>
    public DateTimeOffset WindowEnd => WindowStart + Length;

    /// <summary>The window that contains <paramref name="time"/>.</summary>
    public static WindowKey Containing(string exchange, string symbol, DateTimeOffset time) =>
        new(exchange, symbol, StartOfMinute(MinuteOf(time.UtcTicks)));

    public static WindowKey For(Trade trade)
    {
        ArgumentNullException.ThrowIfNull(trade);
        return Containing(trade.Exchange, trade.Symbol, trade.TradeTime);
    }

    public override string ToString() => $"{Exchange}:{Symbol}@{WindowStart:yyyy-MM-ddTHH:mm}Z";

    /// <summary>Minutes since 0001-01-01 UTC: the engine's cheap window number.</summary>
    internal static long MinuteOf(long utcTicks) => utcTicks / TimeSpan.TicksPerMinute;

    internal static DateTimeOffset StartOfMinute(long minute) => new(minute * TimeSpan.TicksPerMinute, TimeSpan.Zero);

    internal long Minute => MinuteOf(WindowStart.UtcTicks);
}
