using CryptoPipeline.Monitor.Scheduling;

namespace CryptoPipeline.Monitor.UnitTests;

public sealed class CronExpressionTests
{
    private static DateTimeOffset At(string utc) => DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture);

    private static CronExpression Parse(string text)
    {
        Assert.True(CronExpression.TryParse(text, out var cron, out var error), error);
        return cron!;
    }

    [Theory]
    [InlineData("* * * * *", "2024-08-08T23:54:15Z", "2024-08-08T23:55:00Z")]
    [InlineData("* * * * *", "2024-08-08T23:54:00Z", "2024-08-08T23:55:00Z")]
    [InlineData("*/15 * * * *", "2024-08-08T23:54:00Z", "2024-08-09T00:00:00Z")]
    [InlineData("*/15 * * * *", "2024-08-09T00:00:00Z", "2024-08-09T00:15:00Z")]
    [InlineData("5 * * * *", "2024-08-08T10:05:00Z", "2024-08-08T11:05:00Z")]
    [InlineData("0 0 * * *", "2024-12-31T23:59:59Z", "2025-01-01T00:00:00Z")]
    [InlineData("30 2 1 * *", "2024-01-31T12:00:00Z", "2024-02-01T02:30:00Z")]
    [InlineData("0 9-17/4 * * *", "2024-08-08T09:00:00Z", "2024-08-08T13:00:00Z")]
    [InlineData("10,40 * * * *", "2024-08-08T10:11:00Z", "2024-08-08T10:40:00Z")]
    [InlineData("5/20 * * * *", "2024-08-08T10:46:00Z", "2024-08-08T11:05:00Z")]
    [InlineData("0 0 29 2 *", "2021-03-01T00:00:00Z", "2024-02-29T00:00:00Z")]
    [InlineData("0 12 * JAN,jul MON", "2024-02-01T00:00:00Z", "2024-07-01T12:00:00Z")]
    [InlineData("@hourly", "2024-08-08T10:59:59Z", "2024-08-08T11:00:00Z")]
    [InlineData("@weekly", "2024-08-08T10:00:00Z", "2024-08-11T00:00:00Z")]
    public void Next_is_the_first_matching_minute_strictly_after_the_given_time(string expression, string after, string expected)
    {
        Assert.Equal(At(expected), Parse(expression).Next(At(after)));
    }

    [Fact]
    public void Sunday_is_both_0_and_7()
    {
        var after = At("2024-08-08T00:00:00Z");

        Assert.Equal(At("2024-08-11T00:00:00Z"), Parse("0 0 * * 0").Next(after));
        Assert.Equal(At("2024-08-11T00:00:00Z"), Parse("0 0 * * 7").Next(after));
        Assert.Equal(At("2024-08-11T00:00:00Z"), Parse("0 0 * * SUN").Next(after));
    }

    [Fact]
    public void Restricted_day_of_month_and_day_of_week_match_when_either_does()
    {
        // The 13th or any Friday: Friday 2024-08-09 comes before the 13th.
        var cron = Parse("0 0 13 * FRI");

        Assert.Equal(At("2024-08-09T00:00:00Z"), cron.Next(At("2024-08-08T00:00:00Z")));
        Assert.Equal(At("2024-08-13T00:00:00Z"), cron.Next(At("2024-08-09T00:00:00Z")));
    }

    [Fact]
    public void A_day_field_starting_with_a_star_does_not_restrict_the_day()
    {
        // Every other day of the month (1, 3, 5, …) on Mondays only: "*/2" leaves the day-of-week alone in charge of OR.
        var cron = Parse("0 0 */2 * MON");

        Assert.Equal(At("2024-08-12T00:00:00Z"), cron.Next(At("2024-08-08T00:00:00Z")));
    }

    [Theory]
    [InlineData("* * * *", "5 fields")]
    [InlineData("* * * * * *", "5 fields")]
    [InlineData("60 * * * *", "minute field is outside 0-59")]
    [InlineData("* 24 * * *", "hour field is outside 0-23")]
    [InlineData("* * 0 * *", "day-of-month field is outside 1-31")]
    [InlineData("* * * 13 *", "month field is outside 1-12")]
    [InlineData("* * * * 8", "day-of-week field is outside 0-7")]
    [InlineData("*/0 * * * *", "step after '/' must be a whole number from 1 to 59")]
    [InlineData("10-5 * * * *", "runs backwards")]
    [InlineData("* * * FOO *", "names: JAN")]
    [InlineData("a * * * *", "minute field is not a value")]
    [InlineData("0 0 31 4 *", "never fires")]
    [InlineData("", "5 fields")]
    public void Invalid_expressions_are_refused_with_a_reason_that_names_the_field(string expression, string reason)
    {
        Assert.False(CronExpression.TryParse(expression, out var cron, out var error));
        Assert.Null(cron);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }
}
