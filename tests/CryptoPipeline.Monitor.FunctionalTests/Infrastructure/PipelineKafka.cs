using Confluent.Kafka;
using CryptoPipeline.Contracts;
using CryptoPipeline.EmbeddedKafka;
using CryptoPipeline.Kafka;

namespace CryptoPipeline.Monitor.FunctionalTests.Infrastructure;

/// <summary>An embedded Kafka cluster of its own with the pipeline's topics (<see cref="Topics.All"/>), three partitions each.</summary>
internal sealed class PipelineKafka : IDisposable
{
    public const int Partitions = 3;

    public PipelineKafka()
    {
        Cluster = new EmbeddedKafkaCluster();
        foreach (var topic in Topics.All)
        {
            Cluster.CreateTopic(topic, Partitions);
        }
    }

    public EmbeddedKafkaCluster Cluster { get; }

    public string BootstrapServers => Cluster.BootstrapServers;

    private KafkaOptions Options => new() { BootstrapServers = Cluster.BootstrapServers, ClientId = "tests" };

    public async Task<string> ClusterIdAsync()
    {
        using var admin = new AdminClientBuilder(Options.CreateAdminConfig()).Build();
        return await admin.GetClusterIdAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Writes <paramref name="count"/> messages to one partition and waits until Kafka has them all.</summary>
    public void Produce(string topic, int partition, int count)
    {
        using var producer = new ProducerBuilder<string, string>(Options.CreateProducerConfig()).Build();
        for (var i = 0; i < count; i++)
        {
            producer.Produce(new TopicPartition(topic, new Partition(partition)), new Message<string, string> { Key = "binance:BTCUSDT", Value = "{}" });
        }

        if (producer.Flush(TimeSpan.FromSeconds(30)) > 0)
        {
            throw new TimeoutException($"Kafka did not take {count} messages for {topic}/{partition} within 30 s.");
        }
    }

    public void Dispose() => Cluster.Dispose();
}
