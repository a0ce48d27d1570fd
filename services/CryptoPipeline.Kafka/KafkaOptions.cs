using Confluent.Kafka;

namespace CryptoPipeline.Kafka;

/// <summary>
/// Kafka settings shared by every service: configuration section <c>Kafka</c>, plus the
/// bootstrap servers from the connection string <c>kafka</c> (DESIGN.md §2), and the client
/// configurations built from them (DESIGN.md §3).
/// </summary>
public sealed class KafkaOptions
{
    public const string SectionName = "Kafka";
    public const string ConnectionStringName = "kafka";

    /// <summary>Comma-separated <c>host:port</c> list; comes from <c>ConnectionStrings:kafka</c>.</summary>
    public string BootstrapServers { get; set; } = "";

    /// <summary>Names this process in broker logs and metrics; defaults to the application name.</summary>
    public string ClientId { get; set; } = "";

    /// <summary>Partition count of the topics created at start-up; the ceiling on consumer parallelism.</summary>
    public int Partitions { get; set; } = 6;

    /// <summary>Replication factor of the topics created at start-up; -1 takes the broker's default.</summary>
    public short ReplicationFactor { get; set; } = -1;

    /// <summary>How long the producer waits to fill a batch; a few milliseconds buy much larger batches.</summary>
    public int LingerMs { get; set; } = 5;

    /// <summary>How long a silent consumer keeps its partitions before the group moves them (Kafka's default 45 s).</summary>
    public int SessionTimeoutMs { get; set; } = 45_000;

    /// <summary>Idempotent producer with <c>acks=all</c>: retries never duplicate or reorder a partition's messages.</summary>
    public ProducerConfig CreateProducerConfig() => new()
    {
        BootstrapServers = BootstrapServers,
        ClientId = ClientId,
        EnableIdempotence = true,
        Acks = Acks.All,
        LingerMs = LingerMs,
        // Topics are created at start-up with the configured partition count; a typo in a topic
        // name must fail delivery, not create a one-partition topic on brokers that allow it.
        AllowAutoCreateTopics = false,
    };

    /// <summary>
    /// Consumer in <paramref name="groupId"/> whose offsets the application stores and commits
    /// itself (the processor keeps them in PostgreSQL with its results). With no committed
    /// offset it starts from the earliest message.
    /// </summary>
    public ConsumerConfig CreateConsumerConfig(string groupId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(groupId);
        return new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            ClientId = ClientId,
            GroupId = groupId,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            SessionTimeoutMs = SessionTimeoutMs,
            // Kafka's rule of thumb: at least three heartbeats per session timeout.
            HeartbeatIntervalMs = Math.Min(3_000, SessionTimeoutMs / 3),
            // A member joining or leaving moves only the partitions that must move; the others
            // keep their in-memory window state.
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
        };
    }

    public AdminClientConfig CreateAdminConfig() => new()
    {
        BootstrapServers = BootstrapServers,
        ClientId = ClientId,
        // Metadata lookups for missing topics must not create them with the broker's defaults.
        AllowAutoCreateTopics = false,
    };
}
