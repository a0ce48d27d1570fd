using CryptoPipeline.Monitor.Scheduling;

namespace CryptoPipeline.Monitor.UnitTests;

public sealed class JobScheduleTests
{
    private static readonly DateTimeOffset Start = new(2024, 8, 8, 10, 2, 30, TimeSpan.Zero);

    private static JobSchedule Parse(string text)
    {
        Assert.True(JobSchedule.TryParse(text, out var schedule, out var error), error);
        return schedule!;
    }

    [Fact]
    public void An_interval_runs_that_long_after_the_previous_occurrence()
    {
        var schedule = Parse("00:05:00");

        Assert.Equal("interval", schedule.Kind);
        Assert.Equal(Start.AddMinutes(5), schedule.Next(Start));
    }

    [Fact]
    public void A_cron_expression_runs_at_its_matching_minutes()
    {
        var schedule = Parse("*/15 * * * *");

        Assert.Equal("cron", schedule.Kind);
        Assert.Equal(new DateTimeOffset(2024, 8, 8, 10, 15, 0, TimeSpan.Zero), schedule.Next(Start));
    }

    [Fact]
    public void Latest_is_the_last_occurrence_up_to_now_counting_from_a_missed_one()
    {
        var now = Start.AddHours(3).AddMinutes(1);

        Assert.Equal(Start.AddHours(3), Parse("00:05:00").Latest(Start, now));
        Assert.Equal(new DateTimeOffset(2024, 8, 8, 13, 0, 0, TimeSpan.Zero), Parse("*/15 * * * *").Latest(new DateTimeOffset(2024, 8, 8, 10, 15, 0, TimeSpan.Zero), now));
    }

    [Theory]
    [InlineData("5", "neither an interval")]
    [InlineData("00:00:00.500", "at least 00:00:01")]
    [InlineData("-00:05:00", "at least 00:00:01")]
    [InlineData("every 5 minutes", "5 fields")]
    [InlineData("  ", "empty")]
    public void Invalid_schedules_are_refused_with_a_reason(string text, string reason)
    {
        Assert.False(JobSchedule.TryParse(text, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }
}
