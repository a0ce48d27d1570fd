using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace CryptoPipeline.Ingest.Replay;

/// <summary>
/// How fast a replay runs against the recorded clock: <c>max</c> (as fast as the publisher takes it),
/// <c>realtime</c> (the recorded pace, same as <c>1x</c>) or a multiple such as <c>10x</c> or <c>0.5x</c>.
/// </summary>
public readonly record struct ReplaySpeed
{
    private ReplaySpeed(double factor) => Factor = factor;

    public static ReplaySpeed Max { get; } = new(double.PositiveInfinity);

    public static ReplaySpeed Realtime { get; } = new(1);

    /// <summary>Recorded seconds per second of replay; infinite for <see cref="Max"/>.</summary>
    public double Factor { get; }

    public bool IsMax => double.IsPositiveInfinity(Factor);

    public static bool TryParse(string? text, [NotNullWhen(true)] out ReplaySpeed? speed)
    {
        speed = null;
        var value = text?.Trim();
        if (string.IsNullOrEmpty(value))
        {
            return false;
        }

        if (value.Equals("max", StringComparison.OrdinalIgnoreCase))
        {
            speed = Max;
            return true;
        }

        if (value.Equals("realtime", StringComparison.OrdinalIgnoreCase))
        {
            speed = Realtime;
            return true;
        }

        var number = value.EndsWith('x') || value.EndsWith('X') ? value[..^1] : null;
        if (number is not null
            && double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var factor)
            && factor is > 0 and <= 1_000_000)
        {
            speed = new ReplaySpeed(factor);
            return true;
        }

        return false;
    }

    public override string ToString() =>
        IsMax ? "max" : Factor == 1 ? "realtime" : Factor.ToString(CultureInfo.InvariantCulture) + "x";
}
