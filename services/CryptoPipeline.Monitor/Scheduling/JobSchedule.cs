using System.Globalization;

namespace CryptoPipeline.Monitor.Scheduling;

/// <summary>
/// When a job runs: every fixed interval (<c>00:05:00</c>) or at the times of a cron expression (<c>*/5 * * * *</c>, UTC).
/// </summary>
internal abstract class JobSchedule
{
    public const string Syntax = "an interval such as 00:05:00 (at least 00:00:01) or a five-field cron expression such as */5 * * * * (UTC)";

    /// <summary>The schedule as configured.</summary>
    public abstract string Text { get; }

    /// <summary><c>interval</c> or <c>cron</c>.</summary>
    public abstract string Kind { get; }

    /// <summary>The first occurrence strictly after <paramref name="after"/>.</summary>
    public abstract DateTimeOffset Next(DateTimeOffset after);

    /// <summary>
    /// The latest occurrence at or before <paramref name="now"/>, counting on from <paramref name="occurrence"/>
    /// (an occurrence at or before <paramref name="now"/>): the one a job that missed several runs catches up with.
    /// </summary>
    public abstract DateTimeOffset Latest(DateTimeOffset occurrence, DateTimeOffset now);

    public override string ToString() => Text;

    public static bool TryParse(string? text, out JobSchedule? schedule, out string? error)
    {
        schedule = null;
        var trimmed = text?.Trim() ?? "";
        if (trimmed.Length == 0)
        {
            error = "the schedule is empty";
            return false;
        }

        // Cron expressions always have spaces or start with '@'; intervals never do.
        if (trimmed.StartsWith('@') || trimmed.Any(char.IsWhiteSpace))
        {
            if (!CronExpression.TryParse(trimmed, out var cron, out error))
            {
                return false;
            }

            schedule = new CronSchedule(cron!);
            return true;
        }

        if (!TimeSpan.TryParse(trimmed, CultureInfo.InvariantCulture, out var interval) || !trimmed.Contains(':', StringComparison.Ordinal))
        {
            error = "it is neither an interval (hh:mm:ss or d.hh:mm:ss) nor a cron expression";
            return false;
        }

        if (interval < TimeSpan.FromSeconds(1))
        {
            error = "an interval must be at least 00:00:01";
            return false;
        }

        error = null;
        schedule = new IntervalSchedule(interval, trimmed);
        return true;
    }

    private sealed class IntervalSchedule(TimeSpan interval, string text) : JobSchedule
    {
        public override string Text => text;

        public override string Kind => "interval";

        public override DateTimeOffset Next(DateTimeOffset after) => after + interval;

        public override DateTimeOffset Latest(DateTimeOffset occurrence, DateTimeOffset now) =>
            now < occurrence ? occurrence : occurrence + (interval * Math.Floor((now - occurrence) / interval));
    }

    private sealed class CronSchedule(CronExpression cron) : JobSchedule
    {
        public override string Text => cron.Text;

        public override string Kind => "cron";

        public override DateTimeOffset Next(DateTimeOffset after) => cron.Next(after);

        public override DateTimeOffset Latest(DateTimeOffset occurrence, DateTimeOffset now)
        {
            var latest = occurrence;
            for (var next = cron.Next(latest); next <= now; next = cron.Next(next))
            {
                latest = next;
            }

            return latest;
        }
    }
}
