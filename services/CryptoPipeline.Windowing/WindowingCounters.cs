namespace CryptoPipeline.Windowing;

/// <summary>How many trades had each <see cref="TradeOutcome"/> since the engine was created.</summary>
public readonly record struct WindowingCounters(long Applied, long LateApplied, long Duplicates, long Excluded, long TooLate);
