namespace CryptoPipeline.Monitor.Alerts;

/// <summary>Consecutive bad and good checks of one (rule, subject); at most one of them is non-zero.</summary>
internal readonly record struct AlertStreak(int Bad, int Good)
{
    public AlertStreak Observe(bool bad) => bad ? new(Bad + 1, 0) : new(0, Good + 1);
}

internal enum AlertTransition
{
    None,
    Raise,
    Resolve,
}

/// <summary>The hysteresis of the alert rules: raise after N bad checks in a row, resolve after M good ones.</summary>
internal static class AlertHysteresis
{
    public static AlertTransition Decide(AlertStreak streak, bool open, AlertRuleOptions rule) =>
        !open && streak.Bad >= rule.RaiseAfter ? AlertTransition.Raise
        : open && streak.Good >= rule.ResolveAfter ? AlertTransition.Resolve
        : AlertTransition.None;
}
