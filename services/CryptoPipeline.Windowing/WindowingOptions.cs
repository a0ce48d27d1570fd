namespace CryptoPipeline.Windowing;

/// <summary>Event-time rules of <see cref="WindowingEngine"/> (DESIGN.md §5).</summary>
public sealed record WindowingOptions
{
    /// <summary>The watermark of a partition trails the latest trade time seen on it by this much.</summary>
    public TimeSpan AllowedLateness { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A new trade whose window ended more than this before its partition's watermark is
    /// <see cref="TradeOutcome.TooLate"/> (the service dead-letters it) instead of a late firing.
    /// </summary>
    public TimeSpan HardLatenessBound { get; init; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Count futures trades that are not <see cref="Contracts.TradeKind.Market"/> (insurance fund, ADL).
    /// Off by default, because the exchange's own klines leave them out.
    /// </summary>
    public bool IncludeNonMarketTrades { get; init; }

    /// <summary>
    /// Drop final windows from memory once committed; a late trade reloads its window from the database.
    /// </summary>
    public bool EvictFinalWindowsAfterCommit { get; init; } = true;
}
