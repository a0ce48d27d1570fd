using System.Text.Json.Nodes;
using CryptoPipeline.Database;
using CryptoPipeline.Monitor.Scheduling;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CryptoPipeline.Monitor.Maintenance;

/// <summary>
/// The hourly housekeeping: rebuilds the hourly rollups whose minutes changed after they were rolled up (or that have
/// none yet), creates the raw trade partitions ahead, drops those past retention, and prunes the monitor's own
/// history. Each step runs in its own transaction; one failing does not stop the others, and the run fails naming it.
/// </summary>
internal sealed class MaintenanceJob(NpgsqlDataSource dataSource, IOptions<MaintenanceOptions> options) : IMonitorJob
{

    // Hours that have minutes but no hour row, minutes written after the hour row, or have ended without being final.
    private const string StaleHoursSql = """
        SELECT min(date_trunc('hour', m.window_start, 'UTC'))
        FROM trades_1min_agg m
        LEFT JOIN trades_1h_agg h ON h.exchange = m.exchange AND h.symbol = m.symbol
                                 AND h.window_start = date_trunc('hour', m.window_start, 'UTC')
        WHERE m.window_start >= $1
          AND (h.window_start IS NULL OR m.updated_at > h.updated_at OR (NOT h.is_final AND h.window_end <= now()))
        """;

    private const string PruneHistorySql = """
        WITH runs AS (DELETE FROM job_runs WHERE finished_at < $1 RETURNING 1),
             alerts AS (DELETE FROM alerts WHERE state = 'resolved' AND resolved_at < $1 RETURNING 1),
             repairs AS (DELETE FROM ingestion_gap_repairs r USING ingestion_gaps g
                         WHERE g.id = r.gap_id AND g.status <> 'open' AND r.last_requested_at < $1 RETURNING 1)
        SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM alerts), (SELECT count(*) FROM repairs)
        """;

    public JobDeclaration Declaration => JobDeclarations.Maintenance;

    public async Task<JobResult> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = context.StartedAt;
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var metrics = new JsonObject();
        var done = new List<string>();
        var failed = new List<string>();

        async Task Step(string name, Func<NpgsqlConnection, Task<string>> step)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                done.Add(await step(connection));
                await transaction.CommitAsync(cancellationToken);
            }
            catch (PostgresException e)
            {
                failed.Add($"{name}: {e.MessageText}");
            }
        }

        await Step("hourly rollups", async connection =>
        {
            await ScalarAsync<object>(connection, "SELECT pg_advisory_xact_lock($1)", cancellationToken, AdvisoryLocks.HourlyRollup);
            var from = await ScalarAsync<object>(connection, StaleHoursSql, cancellationToken, now - settings.RollupLookback) as DateTime?;
            var hours = from is { } start
                ? await ScalarAsync<int>(connection, "SELECT rollup_trades_1h($1, $2)", cancellationToken, new DateTimeOffset(start, TimeSpan.Zero), now.AddHours(1))
                : 0;
            metrics["rollupFrom"] = from is { } f ? new DateTimeOffset(f, TimeSpan.Zero) : null;
            metrics["hoursRolledUp"] = hours;
            return $"rolled up {hours} hour(s)";
        });

        await Step("raw trade partitions", async connection =>
        {
            var created = await ScalarAsync<int>(connection, "SELECT ensure_trade_partitions($1, $2)", cancellationToken, today, settings.PartitionDaysAhead + 1);
            metrics["partitionsCreated"] = created;
            return $"created {created} raw trade partition(s)";
        });

        await Step("raw trade retention", async connection =>
        {
            var dropped = await ScalarAsync<int>(
                connection, "SELECT drop_trade_partitions_before($1)", cancellationToken, today.AddDays(-settings.RawTradeRetentionDays));
            metrics["partitionsDropped"] = dropped;
            return $"dropped {dropped} raw trade partition(s) older than {settings.RawTradeRetentionDays} days";
        });

        await Step("history retention", async connection =>
        {
            await using var command = new NpgsqlCommand(PruneHistorySql, connection);
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now.AddDays(-settings.HistoryRetentionDays) });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var (runs, alerts, repairs) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
            metrics["jobRunsDeleted"] = runs;
            metrics["resolvedAlertsDeleted"] = alerts;
            metrics["gapRepairsDeleted"] = repairs;
            return $"deleted {runs} job run(s), {alerts} resolved alert(s) and {repairs} gap repair request(s) older than {settings.HistoryRetentionDays} days";
        });

        return failed.Count == 0
            ? JobResult.Succeeded(string.Join("; ", done), metrics)
            : JobResult.Failed($"failed: {string.Join("; ", failed)}" + (done.Count > 0 ? $". Done: {string.Join("; ", done)}" : ""), metrics);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
