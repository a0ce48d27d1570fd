using CryptoPipeline.Monitor.Alerts;
using Npgsql;

namespace CryptoPipeline.Monitor.Scheduling;

/// <summary>How an attempt to start a run went.</summary>
internal enum RunStartKind
{
    /// <summary>The run is recorded and under way.</summary>
    Started,

    /// <summary>A run of the job is under way on this or another monitor (the job's lock is held).</summary>
    Busy,

    /// <summary>Another monitor already ran this occurrence of the schedule.</summary>
    AlreadyRan,
}

/// <summary>The outcome of <see cref="JobRunner.StartAsync"/>; a started run carries its id and its completion.</summary>
internal sealed record RunStart(RunStartKind Kind, long RunId = 0, Task<JobResult>? Completion = null);

/// <summary>
/// Runs jobs so that one job never runs twice at once across all monitors on the database: a run holds the
/// PostgreSQL session lock <c>pg_try_advisory_lock(namespace, hashtext(job))</c> on a connection of its own from
/// start to finish, and a monitor that does not get the lock does not run. The run is recorded in <c>job_runs</c>
/// before the job starts and finished with its status, message and metrics; a run over its timeout is cancelled.
/// Every finished run feeds the <c>job-failed</c> alert rule.
/// </summary>
internal sealed partial class JobRunner(
    NpgsqlDataSource dataSource,
    JobRunStore runs,
    AlertEvaluator alerts,
    MonitorTelemetry telemetry,
    TimeProvider time,
    ILogger<JobRunner> logger)
{
    // The two-key lock space: apart from the one-key locks of the migrator and the processor.
    private const int LockNamespace = 0x4D4F_4E49;

    private static readonly TimeSpan HandOverWait = TimeSpan.FromSeconds(5);

    /// <summary>Recorded in <c>job_runs.host</c>.</summary>
    public static readonly string Host = Environment.MachineName;

    /// <summary>
    /// Starts a run of <paramref name="job"/> unless one is under way, or, for a scheduled run
    /// (<paramref name="occurrence"/> set), unless a run started at or after that occurrence already.
    /// </summary>
    public async Task<RunStart> StartAsync(ScheduledJob job, DateTimeOffset? occurrence, CancellationToken stoppingToken)
    {
        var connection = await dataSource.OpenConnectionAsync(stoppingToken);
        var locked = false;
        try
        {
            locked = await TryLockAsync(connection, job.Name, stoppingToken);
            if (!locked)
            {
                await connection.DisposeAsync();
                return new RunStart(RunStartKind.Busy);
            }

            if (occurrence is { } due && await JobRunStore.HasStartedSinceAsync(connection, job.Name, due, stoppingToken))
            {
                await ReleaseAsync(connection, job.Name);
                return new RunStart(RunStartKind.AlreadyRan);
            }

            var startedAt = time.GetUtcNow();
            if (await JobRunStore.AbandonRunningAsync(connection, job.Name, startedAt, stoppingToken) is > 0 and var abandoned)
            {
                LogAbandoned(job.Name, abandoned);
            }

            var runId = await JobRunStore.InsertRunningAsync(connection, job.Name, startedAt, Host, stoppingToken);
            return new RunStart(RunStartKind.Started, runId, RunAsync(job, new JobContext(runId, startedAt), connection, stoppingToken));
        }
        catch
        {
            if (locked)
            {
                await ReleaseAsync(connection, job.Name);
            }
            else
            {
                await connection.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>
    /// Takes the job's lock if it is free. A lock held while no run is recorded as running belongs to a run that is
    /// just starting or just finishing; that one is waited for, briefly.
    /// </summary>
    private static async Task<bool> TryLockAsync(NpgsqlConnection connection, string job, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("SELECT pg_try_advisory_lock($1, hashtext($2))") { Parameters = { new NpgsqlParameter<int> { TypedValue = LockNamespace }, new NpgsqlParameter<string> { TypedValue = job } } },
                new NpgsqlBatchCommand("SELECT EXISTS (SELECT 1 FROM job_runs WHERE job_name = $1 AND status = 'running')") { Parameters = { new NpgsqlParameter<string> { TypedValue = job } } },
            },
        };
        bool locked, running;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            locked = reader.GetBoolean(0);
            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            running = reader.GetBoolean(0);
        }

        if (locked || running)
        {
            return locked;
        }

        // A session lock taken inside a transaction outlives it; SET LOCAL bounds only this wait.
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await using var wait = new NpgsqlBatch(connection, transaction)
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand($"SET LOCAL lock_timeout = '{(int)HandOverWait.TotalMilliseconds}ms'"),
                    new NpgsqlBatchCommand("SELECT pg_advisory_lock($1, hashtext($2))") { Parameters = { new NpgsqlParameter<int> { TypedValue = LockNamespace }, new NpgsqlParameter<string> { TypedValue = job } } },
                },
            };
            await wait.ExecuteNonQueryAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return true;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            await transaction.RollbackAsync(cancellationToken);
            return false;
        }
    }

    private async Task<JobResult> RunAsync(ScheduledJob job, JobContext context, NpgsqlConnection lockConnection, CancellationToken stoppingToken)
    {
        // The caller (a trigger request) gets the run id back while the job works.
        await Task.Yield();
        try
        {
            var result = await ExecuteAsync(job, context, stoppingToken);

            // Before the run reads as finished, so whoever sees it finished also sees the alert it raised or resolved.
            await ObserveFailureAsync(job, context, result);
            var finishedAt = time.GetUtcNow();
            await runs.FinishAsync(context.RunId, finishedAt, result, CancellationToken.None);
            telemetry.RecordRun(job.Name, result.Status, finishedAt - context.StartedAt);
            if (result.Status == RunStatus.Failed)
            {
                LogFailed(job.Name, context.RunId, result.Message);
            }
            else
            {
                LogFinished(job.Name, context.RunId, result.Status, result.Message);
            }

            return result;
        }
        finally
        {
            await ReleaseAsync(lockConnection, job.Name);
        }
    }

    private async Task<JobResult> ExecuteAsync(ScheduledJob job, JobContext context, CancellationToken stoppingToken)
    {
        using var timeout = new CancellationTokenSource(job.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token);
        using var activity = telemetry.ActivitySource.StartActivity($"job {job.Name}");
        activity?.SetTag("cryptopipeline.job", job.Name);
        activity?.SetTag("cryptopipeline.job.run_id", context.RunId);
        try
        {
            var result = await job.Implementation.RunAsync(context, linked.Token);
            activity?.SetTag("cryptopipeline.job.status", result.Status);
            return result;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
        {
            return JobResult.Failed($"timed out after {job.Timeout} ({MonitorOptions.SectionName}:Jobs:{job.Name}:Timeout)");
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return JobResult.Failed("cancelled: the monitor stopped during the run");
        }
        catch (Exception e)
        {
            LogThrew(e, job.Name, context.RunId);
            activity?.AddException(e);
            return JobResult.Failed($"{e.GetType().Name}: {e.Message}");
        }
    }

    private async Task ObserveFailureAsync(ScheduledJob job, JobContext context, JobResult result)
    {
        try
        {
            await alerts.ObserveAsync(
                AlertRules.JobFailed,
                [new AlertObservation(job.Name, result.Status == RunStatus.Failed, $"run {context.RunId} {result.Status}: {result.Message}")],
                complete: false,
                CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            LogAlertFailed(e, job.Name);
        }
    }

    private async Task ReleaseAsync(NpgsqlConnection connection, string job)
    {
        // Explicitly: Npgsql resets a pooled session only when it is next used, so the lock would outlive the run.
        try
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock($1, hashtext($2))", connection);
            unlock.Parameters.Add(new NpgsqlParameter<int> { TypedValue = LockNamespace });
            unlock.Parameters.Add(new NpgsqlParameter<string> { TypedValue = job });
            await unlock.ExecuteScalarAsync(CancellationToken.None);
        }
        catch (NpgsqlException e)
        {
            // The session is gone, and its locks with it.
            LogUnlockFailed(job, e.Message);
        }
        finally
        {
            await connection.DisposeAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job} run {RunId} {Status}: {Message}")]
    private partial void LogFinished(string job, long runId, string status, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job} run {RunId} failed: {Message}")]
    private partial void LogFailed(string job, long runId, string message);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {Job} run {RunId} threw")]
    private partial void LogThrew(Exception exception, string job, long runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job}: closed {Count} run(s) left running by a monitor that stopped")]
    private partial void LogAbandoned(string job, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {Job}: could not evaluate the job-failed alert rule")]
    private partial void LogAlertFailed(Exception exception, string job);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job}: could not release its lock ({Error}); the closed session releases it")]
    private partial void LogUnlockFailed(string job, string error);
}
