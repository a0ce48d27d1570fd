using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace CryptoPipeline.Monitor.Scheduling;

/// <summary>One row of <c>job_runs</c>, as the API shows it.</summary>
public sealed record JobRunRecord(
    long Id,
    string Job,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    string Status,
    string? Message,
    JsonElement? Metrics,
    string? Host)
{
    /// <summary>Seconds from start to finish; null while running.</summary>
    public double? DurationSeconds => FinishedAt is { } finished ? (finished - StartedAt).TotalSeconds : null;
}

/// <summary>The run history in <c>job_runs</c> (migration 0003): a run is <c>running</c> exactly while it has no finish time.</summary>
internal sealed class JobRunStore(NpgsqlDataSource dataSource)
{
    internal const string Columns = "id, job_name, started_at, finished_at, status, message, metrics::text, host";

    /// <summary>Whether a run of the job started at or after <paramref name="since"/>: another replica took that occurrence.</summary>
    public static async Task<bool> HasStartedSinceAsync(NpgsqlConnection connection, string job, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM job_runs WHERE job_name = $1 AND started_at >= $2)", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = job });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = since });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Closes the runs of <paramref name="job"/> still marked running: the caller holds the job's lock, so their monitor
    /// stopped (or lost its database session) before finishing them. Returns how many there were.
    /// </summary>
    public static async Task<int> AbandonRunningAsync(NpgsqlConnection connection, string job, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            UPDATE job_runs SET status = 'failed', finished_at = greatest($2, started_at),
                message = 'abandoned: the monitor running it stopped before it finished'
            WHERE job_name = $1 AND status = 'running'
            """,
            connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = job });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task<long> InsertRunningAsync(NpgsqlConnection connection, string job, DateTimeOffset startedAt, string host, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "INSERT INTO job_runs (job_name, started_at, status, host) VALUES ($1, $2, 'running', $3) RETURNING id", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = job });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = startedAt });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = host });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task FinishAsync(long runId, DateTimeOffset finishedAt, JobResult result, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE job_runs SET finished_at = greatest($2, started_at), status = $3, message = $4, metrics = $5 WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = runId });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = finishedAt });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = result.Status });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = result.Message });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = (object?)result.Metrics?.ToJsonString() ?? DBNull.Value });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>When the job last started, on any replica; null if it never ran.</summary>
    public async Task<DateTimeOffset?> LastStartAsync(string job, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT max(started_at) FROM job_runs WHERE job_name = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = job });
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime started ? new DateTimeOffset(started, TimeSpan.Zero) : null;
    }

    /// <summary>The latest run of each of <paramref name="jobs"/> and the one running, if any.</summary>
    public async Task<Dictionary<string, (JobRunRecord? Last, JobRunRecord? Running)>> LatestAsync(IEnumerable<string> jobs, CancellationToken cancellationToken)
    {
        var names = jobs.ToArray();
        await using var batch = dataSource.CreateBatch();
        foreach (var status in new[] { "status <> 'running'", "status = 'running'" })
        {
            var command = new NpgsqlBatchCommand(
                $"SELECT DISTINCT ON (job_name) {Columns} FROM job_runs WHERE job_name = ANY($1) AND {status} ORDER BY job_name, started_at DESC, id DESC");
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = names });
            batch.BatchCommands.Add(command);
        }

        var latest = names.ToDictionary(n => n, _ => ((JobRunRecord?)null, (JobRunRecord?)null), StringComparer.Ordinal);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var run = Read(reader);
            latest[run.Job] = (run, null);
        }

        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var run = Read(reader);
            latest[run.Job] = (latest[run.Job].Item1, run);
        }

        return latest;
    }

    public async Task<JobRunRecord?> GetAsync(long id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM job_runs WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    internal static JobRunRecord Read(NpgsqlDataReader reader) => new(
        reader.GetInt64(0),
        reader.GetString(1),
        reader.GetFieldValue<DateTimeOffset>(2),
        reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3),
        reader.GetString(4),
        reader.IsDBNull(5) ? null : reader.GetString(5),
        reader.IsDBNull(6) ? null : MonitorJson.Element(reader.GetString(6)),
        reader.IsDBNull(7) ? null : reader.GetString(7));
}
