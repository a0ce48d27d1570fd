using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace CryptoPipeline.Monitor.Alerts;

/// <summary>One check of one subject of a rule: bad or good, and what was seen.</summary>
internal sealed record AlertObservation(string Subject, bool Bad, string Summary, JsonObject? Detail = null);

/// <summary>An alert raised or resolved, as logged, counted and sent to the webhook.</summary>
internal sealed record AlertEvent(
    string Event, long AlertId, string Rule, string Subject, string Severity, DateTimeOffset RaisedAt, DateTimeOffset? ResolvedAt, string Summary, JsonObject Detail)
{
    public const string Raised = "raised";
    public const string Resolved = "resolved";
}

/// <summary>
/// Turns checks into alert events. The streaks live in <c>alert_conditions</c> and the alerts in <c>alerts</c>,
/// both updated in one transaction under a per-rule lock, so monitors taking turns count together and a restart
/// forgets nothing. Events are logged, counted (<c>cryptopipeline.monitor.alerts.*</c>) and queued for the webhook
/// after the commit.
/// </summary>
internal sealed partial class AlertEvaluator(
    NpgsqlDataSource dataSource,
    IOptions<AlertOptions> options,
    AlertWebhook webhook,
    MonitorTelemetry telemetry,
    TimeProvider time,
    ILogger<AlertEvaluator> logger)
{
    // The two-key lock space, apart from the jobs' (JobRunner) by the first key.
    private const int LockNamespace = 0x414C_5254;

    /// <summary>
    /// Records <paramref name="observations"/> of <paramref name="rule"/>. With <paramref name="complete"/> they cover
    /// every subject the rule has now: a subject with a streak or an open alert that is not among them counts as good
    /// (it went away). Returns the events, already committed.
    /// </summary>
    public async Task<IReadOnlyList<AlertEvent>> ObserveAsync(
        string rule, IReadOnlyCollection<AlertObservation> observations, bool complete, CancellationToken cancellationToken)
    {
        var settings = options.Value.Rule(rule);
        if (!settings.Enabled)
        {
            return [];
        }

        var now = time.GetUtcNow();
        var severity = settings.Severity.ToString().ToLowerInvariant();
        var events = new List<AlertEvent>();
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await ExecuteAsync(connection, "SELECT pg_advisory_xact_lock($1, hashtext($2))", cancellationToken, LockNamespace, rule);
            var streaks = await ReadStreaksAsync(connection, rule, cancellationToken);
            var open = await ReadOpenAsync(connection, rule, cancellationToken);

            var seen = observations.GroupBy(o => o.Subject, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
            if (complete)
            {
                foreach (var subject in streaks.Keys.Concat(open.Keys).Where(s => !seen.ContainsKey(s)).ToList())
                {
                    seen[subject] = new AlertObservation(subject, false, "no longer observed");
                }
            }

            foreach (var observation in seen.Values)
            {
                var streak = streaks.GetValueOrDefault(observation.Subject).Observe(observation.Bad);
                var isOpen = open.TryGetValue(observation.Subject, out var alert);
                var detail = Detail(observation, streak);
                switch (AlertHysteresis.Decide(streak, isOpen, settings))
                {
                    case AlertTransition.Raise:
                        var id = await RaiseAsync(connection, rule, observation.Subject, severity, now, detail, cancellationToken);
                        events.Add(new AlertEvent(AlertEvent.Raised, id, rule, observation.Subject, severity, now, null, observation.Summary, detail));
                        isOpen = true;
                        break;
                    case AlertTransition.Resolve:
                        await ExecuteAsync(connection, "UPDATE alerts SET state = 'resolved', resolved_at = greatest($2, raised_at) WHERE id = $1", cancellationToken, alert.Id, now);
                        events.Add(new AlertEvent(AlertEvent.Resolved, alert.Id, rule, observation.Subject, alert.Severity, alert.RaisedAt, now, observation.Summary, detail));
                        isOpen = false;
                        break;
                    case AlertTransition.None when isOpen && observation.Bad:
                        // The open alert shows what the latest check saw.
                        await ExecuteAsync(connection, "UPDATE alerts SET detail = $2 WHERE id = $1", cancellationToken, alert.Id, detail);
                        break;
                }

                if (isOpen || streak.Bad > 0)
                {
                    await ExecuteAsync(
                        connection,
                        """
                        INSERT INTO alert_conditions (rule, subject, bad_streak, good_streak, observed_at) VALUES ($1, $2, $3, $4, $5)
                        ON CONFLICT (rule, subject) DO UPDATE SET
                            bad_streak = excluded.bad_streak, good_streak = excluded.good_streak, observed_at = excluded.observed_at
                        """,
                        cancellationToken, rule, observation.Subject, streak.Bad, streak.Good, now);
                }
                else if (streaks.ContainsKey(observation.Subject))
                {
                    await ExecuteAsync(connection, "DELETE FROM alert_conditions WHERE rule = $1 AND subject = $2", cancellationToken, rule, observation.Subject);
                }
            }

            await transaction.CommitAsync(cancellationToken);
        }

        foreach (var alertEvent in events)
        {
            Publish(alertEvent);
        }

        await RefreshOpenCountsAsync(cancellationToken);
        return events;
    }

    private void Publish(AlertEvent alertEvent)
    {
        if (alertEvent.Event == AlertEvent.Resolved)
        {
            LogResolved(alertEvent.Rule, alertEvent.Subject, alertEvent.AlertId, alertEvent.Summary);
        }
        else if (alertEvent.Severity == "critical")
        {
            LogRaisedCritical(alertEvent.Rule, alertEvent.Subject, alertEvent.AlertId, alertEvent.Summary);
        }
        else
        {
            LogRaised(alertEvent.Rule, alertEvent.Subject, alertEvent.Severity, alertEvent.AlertId, alertEvent.Summary);
        }

        telemetry.AlertEvents.Add(
            1,
            new KeyValuePair<string, object?>("rule", alertEvent.Rule),
            new KeyValuePair<string, object?>("severity", alertEvent.Severity),
            new KeyValuePair<string, object?>("event", alertEvent.Event));
        webhook.Enqueue(alertEvent);
    }

    private async Task RefreshOpenCountsAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT rule, severity, count(*) FROM alerts WHERE state = 'open' GROUP BY rule, severity");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var counts = new Dictionary<(string Rule, string Severity), long>();
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[(reader.GetString(0), reader.GetString(1))] = reader.GetInt64(2);
        }

        telemetry.PublishOpenAlerts(counts);
    }

    private static JsonObject Detail(AlertObservation observation, AlertStreak streak)
    {
        var detail = new JsonObject { ["summary"] = observation.Summary, ["badChecks"] = streak.Bad, ["goodChecks"] = streak.Good };
        if (observation.Detail is { } extra)
        {
            foreach (var (key, value) in extra)
            {
                detail[key] = value?.DeepClone();
            }
        }

        return detail;
    }

    private static async Task<long> RaiseAsync(
        NpgsqlConnection connection, string rule, string subject, string severity, DateTimeOffset now, JsonObject detail, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "INSERT INTO alerts (rule, subject, severity, state, raised_at, detail) VALUES ($1, $2, $3, 'open', $4, $5) RETURNING id", connection);
        AddParameters(command, rule, subject, severity, now, detail);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task<Dictionary<string, AlertStreak>> ReadStreaksAsync(NpgsqlConnection connection, string rule, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT subject, bad_streak, good_streak FROM alert_conditions WHERE rule = $1", connection);
        AddParameters(command, rule);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var streaks = new Dictionary<string, AlertStreak>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            streaks[reader.GetString(0)] = new AlertStreak(reader.GetInt32(1), reader.GetInt32(2));
        }

        return streaks;
    }

    private static async Task<Dictionary<string, OpenAlert>> ReadOpenAsync(NpgsqlConnection connection, string rule, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT subject, id, severity, raised_at FROM alerts WHERE rule = $1 AND state = 'open'", connection);
        AddParameters(command, rule);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var open = new Dictionary<string, OpenAlert>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            open[reader.GetString(0)] = new OpenAlert(reader.GetInt64(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3));
        }

        return open;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        AddParameters(command, values);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void AddParameters(NpgsqlCommand command, params object[] values)
    {
        foreach (var value in values)
        {
            command.Parameters.Add(value is JsonObject json
                ? new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = json.ToJsonString() }
                : new NpgsqlParameter { Value = value });
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert raised: {Rule} {Subject} ({Severity}, alert {AlertId}): {Summary}")]
    private partial void LogRaised(string rule, string subject, string severity, long alertId, string summary);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Alert raised: {Rule} {Subject} (critical, alert {AlertId}): {Summary}")]
    private partial void LogRaisedCritical(string rule, string subject, long alertId, string summary);

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert resolved: {Rule} {Subject} (alert {AlertId}): {Summary}")]
    private partial void LogResolved(string rule, string subject, long alertId, string summary);

    private readonly record struct OpenAlert(long Id, string Severity, DateTimeOffset RaisedAt);
}
