using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using CryptoPipeline.Contracts;
using CryptoPipeline.Monitor.Alerts;
using CryptoPipeline.Monitor.Scheduling;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CryptoPipeline.Monitor.Pipeline;

/// <summary>
/// The monitor DAG of the original systems, and more: is the stream processor alive, how far behind Kafka is it per
/// partition, how fresh is every instrument, does PostgreSQL answer. The report goes to <c>monitor_pipeline_status</c>
/// (for <c>/health</c> and the status API), to the gauges, and through the stale-symbol, consumer-lag,
/// processor-down and kafka-unreachable alert rules.
/// </summary>
internal sealed partial class PipelineCheckJob(
    NpgsqlDataSource dataSource,
    KafkaOffsetsProbe kafka,
    PipelineStatusStore status,
    AlertEvaluator alerts,
    IOptions<PipelineOptions> options,
    IOptions<AlertOptions> alertOptions,
    MonitorTelemetry telemetry,
    ILogger<PipelineCheckJob> logger) : IMonitorJob
{
    private const int MaxListed = 10;

    private const string CommittedSql = "SELECT cluster_id, topic, partition, next_offset, updated_at FROM consumer_offsets WHERE consumer_group = $1";

    // current_prices has a row for every instrument the processor has written (trades, quotes and polled prices).
    private const string FreshnessSql = """
        SELECT p.exchange, p.symbol, coalesce(last.source, p.source), greatest(p.updated_at, last.updated_at), p.last_trade_time, last.window_start
        FROM current_prices p
        LEFT JOIN LATERAL (SELECT window_start, updated_at, source FROM trades_1min_agg t
                           WHERE t.exchange = p.exchange AND t.symbol = p.symbol
                           ORDER BY window_start DESC LIMIT 1) last ON true
        ORDER BY p.exchange, p.symbol
        """;

    private readonly ConcurrentDictionary<string, DateTimeOffset> _clustersSeen = new(StringComparer.Ordinal);

    public JobDeclaration Declaration => JobDeclarations.PipelineCheck;

    public async Task<JobResult> RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var now = context.StartedAt;
        var settings = options.Value;
        var rules = alertOptions.Value;

        var database = await PingAsync(cancellationToken);
        KafkaReading? reading = null;
        string? kafkaError = null;
        try
        {
            reading = await kafka.ReadAsync(cancellationToken);
        }
        catch (KafkaException e)
        {
            kafkaError = e.Message;
        }

        var committed = await ReadCommittedAsync(settings.ConsumerGroup, cancellationToken);
        var lag = reading is null ? [] : Lag(reading, committed);
        var deadLetters = reading is null
            ? []
            : reading.Offsets.Where(o => o.Topic.EndsWith(".dlq", StringComparison.Ordinal))
                .GroupBy(o => o.Topic, StringComparer.Ordinal)
                .Select(g => new DeadLetterDepth(g.Key, g.Sum(o => o.High - o.Low)))
                .ToList();
        var processor = Processor(settings, reading, lag, committed, now);
        var freshness = await ReadFreshnessAsync(rules.StaleSymbol, now, cancellationToken);

        var problems = new List<string>();
        if (processor.IsDown)
        {
            problems.Add($"processor {processor.State}: {processor.Detail}");
            LogProcessorDown(processor.ConsumerGroup, processor.State, processor.Detail);
        }

        if (kafkaError is not null)
        {
            problems.Add($"Kafka unreachable: {kafkaError}");
        }

        if (reading?.MissingTopics is [_, ..] missing)
        {
            problems.Add($"Kafka topics missing: {string.Join(", ", missing)}");
        }

        var topicLag = lag.GroupBy(l => l.Topic, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(l => l.Lag), StringComparer.Ordinal);
        foreach (var (topic, messages) in topicLag.Where(t => t.Value > rules.ConsumerLag.MaxLag))
        {
            problems.Add($"consumer group {settings.ConsumerGroup} is {messages} messages behind on {topic} (Monitor:Alerts:ConsumerLag:MaxLag {rules.ConsumerLag.MaxLag})");
        }

        var checkedInstruments = freshness.Where(f => f.State != InstrumentFreshness.Retired).ToList();
        var stale = checkedInstruments.Where(f => f.State == InstrumentFreshness.Stale).ToList();
        if (stale.Count > 0)
        {
            problems.Add(
                $"{stale.Count} of {checkedInstruments.Count} instruments stale: " +
                string.Join(", ", stale.Take(MaxListed).Select(f => $"{f.Exchange}:{f.Symbol} ({f.AgeSeconds:0} s)")) +
                (stale.Count > MaxListed ? ", …" : ""));
        }

        var health = processor.IsDown || kafkaError is not null ? PipelineReport.Unhealthy
            : problems.Count > 0 ? PipelineReport.Degraded
            : PipelineReport.Healthy;
        var report = new PipelineReport(
            now,
            health,
            problems,
            processor,
            new KafkaState(reading is not null, reading?.ClusterId, kafkaError, reading?.MissingTopics ?? []),
            lag,
            deadLetters,
            freshness,
            database);
        await status.SaveAsync(report, context.RunId, cancellationToken);
        telemetry.PublishReport(report);
        await ObserveAlertsAsync(report, topicLag, cancellationToken);

        var metrics = new JsonObject
        {
            ["status"] = health,
            ["processor"] = processor.State,
            ["messagesWaiting"] = processor.MessagesWaiting,
            ["kafkaReachable"] = reading is not null,
            ["instruments"] = checkedInstruments.Count,
            ["staleInstruments"] = stale.Count,
            ["deadLetters"] = deadLetters.Sum(d => d.Messages),
            ["databaseRoundTripMs"] = Math.Round(database.RoundTripMs, 3),
        };
        return JobResult.Succeeded($"pipeline {health}: {report.Summary}", metrics);
    }

    private async Task ObserveAlertsAsync(PipelineReport report, Dictionary<string, long> topicLag, CancellationToken cancellationToken)
    {
        var group = report.Processor.ConsumerGroup;
        await alerts.ObserveAsync(
            AlertRules.StaleSymbol,
            [
                .. report.Freshness.Where(f => f.State != InstrumentFreshness.Retired).Select(f => new AlertObservation(
                    $"{f.Exchange}:{f.Symbol}",
                    f.State == InstrumentFreshness.Stale,
                    $"{f.Exchange}:{f.Symbol} last written {f.AgeSeconds:0} s ago",
                    new JsonObject { ["ageSeconds"] = f.AgeSeconds, ["lastWriteAt"] = f.LastWriteAt, ["source"] = f.Source })),
            ],
            complete: true,
            cancellationToken);

        if (report.Kafka.Reachable)
        {
            var maxLag = alertOptions.Value.ConsumerLag.MaxLag;
            await alerts.ObserveAsync(
                AlertRules.ConsumerLag,
                [
                    .. topicLag.Select(t => new AlertObservation(
                        $"{group}/{t.Key}",
                        t.Value > maxLag,
                        $"consumer group {group} is {t.Value} messages behind on {t.Key}",
                        new JsonObject
                        {
                            ["lag"] = t.Value,
                            ["maxLag"] = maxLag,
                            ["partitions"] = new JsonObject(report.Lag.Where(l => l.Topic == t.Key)
                                .Select(l => KeyValuePair.Create(l.Partition.ToString(CultureInfo.InvariantCulture), (JsonNode?)l.Lag))),
                        })),
                ],
                complete: true,
                cancellationToken);
        }

        if (report.Processor.IsKnown)
        {
            await alerts.ObserveAsync(
                AlertRules.ProcessorDown,
                [new AlertObservation(group, report.Processor.IsDown, $"processor {report.Processor.State}: {report.Processor.Detail}")],
                complete: false,
                cancellationToken);
        }

        await alerts.ObserveAsync(
            AlertRules.KafkaUnreachable,
            [new AlertObservation("kafka", !report.Kafka.Reachable, report.Kafka.Reachable ? $"Kafka cluster {report.Kafka.ClusterId} answers" : $"Kafka unreachable: {report.Kafka.Error}")],
            complete: false,
            cancellationToken);
    }

    private static List<PartitionLag> Lag(KafkaReading reading, List<Committed> committed)
    {
        var offsets = committed.Where(c => c.ClusterId == reading.ClusterId).ToDictionary(c => (c.Topic, c.Partition), c => c.NextOffset);
        return
        [
            .. reading.Offsets.Where(o => Topics.Data.Contains(o.Topic)).Select(o =>
            {
                long? next = offsets.TryGetValue((o.Topic, o.Partition), out var stored) ? stored : null;

                // Without a stored offset the processor starts at the oldest message (Processor:StartPosition Earliest);
                // messages the broker no longer holds cannot be processed, so they are not lag either.
                return new PartitionLag(o.Topic, o.Partition, o.Low, o.High, next, Math.Max(0, o.High - Math.Max(next ?? o.Low, o.Low)));
            }),
        ];
    }

    private ProcessorState Processor(PipelineOptions settings, KafkaReading? reading, List<PartitionLag> lag, List<Committed> committed, DateTimeOffset now)
    {
        // The processor commits offsets with every batch it writes: the latest commit on this cluster is its heartbeat.
        var lastCommit = committed.Where(c => reading is null || c.ClusterId == reading.ClusterId).Select(c => (DateTimeOffset?)c.UpdatedAt).Max();
        var since = lastCommit is { } at ? (now - at).TotalSeconds : (double?)null;
        var recent = since is { } seconds && seconds <= settings.HeartbeatTimeout.TotalSeconds;
        long? waiting = reading is null ? null : lag.Sum(l => l.Lag);
        var members = reading?.GroupMembers;
        var commitText = since is { } s ? $"last commit {s:0} s ago" : "no commit on this cluster yet";

        // A cluster nobody has committed on yet (a fresh start, a new cluster) gets one heartbeat timeout, counted from
        // when this monitor first saw it, before waiting messages mean a stalled processor.
        var firstSeen = reading is null ? now : _clustersSeen.GetOrAdd(reading.ClusterId, now);
        var starting = lastCommit is null && now - firstSeen <= settings.HeartbeatTimeout;

        var (state, detail) = members == 0 ? (ProcessorState.NotRunning, $"consumer group {settings.ConsumerGroup} has no members; {commitText}")
            : waiting > 0 && starting ? (ProcessorState.Starting, $"{waiting} messages wait and {commitText}; cluster first seen {(now - firstSeen).TotalSeconds:0} s ago (Monitor:Pipeline:HeartbeatTimeout {settings.HeartbeatTimeout})")
            : waiting > 0 && !recent ? (ProcessorState.Stalled, $"{waiting} messages wait and {commitText} (Monitor:Pipeline:HeartbeatTimeout {settings.HeartbeatTimeout})")
            : members > 0 || recent ? (ProcessorState.Running, members > 0 ? $"{members} member(s) in {settings.ConsumerGroup}; {commitText}" : commitText)
            : waiting is null ? (ProcessorState.Unknown, $"Kafka is unreachable and {commitText}")
            : (ProcessorState.Idle, $"no messages to consume; {commitText}");
        return new ProcessorState(settings.ConsumerGroup, state, detail, members, lastCommit, since, waiting);
    }

    private async Task<DatabaseState> PingAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await using var command = dataSource.CreateCommand("SELECT now()");
        var serverTime = (DateTime)(await command.ExecuteScalarAsync(cancellationToken))!;
        return new DatabaseState(clock.Elapsed.TotalMilliseconds, new DateTimeOffset(serverTime, TimeSpan.Zero));
    }

    private async Task<List<Committed>> ReadCommittedAsync(string group, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(CommittedSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = group });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<Committed>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new Committed(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt64(3), reader.GetFieldValue<DateTimeOffset>(4)));
        }

        return rows;
    }

    private async Task<List<InstrumentFreshness>> ReadFreshnessAsync(StaleSymbolRuleOptions rule, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(FreshnessSql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var instruments = new List<InstrumentFreshness>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var lastWrite = reader.GetFieldValue<DateTimeOffset>(3);
            var age = now - lastWrite;
            var state = age > rule.IgnoreAfter ? InstrumentFreshness.Retired
                : age > rule.StaleAfter ? InstrumentFreshness.Stale
                : InstrumentFreshness.Fresh;
            instruments.Add(new InstrumentFreshness(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetString(2),
                lastWrite,
                Math.Round(age.TotalSeconds, 3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4),
                reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                state));
        }

        return instruments;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "THE STREAM PROCESSOR IS NOT RUNNING (consumer group {ConsumerGroup}, {State}): {Detail}")]
    private partial void LogProcessorDown(string consumerGroup, string state, string detail);

    private sealed record Committed(string ClusterId, string Topic, int Partition, long NextOffset, DateTimeOffset UpdatedAt);
}
