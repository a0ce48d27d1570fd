using CryptoPipeline.Monitor.Alerts;

namespace CryptoPipeline.Monitor.UnitTests;

public sealed class AlertHysteresisTests
{
    private static readonly AlertRuleOptions Rule = new() { RaiseAfter = 2, ResolveAfter = 3 };

    private static List<AlertTransition> Run(params bool[] bad)
    {
        var streak = default(AlertStreak);
        var open = false;
        var transitions = new List<AlertTransition>();
        foreach (var check in bad)
        {
            streak = streak.Observe(check);
            var transition = AlertHysteresis.Decide(streak, open, Rule);
            open = transition switch { AlertTransition.Raise => true, AlertTransition.Resolve => false, _ => open };
            transitions.Add(transition);
        }

        return transitions;
    }

    [Fact]
    public void A_flapping_condition_never_raises()
    {
        Assert.All(Run(true, false, true, false, true, false), t => Assert.Equal(AlertTransition.None, t));
    }

    [Fact]
    public void An_alert_raises_after_n_bad_checks_in_a_row_and_resolves_after_m_good_ones_in_a_row()
    {
        // Two good checks, then a bad one, restart the count towards resolving.
        Assert.Equal(
            [
                AlertTransition.None, AlertTransition.Raise, AlertTransition.None, AlertTransition.None, AlertTransition.None,
                AlertTransition.None, AlertTransition.None, AlertTransition.None, AlertTransition.Resolve,
            ],
            Run(true, true, true, false, false, true, false, false, false));
    }
}
