using System.Net;
using CryptoPipeline.FakeExchange.Binance;
using CryptoPipeline.Monitor.FunctionalTests.Infrastructure;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Monitor.FunctionalTests;

/// <summary>Schedules on an injected clock, run history, catch-up after downtime, and one run at a time across monitors.</summary>
public sealed class SchedulerTests(PostgresFixture postgres)
{
    private const string Job = "gap-repair";
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 10, 7, 0, TimeSpan.Zero);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);

    private static Task<List<string>> WaitForRunsAsync(string database, params DateTimeOffset[] started) =>
        Eventually.Until(
            () => Db.FinishedRunsAsync(database, Job),
            runs => runs.Count >= started.Length,
            Timeout,
            $"{started.Length} finished run(s) of {Job}",
            Cancellation);

    [Fact]
    public async Task An_interval_schedule_runs_at_start_then_once_per_interval_of_the_injected_clock()
    {
        var database = await postgres.CreateDatabaseAsync(cancellationToken: Cancellation);
        var clock = new ManualTimeProvider(T0);
        await using var monitor = await MonitorHost.StartAsync(database, settings: new Dictionary<string, string?>
        {
            [$"Monitor:Jobs:{Job}:Enabled"] = "true",
            [$"Monitor:Jobs:{Job}:Schedule"] = "00:05:00",
        }, time: clock);

        // Never ran anywhere: the first occurrence counts as missed, and runs at once.
        await WaitForRunsAsync(database, T0);
        await monitor.WaitForNextRunAtAsync(Job, T0.AddMinutes(5));

        clock.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(T0.AddMinutes(5), await monitor.NextRunAtAsync(Job));
        clock.Advance(TimeSpan.FromMinutes(1));
        await WaitForRunsAsync(database, T0, T0.AddMinutes(5));
        await monitor.WaitForNextRunAtAsync(Job, T0.AddMinutes(10));

        clock.Advance(TimeSpan.FromMinutes(5));
        var runs = await WaitForRunsAsync(database, T0, T0.AddMinutes(5), T0.AddMinutes(10));

        Assert.Equal([$"{Iso(T0)} succeeded", $"{Iso(T0.AddMinutes(5))} succeeded", $"{Iso(T0.AddMinutes(10))} succeeded"], runs);
    }

    [Fact]
    public async Task A_cron_schedule_runs_only_at_its_matching_minutes()
    {
        var database = await postgres.CreateDatabaseAsync(cancellationToken: Cancellation);
        var clock = new ManualTimeProvider(T0);
        await using var monitor = await MonitorHost.StartAsync(database, settings: new Dictionary<string, string?>
        {
            [$"Monitor:Jobs:{Job}:Enabled"] = "true",
            [$"Monitor:Jobs:{Job}:Schedule"] = "*/15 * * * *",
            [$"Monitor:Jobs:{Job}:CatchUp"] = "Skip",
        }, time: clock);
        var quarterPast = new DateTimeOffset(2030, 1, 1, 10, 15, 0, TimeSpan.Zero);

        await monitor.WaitForNextRunAtAsync(Job, quarterPast);
        Assert.Empty(await Db.RunsAsync(database, Job));

        clock.Advance(quarterPast - T0);
        await WaitForRunsAsync(database, quarterPast);
        await monitor.WaitForNextRunAtAsync(Job, quarterPast.AddMinutes(15));
        clock.Advance(TimeSpan.FromMinutes(14));
        Assert.Equal(quarterPast.AddMinutes(15), await monitor.NextRunAtAsync(Job));
        clock.Advance(TimeSpan.FromMinutes(1));
        var runs = await WaitForRunsAsync(database, quarterPast, quarterPast.AddMinutes(15));

        Assert.Equal([$"{Iso(quarterPast)} succeeded", $"{Iso(quarterPast.AddMinutes(15))} succeeded"], runs);
    }

    [Theory]
    [InlineData("RunOnce")]
    [InlineData("Skip")]
    public async Task After_downtime_missed_runs_are_caught_up_once_or_skipped_never_run_once_each(string catchUp)
    {
        var database = await postgres.CreateDatabaseAsync(cancellationToken: Cancellation);

        // The last run, on a monitor that stopped 3 h 2 min ago: 36 occurrences of a 5-minute schedule were missed,
        // the latest at T0 - 2 min.
        var lastRun = T0.AddMinutes(-182);
        await Db.ExecuteAsync(
            database,
            "INSERT INTO job_runs (job_name, started_at, finished_at, status, host) VALUES ($1, $2, $2, 'succeeded', 'old-monitor')",
            Job,
            lastRun);
        var clock = new ManualTimeProvider(T0);
        await using var monitor = await MonitorHost.StartAsync(database, settings: new Dictionary<string, string?>
        {
            [$"Monitor:Jobs:{Job}:Enabled"] = "true",
            [$"Monitor:Jobs:{Job}:Schedule"] = "00:05:00",
            [$"Monitor:Jobs:{Job}:CatchUp"] = catchUp,
        }, time: clock);

        // Either way the schedule goes on from the latest missed occurrence.
        await monitor.WaitForNextRunAtAsync(Job, T0.AddMinutes(3));
        var runs = await Db.FinishedRunsAsync(database, Job);

        Assert.Equal(
            catchUp == "RunOnce" ? [$"{Iso(lastRun)} succeeded", $"{Iso(T0)} succeeded"] : [$"{Iso(lastRun)} succeeded"],
            runs);
    }

    [Fact]
    public async Task A_run_left_running_by_a_monitor_that_died_is_closed_as_failed_by_the_next_run()
    {
        var database = await postgres.CreateDatabaseAsync(cancellationToken: Cancellation);
        await Db.ExecuteAsync(database, "INSERT INTO job_runs (job_name, started_at, host) VALUES ($1, $2, 'killed-monitor')", Job, T0.AddMinutes(-30));
        await using var monitor = await MonitorHost.StartAsync(database, settings: new Dictionary<string, string?>
        {
            [$"Monitor:Jobs:{Job}:Enabled"] = "true",
        }, time: new ManualTimeProvider(T0));

        await WaitForRunsAsync(database, T0.AddMinutes(-30), T0);

        Assert.Equal(
            [$"killed-monitor failed {Iso(T0)}", $"{Environment.MachineName} succeeded {Iso(T0)}"],
            await Db.RowsAsync(database, "SELECT host, status, finished_at FROM job_runs ORDER BY id"));
        Assert.Equal(
            "abandoned: the monitor running it stopped before it finished",
            await Db.ScalarAsync<string>(database, "SELECT message FROM job_runs WHERE host = 'killed-monitor'"));
    }

    [Fact]
    public async Task Two_monitors_on_one_database_run_each_occurrence_once_and_never_a_job_twice_at_a_time()
    {
        var database = await postgres.CreateDatabaseAsync(cancellationToken: Cancellation);
        var clock = new ManualTimeProvider(T0);
        var settings = new Dictionary<string, string?>
        {
            ["Monitor:ApiKey"] = MonitorHost.ApiKey,
            [$"Monitor:Jobs:{Job}:Enabled"] = "true",
            [$"Monitor:Jobs:{Job}:Schedule"] = "00:01:00",
        };
        await using var first = await MonitorHost.StartAsync(database, settings: settings, time: clock);
        await using var second = await MonitorHost.StartAsync(database, settings: settings, time: clock);
        await first.WaitForNextRunAtAsync(Job, T0.AddMinutes(1));
        await second.WaitForNextRunAtAsync(Job, T0.AddMinutes(1));
        Assert.Single(await Db.RunsAsync(database, Job));

        // Hold the job inside its next run: it writes ingestion_gap_repairs, which this transaction locks.
        await using (var blocker = new Npgsql.NpgsqlConnection(database))
        {
            await blocker.OpenAsync(Cancellation);
            await using var transaction = await blocker.BeginTransactionAsync(Cancellation);
            await using (var lockTable = new Npgsql.NpgsqlCommand("LOCK TABLE ingestion_gap_repairs IN ACCESS EXCLUSIVE MODE", blocker, transaction))
            {
                await lockTable.ExecuteNonQueryAsync(Cancellation);
            }

            clock.Advance(TimeSpan.FromMinutes(1));

            // One monitor runs the occurrence and waits on the lock; the other found the job busy and moved on.
            await Eventually.Until(
                async () => (await Db.RunsAsync(database, Job), await first.NextRunAtAsync(Job), await second.NextRunAtAsync(Job)),
                s => s.Item1.Count(r => r.EndsWith(" running", StringComparison.Ordinal)) == 1 && (s.Item2 == T0.AddMinutes(2) || s.Item3 == T0.AddMinutes(2)),
                Timeout,
                "one monitor to run the occurrence and the other to skip it",
                Cancellation);
            foreach (var monitor in new[] { first, second })
            {
                using var trigger = await monitor.TriggerAsync(Job);
                Assert.Equal(HttpStatusCode.Conflict, trigger.StatusCode);
                Assert.Contains("under way", await trigger.Content.ReadAsStringAsync(Cancellation), StringComparison.Ordinal);
            }

            await transaction.RollbackAsync(Cancellation);
        }

        await first.WaitForNextRunAtAsync(Job, T0.AddMinutes(2));
        await second.WaitForNextRunAtAsync(Job, T0.AddMinutes(2));
        var runs = await WaitForRunsAsync(database, T0, T0.AddMinutes(1));

        Assert.Equal([$"{Iso(T0)} succeeded", $"{Iso(T0.AddMinutes(1))} succeeded"], runs);
    }

    [Fact]
    public async Task A_run_over_its_timeout_is_cancelled_and_recorded_as_failed_naming_the_setting()
    {
        var database = await postgres.CreateDatabaseAsync(cancellationToken: Cancellation);
        var clock = new ManualTimeProvider(T0);
        await using var monitor = await MonitorHost.StartAsync(database, settings: new Dictionary<string, string?>
        {
            ["Monitor:ApiKey"] = MonitorHost.ApiKey,
            [$"Monitor:Jobs:{Job}:Timeout"] = "00:00:30",
        }, time: clock);

        await using var blocker = new Npgsql.NpgsqlConnection(database);
        await blocker.OpenAsync(Cancellation);
        await using var transaction = await blocker.BeginTransactionAsync(Cancellation);
        await using (var lockTable = new Npgsql.NpgsqlCommand("LOCK TABLE ingestion_gap_repairs IN ACCESS EXCLUSIVE MODE", blocker, transaction))
        {
            await lockTable.ExecuteNonQueryAsync(Cancellation);
        }

        using var trigger = await monitor.TriggerAsync(Job);
        Assert.Equal(HttpStatusCode.Accepted, trigger.StatusCode);
        // The run waits on the lock, so its timeout is set on the clock.
        await Eventually.Until(
            () => Db.ScalarAsync<long>(database, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"),
            waiting => waiting == 1,
            Timeout,
            "the run to wait on the locked table",
            Cancellation);
        clock.Advance(TimeSpan.FromSeconds(30));

        var run = await Eventually.Until(
            () => Db.RowsAsync(database, "SELECT status, message FROM job_runs"),
            rows => rows is [var only] && !only.StartsWith("running", StringComparison.Ordinal),
            Timeout,
            "the run to time out",
            Cancellation);
        Assert.Equal("failed timed out after 00:00:30 (Monitor:Jobs:gap-repair:Timeout)", Assert.Single(run));
    }
}
