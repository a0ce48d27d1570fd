using CryptoPipeline.Testing;
using Npgsql;

namespace CryptoPipeline.Database.FunctionalTests.Schema;

public sealed class OperationsSchemaTests(PostgresFixture postgres)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("'running', now()", "job_runs_finished")]
    [InlineData("'succeeded', NULL", "job_runs_finished")]
    [InlineData("'done', now()", "job_runs_status")]
    public async Task A_job_run_is_running_exactly_while_it_has_no_finish_time(string statusAndFinish, string constraint)
    {
        var connectionString = await postgres.CreateDatabaseAsync(migrated: true, Cancellation);
        await Sql.ExecuteAsync(connectionString, "INSERT INTO job_runs (job_name) VALUES ('rollup')");

        var error = await Assert.ThrowsAsync<PostgresException>(() => Sql.ExecuteAsync(connectionString,
            $"INSERT INTO job_runs (job_name, status, finished_at) VALUES ('rollup', {statusAndFinish})"));

        Assert.Equal(constraint, error.ConstraintName);
        Assert.Equal("running", await Sql.ScalarAsync<string>(connectionString, "SELECT status FROM job_runs"));
    }

    [Fact]
    public async Task An_alert_is_open_at_most_once_per_rule_and_subject_and_may_be_raised_again_after_resolving()
    {
        var connectionString = await postgres.CreateDatabaseAsync(migrated: true, Cancellation);
        const string Raise = "INSERT INTO alerts (rule, subject, severity) VALUES ('stale-candles', 'binance:BTCUSDT', 'warning')";
        await Sql.ExecuteAsync(connectionString, Raise);

        var duplicate = await Assert.ThrowsAsync<PostgresException>(() => Sql.ExecuteAsync(connectionString, Raise));
        await Sql.ExecuteAsync(connectionString, "UPDATE alerts SET state = 'resolved', resolved_at = now()");
        await Sql.ExecuteAsync(connectionString, Raise);

        Assert.Equal(PostgresErrorCodes.UniqueViolation, duplicate.SqlState);
        Assert.Equal(2L, await Sql.ScalarAsync<long>(connectionString, "SELECT count(*) FROM alerts"));
    }

    [Fact]
    public async Task The_same_ingestion_gap_reported_twice_is_stored_once()
    {
        var connectionString = await postgres.CreateDatabaseAsync(migrated: true, Cancellation);
        const string Report = """
            INSERT INTO ingestion_gaps (exchange, symbol, first_missing_id, last_missing_id) VALUES ('binance', 'BTCUSDT', 101, 140)
            ON CONFLICT ON CONSTRAINT ingestion_gaps_unique DO NOTHING
            """;

        await Sql.ExecuteAsync(connectionString, Report);
        await Sql.ExecuteAsync(connectionString, Report);

        Assert.Equal(1L, await Sql.ScalarAsync<long>(connectionString, "SELECT count(*) FROM ingestion_gaps WHERE status = 'open'"));
    }
}
