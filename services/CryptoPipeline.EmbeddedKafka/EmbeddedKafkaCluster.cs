using System.Runtime.InteropServices;
using System.Text;
using Confluent.Kafka;
using CryptoPipeline.EmbeddedKafka.Native;

namespace CryptoPipeline.EmbeddedKafka;

/// <summary>
/// An in-process Kafka cluster: librdkafka's mock cluster (<c>rdkafka_mock.h</c>), serving the
/// real Kafka protocol on 127.0.0.1 ports to any client in any process (Confluent.Kafka, kcat, …).
/// </summary>
/// <remarks>
/// <para>
/// It is a test and development broker, not a durable one. Everything lives in memory and is
/// lost on <see cref="Dispose"/>. Each partition keeps at most 5 MB or 100,000 messages and then
/// drops its oldest messages (the log start offset moves), so a consumer that falls that far
/// behind silently misses messages: size test loads below that, and use a real Kafka
/// (<c>ConnectionStrings__kafka</c>) for anything that must be kept.
/// </para>
/// <para>
/// Supported: produce (idempotent and transactional), fetch, consumer groups with offset
/// commits, metadata, DescribeCluster/DescribeTopics (broker 1 is the controller). Not
/// supported: the topic admin API (CreateTopics, DeleteTopics) — create topics with
/// <see cref="CreateTopic"/>; a client that allows automatic topic creation (kcat, unlike the
/// pipeline's clients) gets a 4-partition topic. Brokers are numbered 1..<see cref="BrokerCount"/>.
/// </para>
/// <para>
/// Unlike Kafka, a rebalance of a group that has members always waits session.timeout.ms − 1 s
/// for them to rejoin: give test consumers a short session timeout.
/// </para>
/// <para>
/// All members are thread-safe. Disposal waits for calls in progress on other threads.
/// </para>
/// </remarks>
public sealed class EmbeddedKafkaCluster : IDisposable
{
    private const int ErrorBufferSize = 512;

    private readonly Lock _gate = new();
    private IntPtr _owner;
    private IntPtr _cluster;

    /// <summary>Starts a cluster of <paramref name="brokers"/> brokers on free loopback ports.</summary>
    public EmbeddedKafkaCluster(int brokers = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokers, 1);
        BrokerCount = brokers;
        _owner = CreateOwnerHandle();
        _cluster = MockClusterApi.rd_kafka_mock_cluster_new(_owner, brokers);
        if (_cluster == IntPtr.Zero)
        {
            MockClusterApi.rd_kafka_destroy(_owner);
            throw new InvalidOperationException($"librdkafka could not start a mock cluster of {brokers} broker(s); see its log on stderr.");
        }

        // The mock starts without a controller, and admin requests (DescribeCluster,
        // DescribeTopics) wait for one; a real cluster always has one.
        MockClusterApi.rd_kafka_mock_set_controller_id(_cluster, 1);
        BootstrapServers = Marshal.PtrToStringUTF8(MockClusterApi.rd_kafka_mock_cluster_bootstraps(_cluster))
            ?? throw new InvalidOperationException("librdkafka's mock cluster reported no bootstrap servers.");
    }

    /// <summary>Comma-separated <c>127.0.0.1:port</c> list, usable as <c>bootstrap.servers</c> or <c>ConnectionStrings__kafka</c>.</summary>
    public string BootstrapServers { get; }

    public int BrokerCount { get; }

    /// <summary>
    /// Creates a topic. A replication factor of -1 means min(3, brokers), the cluster's default
    /// for automatically created topics; partition leaders are spread over the brokers.
    /// </summary>
    /// <exception cref="InvalidOperationException">The topic exists already (<see cref="ErrorCode.TopicAlreadyExists"/>) or cannot be created.</exception>
    public void CreateTopic(string name, int partitions, int replicationFactor = -1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        if (replicationFactor is 0 or < -1)
        {
            throw new ArgumentOutOfRangeException(nameof(replicationFactor), replicationFactor, "Use -1 (cluster default) or a positive replication factor.");
        }

        var replicas = replicationFactor == -1 ? Math.Min(3, BrokerCount) : replicationFactor;
        lock (_gate)
        {
            ThrowOnError(MockClusterApi.rd_kafka_mock_topic_create(Live(), name, partitions, replicas), $"create topic '{name}' with {partitions} partition(s)");
        }
    }

    /// <summary>Closes the broker's connections and refuses new ones. Partition leadership does not move.</summary>
    public void SetBrokerDown(int brokerId)
    {
        CheckBroker(brokerId);
        lock (_gate)
        {
            ThrowOnError(MockClusterApi.rd_kafka_mock_broker_set_down(Live(), brokerId), $"take broker {brokerId} down");
        }
    }

    /// <summary>Lets the broker accept connections again, on the same port.</summary>
    public void SetBrokerUp(int brokerId)
    {
        CheckBroker(brokerId);
        lock (_gate)
        {
            ThrowOnError(MockClusterApi.rd_kafka_mock_broker_set_up(Live(), brokerId), $"bring broker {brokerId} up");
        }
    }

    /// <summary>Delays every response of the broker by <paramref name="roundTrip"/> (zero removes the delay).</summary>
    public void SetBrokerRoundTrip(int brokerId, TimeSpan roundTrip)
    {
        CheckBroker(brokerId);
        ArgumentOutOfRangeException.ThrowIfLessThan(roundTrip, TimeSpan.Zero);
        var milliseconds = checked((int)roundTrip.TotalMilliseconds);
        lock (_gate)
        {
            ThrowOnError(MockClusterApi.rd_kafka_mock_broker_set_rtt(Live(), brokerId, milliseconds), $"set the round trip of broker {brokerId} to {milliseconds} ms");
        }
    }

    /// <summary>
    /// Makes the next requests of type <paramref name="apiKey"/>, to any broker, fail with
    /// <paramref name="errors"/>: one error per request, in order.
    /// </summary>
    public unsafe void PushRequestErrors(KafkaApiKey apiKey, params ErrorCode[] errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var codes = Array.ConvertAll(errors, e => (int)e);
        lock (_gate)
        {
            fixed (int* first = codes)
            {
                MockClusterApi.rd_kafka_mock_push_request_errors_array(Live(), (short)apiKey, (nuint)codes.Length, first);
            }
        }
    }

    /// <summary>Drops the errors still pushed for <paramref name="apiKey"/>.</summary>
    public void ClearRequestErrors(KafkaApiKey apiKey)
    {
        lock (_gate)
        {
            MockClusterApi.rd_kafka_mock_clear_request_errors(Live(), (short)apiKey);
        }
    }

    /// <summary>
    /// Makes metadata report <paramref name="error"/> for the topic (for example
    /// <see cref="ErrorCode.LeaderNotAvailable"/>); <see cref="ErrorCode.NoError"/> clears it.
    /// </summary>
    public void SetTopicError(string topic, ErrorCode error)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        lock (_gate)
        {
            MockClusterApi.rd_kafka_mock_topic_set_error(Live(), topic, (int)error);
        }
    }

    /// <summary>
    /// Deletes the partition's records before <paramref name="beforeOffset"/>, which becomes its low watermark (Kafka's
    /// DeleteRecords). The mock cluster finds a fetched offset by walking the partition's record batches from the
    /// oldest, so a long-running cluster whose consumed records are deleted stays cheap to fetch from.
    /// </summary>
    /// <exception cref="InvalidOperationException">The partition does not exist, or <paramref name="beforeOffset"/> is past its end.</exception>
    public void DeleteRecords(string topic, int partition, long beforeOffset)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        ArgumentOutOfRangeException.ThrowIfNegative(beforeOffset);
        lock (_gate)
        {
            ThrowOnError(MockClusterApi.rd_kafka_mock_partition_delete_records(Live(), topic, partition, beforeOffset), $"delete the records of {topic}/{partition} before offset {beforeOffset}");
        }
    }

    /// <summary>Makes <paramref name="brokerId"/> the coordinator of a consumer group (<paramref name="keyType"/> "group") or of a transactional id ("transaction").</summary>
    public void SetCoordinator(string key, int brokerId, string keyType = "group")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        CheckBroker(brokerId);
        if (keyType is not ("group" or "transaction"))
        {
            throw new ArgumentOutOfRangeException(nameof(keyType), keyType, "Use \"group\" or \"transaction\".");
        }

        lock (_gate)
        {
            ThrowOnError(MockClusterApi.rd_kafka_mock_coordinator_set(Live(), keyType, key, brokerId), $"make broker {brokerId} the {keyType} coordinator of '{key}'");
        }
    }

    /// <summary>
    /// How long a new consumer group waits for more members before its first assignment
    /// (Kafka's <c>group.initial.rebalance.delay.ms</c>; 3 s by default, as in Kafka).
    /// </summary>
    public void SetGroupInitialRebalanceDelay(TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        var milliseconds = checked((int)delay.TotalMilliseconds);
        lock (_gate)
        {
            MockClusterApi.rd_kafka_mock_group_initial_rebalance_delay_ms(Live(), milliseconds);
        }
    }

    /// <summary>Stops the brokers (clients see the connections close) and frees the cluster's memory.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_cluster == IntPtr.Zero)
            {
                return;
            }

            // The cluster belongs to its owner handle's bookkeeping: destroy it first.
            MockClusterApi.rd_kafka_mock_cluster_destroy(_cluster);
            MockClusterApi.rd_kafka_destroy(_owner);
            _cluster = IntPtr.Zero;
            _owner = IntPtr.Zero;
        }
    }

    // Callers hold _gate, so Dispose cannot free the cluster under a call in progress.
    private IntPtr Live()
    {
        ObjectDisposedException.ThrowIf(_cluster == IntPtr.Zero, this);
        return _cluster;
    }

    private void CheckBroker(int brokerId)
    {
        if (brokerId < 1 || brokerId > BrokerCount)
        {
            throw new ArgumentOutOfRangeException(nameof(brokerId), brokerId, $"Brokers are numbered 1 to {BrokerCount}.");
        }
    }

    private static void ThrowOnError(int error, string what)
    {
        if (error != 0)
        {
            var code = (ErrorCode)error;
            throw new InvalidOperationException($"The embedded Kafka cluster could not {what}: {code} ({new Error(code).Reason}).");
        }
    }

    // The mock cluster needs an rd_kafka_t for its bookkeeping; this one never talks to a broker.
    private static unsafe IntPtr CreateOwnerHandle()
    {
        var conf = MockClusterApi.rd_kafka_conf_new();
        var errors = stackalloc byte[ErrorBufferSize];
        // Warnings and errors only: the owner would otherwise log that it has no bootstrap servers.
        if (MockClusterApi.rd_kafka_conf_set(conf, "log_level", "4", errors, ErrorBufferSize) != MockClusterApi.ConfOk
            || MockClusterApi.rd_kafka_conf_set(conf, "client.id", "embedded-kafka-cluster", errors, ErrorBufferSize) != MockClusterApi.ConfOk)
        {
            MockClusterApi.rd_kafka_conf_destroy(conf);
            throw new InvalidOperationException($"librdkafka rejected the mock cluster's configuration: {Text(errors)}");
        }

        // rd_kafka_new takes ownership of conf only when it succeeds.
        var owner = MockClusterApi.rd_kafka_new(MockClusterApi.ProducerType, conf, errors, ErrorBufferSize);
        if (owner == IntPtr.Zero)
        {
            MockClusterApi.rd_kafka_conf_destroy(conf);
            throw new InvalidOperationException($"librdkafka could not create the mock cluster's owner handle: {Text(errors)}");
        }

        return owner;
    }

    private static unsafe string Text(byte* nulTerminated) =>
        Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(nulTerminated));
}
