namespace CryptoPipeline.Windowing;

/// <summary>Event-time progress of one input partition, in UTC ticks, with the thresholds the hot path compares against.</summary>
internal sealed class PartitionProgress(int partition, long allowedLatenessTicks, long hardLatenessBoundTicks)
{
    public int Partition { get; } = partition;

    public bool HasEvents { get; private set; }

    public long MaxEventTicks { get; private set; }

    /// <summary>Windows ending at or before this are final. Zero (year 1) until a trade is seen: nothing is late.</summary>
    public long WatermarkTicks { get; private set; }

    /// <summary>New trades of windows ending before this are too late. Nothing is, until a trade is seen.</summary>
    public long TooLateBeforeTicks { get; private set; } = long.MinValue;

    public void Observe(long eventTicks)
    {
        if (HasEvents && eventTicks <= MaxEventTicks)
        {
            return;
        }

        HasEvents = true;
        MaxEventTicks = eventTicks;
        // Ticks of a DateTimeOffset are non-negative, so this cannot overflow; the next one saturates
        // because the bound may be as large as TimeSpan.MaxValue.
        WatermarkTicks = eventTicks - allowedLatenessTicks;
        TooLateBeforeTicks = WatermarkTicks < long.MinValue + hardLatenessBoundTicks
            ? long.MinValue
            : WatermarkTicks - hardLatenessBoundTicks;
    }
}
