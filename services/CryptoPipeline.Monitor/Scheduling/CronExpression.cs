using System.Globalization;

namespace CryptoPipeline.Monitor.Scheduling;

/// <summary>
/// A five-field cron expression (minute, hour, day of month, month, day of week) evaluated in UTC, with the
/// classic syntax: <c>*</c>, values, ranges <c>a-b</c>, steps <c>*/n</c>, <c>a-b/n</c> and <c>a/n</c>, lists
/// <c>a,b</c>, month and weekday names (<c>JAN</c>, <c>MON</c>), Sunday as 0 or 7, and the shorthands
/// <c>@hourly</c>, <c>@daily</c>, <c>@weekly</c>, <c>@monthly</c>, <c>@yearly</c>. As in Vixie cron, when
/// both day fields are restricted a day matches if either does.
/// </summary>
internal sealed class CronExpression
{
    // Every satisfiable expression fires within this span from any moment: the rarest is 29 February,
    // which can be eight years away around a century that is not a leap year.
    private static readonly TimeSpan SearchLimit = TimeSpan.FromDays(366 * 8 + 2);

    private static readonly string[] MonthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    private static readonly string[] DayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    private static readonly Dictionary<string, string> Shorthands = new(StringComparer.OrdinalIgnoreCase)
    {
        ["@hourly"] = "0 * * * *",
        ["@daily"] = "0 0 * * *",
        ["@midnight"] = "0 0 * * *",
        ["@weekly"] = "0 0 * * 0",
        ["@monthly"] = "0 0 1 * *",
        ["@yearly"] = "0 0 1 1 *",
        ["@annually"] = "0 0 1 1 *",
    };

    private readonly ulong _minutes;
    private readonly ulong _hours;
    private readonly ulong _daysOfMonth;
    private readonly ulong _months;
    private readonly ulong _daysOfWeek;
    private readonly bool _dayOfMonthRestricted;
    private readonly bool _dayOfWeekRestricted;

    private CronExpression(string text, ulong minutes, ulong hours, ulong daysOfMonth, ulong months, ulong daysOfWeek, bool dayOfMonthRestricted, bool dayOfWeekRestricted)
    {
        Text = text;
        _minutes = minutes;
        _hours = hours;
        _daysOfMonth = daysOfMonth;
        _months = months;
        _daysOfWeek = daysOfWeek;
        _dayOfMonthRestricted = dayOfMonthRestricted;
        _dayOfWeekRestricted = dayOfWeekRestricted;
    }

    /// <summary>The expression as written (trimmed).</summary>
    public string Text { get; }

    public override string ToString() => Text;

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="error"/> says what is wrong and where.</summary>
    public static bool TryParse(string? text, out CronExpression? expression, out string? error)
    {
        expression = null;
        error = null;
        var trimmed = text?.Trim() ?? "";
        var expanded = Shorthands.TryGetValue(trimmed, out var shorthand) ? shorthand : trimmed;
        var fields = expanded.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5)
        {
            error = $"a cron expression has 5 fields (minute hour day-of-month month day-of-week), got {fields.Length}";
            return false;
        }

        if (!TryParseField(fields[0], "minute", 0, 59, null, out var minutes, out error)
            || !TryParseField(fields[1], "hour", 0, 23, null, out var hours, out error)
            || !TryParseField(fields[2], "day-of-month", 1, 31, null, out var daysOfMonth, out error)
            || !TryParseField(fields[3], "month", 1, 12, MonthNames, out var months, out error)
            || !TryParseField(fields[4], "day-of-week", 0, 7, DayNames, out var daysOfWeek, out error))
        {
            return false;
        }

        // 7 is Sunday too.
        if ((daysOfWeek & (1UL << 7)) != 0)
        {
            daysOfWeek = (daysOfWeek | 1UL) & ~(1UL << 7);
        }

        // As in Vixie cron, a day field that starts with '*' (also "*/2") does not restrict the day.
        var parsed = new CronExpression(trimmed, minutes, hours, daysOfMonth, months, daysOfWeek, !fields[2].StartsWith('*'), !fields[4].StartsWith('*'));
        if (parsed.FindNext(new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc)) is null)
        {
            error = "the expression never fires (no month has that day)";
            return false;
        }

        expression = parsed;
        return true;
    }

    /// <summary>The first time strictly after <paramref name="after"/> that the expression matches (whole minutes, UTC).</summary>
    public DateTimeOffset Next(DateTimeOffset after)
    {
        var next = FindNext(after.UtcDateTime)
            ?? throw new InvalidOperationException($"The cron expression '{Text}' has no occurrence after {after:O}.");
        return new DateTimeOffset(next, TimeSpan.Zero);
    }

    private DateTime? FindNext(DateTime after)
    {
        var time = new DateTime(after.Year, after.Month, after.Day, after.Hour, after.Minute, 0, DateTimeKind.Utc).AddMinutes(1);
        var limit = time + SearchLimit;
        while (time < limit)
        {
            if (!Has(_months, time.Month))
            {
                time = new DateTime(time.Year, time.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(1);
            }
            else if (!DayMatches(time))
            {
                time = time.Date.AddDays(1);
            }
            else if (!Has(_hours, time.Hour))
            {
                time = time.Date.AddHours(time.Hour + 1);
            }
            else if (!Has(_minutes, time.Minute))
            {
                time = time.AddMinutes(1);
            }
            else
            {
                return time;
            }
        }

        return null;
    }

    private bool DayMatches(DateTime day)
    {
        var byMonth = Has(_daysOfMonth, day.Day);
        var byWeek = Has(_daysOfWeek, (int)day.DayOfWeek);
        return _dayOfMonthRestricted && _dayOfWeekRestricted ? byMonth || byWeek
            : _dayOfMonthRestricted ? byMonth
            : !_dayOfWeekRestricted || byWeek;
    }

    private static bool Has(ulong set, int value) => (set & (1UL << value)) != 0;

    private static bool TryParseField(string field, string name, int min, int max, string[]? names, out ulong set, out string? error)
    {
        set = 0;
        error = null;
        foreach (var part in field.Split(','))
        {
            var slash = part.IndexOf('/', StringComparison.Ordinal);
            var range = slash < 0 ? part : part[..slash];
            int step = 1;
            if (slash >= 0 && (!int.TryParse(part[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out step) || step < 1 || step > max))
            {
                error = $"'{part}' in the {name} field: the step after '/' must be a whole number from 1 to {max}";
                return false;
            }

            int from, to = 0;
            if (range == "*")
            {
                (from, to) = (min, max);
            }
            else
            {
                var dash = range.IndexOf('-', StringComparison.Ordinal);
                if (!TryParseValue(dash < 0 ? range : range[..dash], names, min, out from)
                    || (dash >= 0 && !TryParseValue(range[(dash + 1)..], names, min, out to)))
                {
                    error = $"'{part}' in the {name} field is not a value, range or step" + (names is null ? "" : $" (names: {string.Join(", ", names)})");
                    return false;
                }

                // A single value with a step ("5/15") runs from that value to the end of the range.
                to = dash >= 0 ? to : slash >= 0 ? max : from;
                if (from < min || to > max || from > to)
                {
                    error = $"'{part}' in the {name} field is outside {min}-{max}" + (from > to ? " or runs backwards" : "");
                    return false;
                }
            }

            for (var value = from; value <= to; value += step)
            {
                set |= 1UL << value;
            }
        }

        return true;
    }

    private static bool TryParseValue(string text, string[]? names, int min, out int value)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value))
        {
            return true;
        }

        var index = names is null ? -1 : Array.FindIndex(names, n => n.Equals(text, StringComparison.OrdinalIgnoreCase));
        value = index + min;
        return index >= 0;
    }
}
