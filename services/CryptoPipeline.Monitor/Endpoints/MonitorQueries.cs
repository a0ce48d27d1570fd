using System.Text.Json;
using CryptoPipeline.Monitor.Scheduling;
using Npgsql;
using NpgsqlTypes;

namespace CryptoPipeline.Monitor.Endpoints;

/// <summary>An alert as stored in <c>alerts</c>; <c>Detail</c> holds the summary and what the latest bad check saw.</summary>
public sealed record AlertRecord(
    long Id, string Rule, string Subject, string Severity, string State, DateTimeOffset RaisedAt, DateTimeOffset? ResolvedAt, JsonElement? Detail);

/// <summary>One difference reconciliation recorded (<c>reconciliation_mismatches</c>).</summary>
public sealed record MismatchRecord(
    long Id, string Exchange, string Symbol, DateTimeOffset WindowStart, string Kind, string? Field, string? Ours, string? ExchangeValue);

/// <summary>The API's reads of <c>alerts</c> and <c>reconciliation_mismatches</c>.</summary>
internal sealed class MonitorQueries(NpgsqlDataSource dataSource)
{
    /// <summary>Job runs newest first, optionally of one job and one status, one page, and how many there are in all.</summary>
    public async Task<(List<JobRunRecord> Runs, long Total)> RunsAsync(string? job, string? status, int page, int pageSize, CancellationToken cancellationToken)
    {
        const string Filter = "($1::text IS NULL OR job_name = $1) AND ($2::text IS NULL OR status = $2)";
        return await PageAsync(
            $"SELECT {JobRunStore.Columns} FROM job_runs WHERE {Filter} ORDER BY started_at DESC, id DESC",
            $"SELECT count(*) FROM job_runs WHERE {Filter}",
            [Text(job), Text(status)],
            page,
            pageSize,
            JobRunStore.Read,
            cancellationToken);
    }

    /// <summary>Alerts newest first, optionally of one state (open, resolved) and one rule, one page, and how many there are in all.</summary>
    public async Task<(List<AlertRecord> Alerts, long Total)> AlertsAsync(string? state, string? rule, int page, int pageSize, CancellationToken cancellationToken)
    {
        const string Filter = "($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR rule = $2)";
        return await PageAsync(
            $"SELECT id, rule, subject, severity, state, raised_at, resolved_at, detail::text FROM alerts WHERE {Filter} ORDER BY raised_at DESC, id DESC",
            $"SELECT count(*) FROM alerts WHERE {Filter}",
            [Text(state), Text(rule)],
            page,
            pageSize,
            r => new AlertRecord(
                r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetFieldValue<DateTimeOffset>(5),
                r.IsDBNull(6) ? null : r.GetFieldValue<DateTimeOffset>(6), r.IsDBNull(7) ? null : MonitorJson.Element(r.GetString(7))),
            cancellationToken);
    }

    /// <summary>The mismatches of one reconciliation run in candle order, one page, and how many there are in all.</summary>
    public async Task<(List<MismatchRecord> Mismatches, long Total)> MismatchesAsync(long runId, int page, int pageSize, CancellationToken cancellationToken)
    {
        return await PageAsync(
            "SELECT id, exchange, symbol, window_start, kind, field, ours, exchange_value FROM reconciliation_mismatches WHERE run_id = $1 ORDER BY id",
            "SELECT count(*) FROM reconciliation_mismatches WHERE run_id = $1",
            [new NpgsqlParameter<long> { TypedValue = runId }],
            page,
            pageSize,
            r => new MismatchRecord(
                r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetFieldValue<DateTimeOffset>(3), r.GetString(4),
                r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7)),
            cancellationToken);
    }

    private async Task<(List<T> Rows, long Total)> PageAsync<T>(
        string rowsSql, string countSql, NpgsqlParameter[] filter, int page, int pageSize, Func<NpgsqlDataReader, T> map, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        var rows = new NpgsqlBatchCommand($"{rowsSql} LIMIT {pageSize} OFFSET {(long)(page - 1) * pageSize}");
        var count = new NpgsqlBatchCommand(countSql);
        foreach (var parameter in filter)
        {
            rows.Parameters.Add(parameter);
            count.Parameters.Add(parameter.Clone());
        }

        batch.BatchCommands.Add(rows);
        batch.BatchCommands.Add(count);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var result = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(map(reader));
        }

        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (result, reader.GetInt64(0));
    }

    private static NpgsqlParameter Text(string? value) => new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value };
}
