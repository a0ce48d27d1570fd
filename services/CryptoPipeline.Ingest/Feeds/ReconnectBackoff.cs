namespace CryptoPipeline.Ingest.Feeds;

/// <summary>
/// Delays between reconnection attempts: exponential from <c>initial</c> up to <c>max</c>, with "equal
/// jitter" (a random point in the upper half of the step), so many clients dropped at once do not come
/// back in lock-step, yet none retries at once in a tight loop. <see cref="Reset"/> after a connection
/// proved itself (received data).
/// </summary>
public sealed class ReconnectBackoff
{
    private readonly TimeSpan _initial;
    private readonly TimeSpan _max;
    private readonly Random _random;
    private int _attempt;

    public ReconnectBackoff(TimeSpan initial, TimeSpan max, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(initial, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, initial);
        ArgumentNullException.ThrowIfNull(random);
        _initial = initial;
        _max = max;
        _random = random;
    }

    /// <summary>Attempts since the last <see cref="Reset"/>.</summary>
    public int Attempt => _attempt;

    public TimeSpan Next()
    {
        // 2^20 times any sane initial delay is past any sane maximum: stop doubling there.
        var step = _initial * Math.Pow(2, Math.Min(_attempt, 20));
        var ceiling = step < _max ? step : _max;
        _attempt++;
        return ceiling * (0.5 + (_random.NextDouble() / 2));
    }

    public void Reset() => _attempt = 0;
}
