using System.Text.Json.Serialization;

namespace CryptoPipeline.Monitor.Pipeline;

/// <summary>
/// What one pipeline check found (the Airflow monitor DAG's question, "is data still arriving?", and more).
/// <para><c>Status</c>: healthy, degraded (stale instruments, lag over the limit, missing topics) or unhealthy (processor
/// stalled or gone, Kafka unreachable). <c>Problems</c>: each one in a sentence; empty when healthy.</para>
/// </summary>
public sealed record PipelineReport(
    DateTimeOffset CheckedAt,
    string Status,
    IReadOnlyList<string> Problems,
    ProcessorState Processor,
    KafkaState Kafka,
    IReadOnlyList<PartitionLag> Lag,
    IReadOnlyList<DeadLetterDepth> DeadLetters,
    IReadOnlyList<InstrumentFreshness> Freshness,
    DatabaseState Database)
{
    public const string Healthy = "healthy";
    public const string Degraded = "degraded";
    public const string Unhealthy = "unhealthy";

    public string Summary => Problems.Count == 0 ? "all pipeline checks pass" : string.Join("; ", Problems);
}

/// <summary>
/// Whether the stream processor is alive, from Kafka's view of its consumer group (members, where the broker can
/// describe groups) and the offsets it commits to PostgreSQL with every batch (its heartbeat).
/// <para><c>State</c>: running, starting (messages wait on a cluster without commits, seen for less than the heartbeat
/// timeout), idle (nothing to consume), stalled (messages wait, nothing committed), not-running
/// (the group has no members) or unknown (Kafka unreachable and no recent commit).</para>
/// </summary>
public sealed record ProcessorState(
    string ConsumerGroup, string State, string Detail, int? Members, DateTimeOffset? LastCommitAt, double? SinceCommitSeconds, long? MessagesWaiting)
{
    public const string Running = "running";
    public const string Starting = "starting";
    public const string Idle = "idle";
    public const string Stalled = "stalled";
    public const string NotRunning = "not-running";
    public const string Unknown = "unknown";

    [JsonIgnore]
    public bool IsKnown => State != Unknown;

    [JsonIgnore]
    public bool IsDown => State is Stalled or NotRunning;
}

public sealed record KafkaState(bool Reachable, string? ClusterId, string? Error, IReadOnlyList<string> MissingTopics);

/// <summary>A consumed partition: the broker's offsets, the group's committed next offset (from PostgreSQL, for this cluster) and the lag between.</summary>
public sealed record PartitionLag(string Topic, int Partition, long LowWatermark, long HighWatermark, long? CommittedOffset, long Lag);

public sealed record DeadLetterDepth(string Topic, long Messages);

/// <summary>
/// How recent one instrument's data is. <c>LastWriteAt</c>: the latest write of its prices or candles; <c>State</c>:
/// fresh, stale (older than the stale-symbol rule's StaleAfter) or retired (older than its IgnoreAfter; not checked).
/// </summary>
public sealed record InstrumentFreshness(
    string Exchange, string Symbol, string Source, DateTimeOffset? LastWriteAt, double? AgeSeconds, DateTimeOffset? LastTradeTime, DateTimeOffset? LastCandle, string State)
{
    public const string Fresh = "fresh";
    public const string Stale = "stale";
    public const string Retired = "retired";
}

public sealed record DatabaseState(double RoundTripMs, DateTimeOffset ServerTime);
