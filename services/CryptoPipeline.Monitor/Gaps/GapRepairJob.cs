using System.Globalization;
using System.Text.Json.Nodes;
using CryptoPipeline.Monitor.Alerts;
using CryptoPipeline.Monitor.Scheduling;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CryptoPipeline.Monitor.Gaps;

/// <summary>
/// Asks Ingest's back-fill for gaps that stay open: every open gap older than <see cref="GapRepairOptions.RequestAfter"/>
/// gets a row in <c>ingestion_gap_repairs</c> (requested again every <see cref="GapRepairOptions.RetryEvery"/>, at most
/// <see cref="GapRepairOptions.MaxRequests"/> times), announced with <c>NOTIFY ingestion_gap_repair</c>. Ingest owns
/// the repair: it re-requests the missing trade ids over REST and marks the gap filled or unfillable. Instruments
/// with a gap open longer than the gap-open rule's <c>OpenFor</c> feed that alert.
/// </summary>
internal sealed partial class GapRepairJob(
    NpgsqlDataSource dataSource,
    AlertEvaluator alerts,
    IOptions<GapRepairOptions> options,
    IOptions<AlertOptions> alertOptions,
    ILogger<GapRepairJob> logger) : IMonitorJob
{
    /// <summary>The channel Ingest can LISTEN on; the payload is the number of gaps requested.</summary>
    public const string NotifyChannel = "ingestion_gap_repair";

    private const string RequestSql = """
        WITH due AS (
            SELECT g.id
            FROM ingestion_gaps g
            LEFT JOIN ingestion_gap_repairs r ON r.gap_id = g.id
            WHERE g.status = 'open' AND g.detected_at <= $2
              AND (r.gap_id IS NULL OR (r.requests < $3 AND r.last_requested_at <= $4))
        )
        INSERT INTO ingestion_gap_repairs AS r (gap_id, first_requested_at, last_requested_at, requests)
        SELECT id, $1, $1, 1 FROM due
        ON CONFLICT (gap_id) DO UPDATE SET last_requested_at = excluded.last_requested_at, requests = r.requests + 1
        RETURNING requests
        """;

    private const string OpenGapsSql = """
        SELECT g.exchange, g.symbol, g.id, g.first_missing_id, g.last_missing_id, g.detected_at, coalesce(r.requests, 0)
        FROM ingestion_gaps g
        LEFT JOIN ingestion_gap_repairs r ON r.gap_id = g.id
        WHERE g.status = 'open'
        ORDER BY g.exchange, g.symbol, g.detected_at
        """;

    public JobDeclaration Declaration => JobDeclarations.GapRepair;

    public async Task<JobResult> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = context.StartedAt;
        int requested, repeated;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            var rounds = new List<int>();
            await using (var request = new NpgsqlCommand(RequestSql, connection, transaction))
            {
                request.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
                request.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now - settings.RequestAfter });
                request.Parameters.Add(new NpgsqlParameter<int> { TypedValue = settings.MaxRequests });
                request.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now - settings.RetryEvery });
                await using var reader = await request.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    rounds.Add(reader.GetInt32(0));
                }
            }

            (requested, repeated) = (rounds.Count(r => r == 1), rounds.Count(r => r > 1));
            if (rounds.Count > 0)
            {
                // Delivered with the commit, and only then.
                await using var notify = new NpgsqlCommand("SELECT pg_notify($1, $2)", connection, transaction);
                notify.Parameters.Add(new NpgsqlParameter<string> { TypedValue = NotifyChannel });
                notify.Parameters.Add(new NpgsqlParameter<string> { TypedValue = rounds.Count.ToString(CultureInfo.InvariantCulture) });
                await notify.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        var open = await ReadOpenGapsAsync(cancellationToken);
        var rule = alertOptions.Value.GapOpen;
        var longOpen = open.Where(g => now - g.DetectedAt > rule.OpenFor).ToList();
        await alerts.ObserveAsync(
            AlertRules.GapOpen,
            [
                .. open.GroupBy(g => $"{g.Exchange}:{g.Symbol}", StringComparer.Ordinal).Select(instrument =>
                {
                    var old = instrument.Where(g => now - g.DetectedAt > rule.OpenFor).ToList();
                    return new AlertObservation(
                        instrument.Key,
                        old.Count > 0,
                        old.Count == 0
                            ? $"{instrument.Key} has {instrument.Count()} recent open gap(s)"
                            : $"{instrument.Key} has {old.Count} gap(s) open for more than {rule.OpenFor}, {old.Sum(g => g.Missing)} trade id(s) missing",
                        new JsonObject
                        {
                            ["gaps"] = new JsonArray([.. old.Take(20).Select(g => (JsonNode?)new JsonObject
                            {
                                ["id"] = g.Id,
                                ["firstMissingId"] = g.FirstMissingId,
                                ["lastMissingId"] = g.LastMissingId,
                                ["detectedAt"] = g.DetectedAt,
                                ["repairRequests"] = g.Requests,
                            })]),
                        });
                }),
            ],
            complete: true,
            cancellationToken);

        var exhausted = open.Count(g => g.Requests >= settings.MaxRequests);
        if (requested + repeated > 0)
        {
            LogRequested(requested, repeated);
        }

        var metrics = new JsonObject
        {
            ["openGaps"] = open.Count,
            ["requested"] = requested,
            ["requestedAgain"] = repeated,
            ["exhausted"] = exhausted,
            ["openTooLong"] = longOpen.Count,
        };
        return JobResult.Succeeded(
            $"{open.Count} open gap(s): requested repair of {requested} new and {repeated} again; {longOpen.Count} open longer than {rule.OpenFor}" +
            (exhausted > 0 ? $"; {exhausted} no longer requested (Monitor:GapRepair:MaxRequests {settings.MaxRequests})" : ""),
            metrics);
    }

    private async Task<List<OpenGap>> ReadOpenGapsAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(OpenGapsSql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var gaps = new List<OpenGap>();
        while (await reader.ReadAsync(cancellationToken))
        {
            gaps.Add(new OpenGap(
                reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4),
                reader.GetFieldValue<DateTimeOffset>(5), reader.GetInt32(6)));
        }

        return gaps;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Requested Ingest to repair {New} open gap(s), and {Again} again")]
    private partial void LogRequested(int @new, int again);

    private sealed record OpenGap(string Exchange, string Symbol, long Id, long FirstMissingId, long LastMissingId, DateTimeOffset DetectedAt, int Requests)
    {
        public long Missing => LastMissingId - FirstMissingId + 1;
    }
}
