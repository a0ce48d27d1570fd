namespace CryptoPipeline.Windowing;

/// <summary>What <see cref="WindowingEngine.Apply"/> did with a trade.</summary>
public enum TradeOutcome
{
    /// <summary>Counted in a window that was still open.</summary>
    Applied,

    /// <summary>Its id was already counted in its window: nothing changed. Never an error (replays repeat trades).</summary>
    Duplicate,

    /// <summary>Not a market trade, and the options leave those out of candles.</summary>
    Excluded,

    /// <summary>Counted in a window that was already final: a late firing updates the window's row.</summary>
    LateApplied,

    /// <summary>Its window ended more than the hard lateness bound before the watermark: not counted; dead-letter it.</summary>
    TooLate,
}
