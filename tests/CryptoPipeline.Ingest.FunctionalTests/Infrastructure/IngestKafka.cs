using Confluent.Kafka;
using CryptoPipeline.Contracts;
using CryptoPipeline.EmbeddedKafka;

namespace CryptoPipeline.Ingest.FunctionalTests.Infrastructure;

/// <summary>
/// An embedded Kafka cluster of three brokers with the pipeline's topics (the service writes to the fixed topic
/// names, so each test takes a cluster of its own; one starts in milliseconds). The mock cluster has no
/// CreateTopics API, so the topics are made here, as a real deployment's would already exist or be created.
/// </summary>
internal sealed class IngestKafka : IDisposable
{
    public const int Partitions = 6;
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public IngestKafka(bool createTopics = true)
    {
        Cluster = new EmbeddedKafkaCluster(3);
        if (createTopics)
        {
            CreateTopics();
        }
    }

    public EmbeddedKafkaCluster Cluster { get; }

    public string BootstrapServers => Cluster.BootstrapServers;

    public void CreateTopics()
    {
        foreach (var topic in Topics.All)
        {
            Cluster.CreateTopic(topic, Partitions);
        }
    }

    /// <summary>
    /// Reads <paramref name="topic"/> from the start until every partition has delivered its end-of-input marker
    /// and returns the data messages in partition order. Fails when the markers do not all come within the timeout.
    /// </summary>
    public List<ConsumeResult<string, byte[]>> ReadUntilEndOfInput(string topic)
    {
        using var consumer = CreateReader(topic);
        var data = new List<ConsumeResult<string, byte[]>>();
        var ended = new HashSet<int>();
        var deadline = DateTime.UtcNow + Timeout;
        while (ended.Count < Partitions)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{topic}: end-of-input markers from {ended.Count} of {Partitions} partitions after {Timeout.TotalSeconds} s ({data.Count} data messages).");
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is not { IsPartitionEOF: false } result)
            {
                continue;
            }

            if (IsEndOfInput(result))
            {
                Assert.True(ended.Add(result.Partition.Value), $"{topic}: partition {result.Partition.Value} delivered two end-of-input markers.");
            }
            else
            {
                Assert.DoesNotContain(result.Partition.Value, ended);
                data.Add(result);
            }
        }

        consumer.Close();
        return data;
    }

    /// <summary>
    /// Reads exactly <paramref name="count"/> data messages of <paramref name="topic"/> from the start, calling
    /// <paramref name="whileWaiting"/> (moving a test clock, say) whenever none is there.
    /// </summary>
    public List<ConsumeResult<string, byte[]>> ReadExactly(string topic, int count, Action? whileWaiting = null)
    {
        using var consumer = CreateReader(topic);
        var data = new List<ConsumeResult<string, byte[]>>();
        var deadline = DateTime.UtcNow + Timeout;
        while (data.Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{topic}: {data.Count} of {count} messages after {Timeout.TotalSeconds} s.");
            var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result is { IsPartitionEOF: false } && !IsEndOfInput(result))
            {
                data.Add(result);
            }
            else
            {
                whileWaiting?.Invoke();
            }
        }

        consumer.Close();
        return data;
    }

    /// <summary>
    /// Reads every data message of <paramref name="topic"/> there is, from the start to the end of each partition, in
    /// partition order: what a consumer would see once the producers have stopped.
    /// </summary>
    public List<ConsumeResult<string, byte[]>> ReadToEnd(string topic)
    {
        using var consumer = CreateReader(topic);
        var data = new List<ConsumeResult<string, byte[]>>();
        var ended = new HashSet<int>();
        var deadline = DateTime.UtcNow + Timeout;
        while (ended.Count < Partitions)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{topic}: the end of {ended.Count} of {Partitions} partitions after {Timeout.TotalSeconds} s.");
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is not { } result)
            {
                continue;
            }

            if (result.IsPartitionEOF)
            {
                ended.Add(result.Partition.Value);
            }
            else if (!IsEndOfInput(result))
            {
                data.Add(result);
            }
        }

        consumer.Close();
        return data;
    }

    public static bool IsEndOfInput(ConsumeResult<string, byte[]> result) =>
        result.Message.Headers.TryGetLastBytes(ControlMessages.KindHeader, out var kind)
        && kind.AsSpan().SequenceEqual("end-of-input"u8);

    public static Trade ParseTrade(ConsumeResult<string, byte[]> result) =>
        TradeJson.TryParse(result.Message.Value, out var trade, out var error) ? trade : throw new Xunit.Sdk.XunitException($"Not a trade message: {error}");

    public void Dispose() => Cluster.Dispose();

    private IConsumer<string, byte[]> CreateReader(string topic)
    {
        var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            GroupId = "test-reader-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            EnablePartitionEof = true,
        }).Build();
        consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        return consumer;
    }
}
