namespace CryptoPipeline.Database;

/// <summary>PostgreSQL advisory lock keys that several services take, defined once so they cannot drift apart.</summary>
public static class AdvisoryLocks
{
    /// <summary>
    /// Serialises hourly rollups (<c>rollup_trades_1h</c>) across the Processor and the Monitor: each rebuilds every
    /// instrument of its hours, so one working from an older snapshot would overwrite newer hours with older ones.
    /// </summary>
    public const long HourlyRollup = 0x4350_524F_4C4C_5550;
}
