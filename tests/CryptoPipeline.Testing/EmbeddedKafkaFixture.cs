using CryptoPipeline.EmbeddedKafka;
using CryptoPipeline.Kafka;

namespace CryptoPipeline.Testing;

/// <summary>
/// One embedded Kafka cluster (three brokers) per test class or collection
/// (<c>IClassFixture&lt;EmbeddedKafkaFixture&gt;</c>, <c>ICollectionFixture&lt;…&gt;</c>).
/// Tests stay independent by creating their own topics and groups through <see cref="CreateTopic"/>
/// and <see cref="UniqueName"/>. Tests that inject faults should use a class fixture of their own,
/// since faults hit every test sharing the cluster.
/// </summary>
public sealed class EmbeddedKafkaFixture : IDisposable
{
    public const int Brokers = 3;

    public EmbeddedKafkaFixture()
    {
        Cluster = new EmbeddedKafkaCluster(Brokers);
        // Kafka waits 3 s for more members before a new group's first assignment; tests start
        // their consumers together and wait for the assignment they expect instead.
        Cluster.SetGroupInitialRebalanceDelay(TimeSpan.FromMilliseconds(100));
    }

    public EmbeddedKafkaCluster Cluster { get; }

    public string BootstrapServers => Cluster.BootstrapServers;

    /// <summary>
    /// Client settings for this cluster. The session timeout is Kafka's minimum: the mock cluster
    /// spends session timeout − 1 s in every rebalance, and a lost member is noticed quickly.
    /// </summary>
    public KafkaOptions Options => new()
    {
        BootstrapServers = Cluster.BootstrapServers,
        ClientId = "tests",
        SessionTimeoutMs = 6_000,
    };

    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    /// <summary>Creates a topic with a unique name and returns the name.</summary>
    public string CreateTopic(string prefix = "test", int partitions = 6)
    {
        var name = UniqueName(prefix);
        Cluster.CreateTopic(name, partitions);
        return name;
    }

    public void Dispose() => Cluster.Dispose();
}
