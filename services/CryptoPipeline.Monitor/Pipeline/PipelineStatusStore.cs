using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace CryptoPipeline.Monitor.Pipeline;

/// <summary>The latest <see cref="PipelineReport"/> in <c>monitor_pipeline_status</c>, shared by every monitor replica.</summary>
internal sealed class PipelineStatusStore(NpgsqlDataSource dataSource)
{
    public async Task SaveAsync(PipelineReport report, long runId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO monitor_pipeline_status (singleton, checked_at, run_id, status, summary, report) VALUES (true, $1, $2, $3, $4, $5)
            ON CONFLICT (singleton) DO UPDATE SET
                checked_at = excluded.checked_at, run_id = excluded.run_id, status = excluded.status,
                summary = excluded.summary, report = excluded.report
            """);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = report.CheckedAt });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = runId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = report.Status });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = report.Summary });
        command.Parameters.Add(new NpgsqlParameter
        {
            NpgsqlDbType = NpgsqlDbType.Jsonb,
            Value = JsonSerializer.Serialize(report, MonitorJsonContext.Default.PipelineReport),
        });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The latest report, or null when no pipeline check has run on this database.</summary>
    public async Task<PipelineReport?> LoadAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT report::text FROM monitor_pipeline_status");
        return await command.ExecuteScalarAsync(cancellationToken) is string json
            ? JsonSerializer.Deserialize(json, MonitorJsonContext.Default.PipelineReport)
            : null;
    }
}
