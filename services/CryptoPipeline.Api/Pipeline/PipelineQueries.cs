using System.Text.Json;
using Npgsql;

namespace CryptoPipeline.Api;

/// <summary>
/// The pipeline's state as the tables show it, for people and the dashboard's pipeline panel.
/// <para>
/// <c>CheckedAt</c>: The database's clock when the status was read; every age is relative to it.
/// </para><para>
/// <c>Mode</c>: live, replay, simulated or backfill when every recently written instrument's latest data has that
/// source, mixed when they differ, none without data. Anything but live means the figures are not the market's
/// current ones.
/// </para><para>
/// <c>Sources</c>: The sources of the instruments that decide <paramref name="Mode"/>.
/// </para>
/// </summary>
public sealed record PipelineStatus(
    DateTimeOffset CheckedAt,
    string Mode,
    IReadOnlyList<string> Sources,
    IReadOnlyList<InstrumentFreshness> Freshness,
    IReadOnlyList<ConsumerProgress> Consumers,
    IReadOnlyList<JobRunRow> Jobs,
    IReadOnlyList<AlertRow> Alerts,
    IReadOnlyList<IngestionGapRow> Gaps);

/// <summary>
/// How recent one instrument's data is.
/// <para>
/// <c>AgeSeconds</c>: Seconds since the newest write of its candles or prices.
/// </para>
/// </summary>
public sealed record InstrumentFreshness(
    string Exchange,
    string Symbol,
    DateTimeOffset? LastCandle,
    bool? LastCandleFinal,
    DateTimeOffset? CandleUpdatedAt,
    DateTimeOffset? LastTradeTime,
    DateTimeOffset? QuoteTime,
    DateTimeOffset? PriceUpdatedAt,
    double? AgeSeconds,
    string Source);

/// <summary>
/// A Kafka partition's progress as the processor committed it with its candles. The message lag needs the broker's
/// end offsets, which the Api does not read; the event-time lag (how far the partition's latest trade time trails
/// the clock) and the time since the last commit show a stalled or late consumer all the same.
/// </summary>
public sealed record ConsumerProgress(
    string ClusterId,
    string ConsumerGroup,
    string Topic,
    int Partition,
    long NextOffset,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? MaxEventTime,
    double? EventTimeLagSeconds,
    double SinceCommitSeconds);

public sealed record JobRunRow(
    long Id, string JobName, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, string Status, string? Message, JsonElement? Metrics, string? Host);

public sealed record AlertRow(long Id, string Rule, string Subject, string Severity, DateTimeOffset RaisedAt, JsonElement? Detail);

public sealed record IngestionGapRow(
    long Id, string Exchange, string Symbol, long FirstMissingId, long LastMissingId, DateTimeOffset DetectedAt, string? Detail);

/// <summary>Reads <see cref="PipelineStatus"/> in one round trip.</summary>
internal sealed class PipelineQueries(NpgsqlDataSource dataSource)
{
    public const int RecentJobs = 20;

    /// <summary>Instruments whose newest write is this much older than the newest write of all do not decide the mode.</summary>
    public const int ActiveWindowMinutes = 15;
    public const int MaxListed = 100;

    private const string Freshness = MarketQueries.Instruments + """
        SELECT i.exchange, i.symbol, last.window_start, last.is_final, last.updated_at, p.last_trade_time, p.quote_time, p.updated_at,
               extract(epoch FROM now() - greatest(last.updated_at, p.updated_at))::float8,
               coalesce(last.source, p.source)
        FROM instruments i
        LEFT JOIN current_prices p ON p.exchange = i.exchange AND p.symbol = i.symbol
        LEFT JOIN LATERAL (SELECT window_start, is_final, updated_at, source FROM trades_1min_agg t
                           WHERE t.exchange = i.exchange AND t.symbol = i.symbol
                           ORDER BY window_start DESC LIMIT 1) last ON true
        ORDER BY i.exchange, i.symbol
        """;

    private const string Consumers = """
        SELECT cluster_id, consumer_group, topic, partition, next_offset, updated_at, max_event_time,
               extract(epoch FROM now() - max_event_time)::float8, extract(epoch FROM now() - updated_at)::float8
        FROM consumer_offsets
        ORDER BY consumer_group, topic, partition, updated_at DESC
        """;

    private static readonly string Jobs = $"""
        SELECT id, job_name, started_at, finished_at, status, message, metrics::text, host
        FROM job_runs ORDER BY started_at DESC, id DESC LIMIT {RecentJobs}
        """;

    private static readonly string Alerts = $"""
        SELECT id, rule, subject, severity, raised_at, detail::text
        FROM alerts WHERE state = 'open' ORDER BY raised_at DESC, id DESC LIMIT {MaxListed}
        """;

    private static readonly string Gaps = $"""
        SELECT id, exchange, symbol, first_missing_id, last_missing_id, detected_at, detail
        FROM ingestion_gaps WHERE status = 'open' ORDER BY detected_at DESC, id DESC LIMIT {MaxListed}
        """;

    public async Task<PipelineStatus> ReadAsync(CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT now()"));
        foreach (var sql in new[] { Freshness, Consumers, Jobs, Alerts, Gaps })
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(sql));
        }

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var checkedAt = reader.GetFieldValue<DateTimeOffset>(0);

        var freshness = await NextAsync(reader, r => new InstrumentFreshness(
            r.GetString(0), r.GetString(1), MarketQueries.Time(r, 2), r.IsDBNull(3) ? null : r.GetBoolean(3), MarketQueries.Time(r, 4),
            MarketQueries.Time(r, 5), MarketQueries.Time(r, 6), MarketQueries.Time(r, 7), r.IsDBNull(8) ? null : r.GetDouble(8), r.GetString(9)), cancellationToken);
        var consumers = await NextAsync(reader, r => new ConsumerProgress(
            r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt32(3), r.GetInt64(4), r.GetFieldValue<DateTimeOffset>(5),
            MarketQueries.Time(r, 6), r.IsDBNull(7) ? null : r.GetDouble(7), r.GetDouble(8)), cancellationToken);
        var jobs = await NextAsync(reader, r => new JobRunRow(
            r.GetInt64(0), r.GetString(1), r.GetFieldValue<DateTimeOffset>(2), MarketQueries.Time(r, 3), r.GetString(4),
            r.IsDBNull(5) ? null : r.GetString(5), Json(r, 6), r.IsDBNull(7) ? null : r.GetString(7)), cancellationToken);
        var alerts = await NextAsync(reader, r => new AlertRow(
            r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetFieldValue<DateTimeOffset>(4), Json(r, 5)), cancellationToken);
        var gaps = await NextAsync(reader, r => new IngestionGapRow(
            r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetInt64(4), r.GetFieldValue<DateTimeOffset>(5),
            r.IsDBNull(6) ? null : r.GetString(6)), cancellationToken);

        // Leftovers of an old replay must not keep a live pipeline "mixed": only instruments written recently count.
        var newest = freshness.Min(f => f.AgeSeconds);
        string[] sources =
        [
            .. freshness
                .Where(f => f.AgeSeconds is not { } age || newest is not { } min || age <= min + (ActiveWindowMinutes * 60))
                .Select(f => f.Source)
                .Distinct(StringComparer.Ordinal)
                .Order(StringComparer.Ordinal),
        ];
        var mode = sources switch
        {
            [] => "none",
            [var only] => only,
            _ => "mixed",
        };
        return new PipelineStatus(checkedAt, mode, sources, freshness, consumers, jobs, alerts, gaps);
    }

    private static async Task<List<T>> NextAsync<T>(NpgsqlDataReader reader, Func<NpgsqlDataReader, T> map, CancellationToken cancellationToken)
    {
        await reader.NextResultAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(map(reader));
        }

        return rows;
    }

    private static JsonElement? Json(NpgsqlDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal))
        {
            return null;
        }

        using var document = JsonDocument.Parse(reader.GetString(ordinal));
        return document.RootElement.Clone();
    }
}
