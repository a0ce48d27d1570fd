using Confluent.Kafka;
using CryptoPipeline.EmbeddedKafka;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Kafka.FunctionalTests;

public sealed class TopicAdminTests(EmbeddedKafkaFixture kafka) : IClassFixture<EmbeddedKafkaFixture>
{
    [Fact]
    public async Task Ensure_topics_from_several_services_at_once_keeps_existing_topics_as_they_are()
    {
        var topics = new[] { kafka.CreateTopic("kept", partitions: 2), kafka.CreateTopic("kept", partitions: 9) };
        using var admins = new DisposableList<IAdminClient>(
            Enumerable.Range(0, 4).Select(_ => new AdminClientBuilder(kafka.Options.CreateAdminConfig()).Build()));

        var created = await Task.WhenAll(admins.Select(a => a.EnsureTopicsAsync(topics, partitions: 6)));

        Assert.All(created, Assert.Empty);
        var metadata = admins[0].GetMetadata(TestTraffic.Timeout).Topics.ToDictionary(t => t.Topic, t => t.Partitions.Count);
        Assert.Equal(2, metadata[topics[0]]);
        Assert.Equal(9, metadata[topics[1]]);
    }

    [Fact]
    public async Task Ensure_topics_names_the_missing_topics_a_cluster_without_CreateTopics_cannot_create()
    {
        var existing = kafka.CreateTopic("present");
        var missing = EmbeddedKafkaFixture.UniqueName("absent");
        using var admin = new AdminClientBuilder(kafka.Options.CreateAdminConfig()).Build();

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => admin.EnsureTopicsAsync([existing, missing], partitions: 6));

        Assert.Contains(missing, failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(existing, failure.Message, StringComparison.Ordinal);
        Assert.Contains("CreateTopics", failure.Message, StringComparison.Ordinal);
        // The lookup must not have created the topic with the broker's defaults either.
        Assert.DoesNotContain(admin.GetMetadata(TestTraffic.Timeout).Topics, t => t.Topic == missing);
    }

    [Fact]
    public async Task Cluster_id_is_the_same_for_every_client_and_differs_between_clusters()
    {
        using var admin = new AdminClientBuilder(kafka.Options.CreateAdminConfig()).Build();
        using var otherAdmin = new AdminClientBuilder(kafka.Options.CreateAdminConfig()).Build();
        using var otherCluster = new EmbeddedKafkaCluster();
        using var otherClusterAdmin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = otherCluster.BootstrapServers }).Build();

        var id = await admin.GetClusterIdAsync();

        Assert.False(string.IsNullOrWhiteSpace(id));
        Assert.Equal(id, await otherAdmin.GetClusterIdAsync());
        Assert.NotEqual(id, await otherClusterAdmin.GetClusterIdAsync());
    }

    [Fact]
    public async Task Topic_offsets_show_each_partition_from_its_first_kept_record_and_name_missing_topics()
    {
        var topic = kafka.CreateTopic("offsets", partitions: 2);
        var missing = EmbeddedKafkaFixture.UniqueName("absent");
        using (var producer = new ProducerBuilder<string, string>(kafka.Options.CreateProducerConfig()).Build())
        {
            for (var i = 0; i < 10; i++)
            {
                producer.Produce(new TopicPartition(topic, new Partition(0)), new Message<string, string> { Key = "k", Value = i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            }

            producer.Flush(TestTraffic.Timeout);
        }

        kafka.Cluster.DeleteRecords(topic, 0, 4);
        using var admin = new AdminClientBuilder(kafka.Options.CreateAdminConfig()).Build();
        var offsets = await admin.ReadOffsetsAsync([topic, missing], TestTraffic.Timeout, TestContext.Current.CancellationToken);

        Assert.Equal([new BrokerOffsets(topic, 0, 4, 10), new BrokerOffsets(topic, 1, 0, 0)], offsets.Partitions);
        Assert.Equal([missing], offsets.MissingTopics);
        var beyond = Assert.Throws<InvalidOperationException>(() => kafka.Cluster.DeleteRecords(topic, 0, 11));
        Assert.Contains($"delete the records of {topic}/0 before offset 11", beyond.Message, StringComparison.Ordinal);
    }

    private sealed class DisposableList<T>(IEnumerable<T> items) : List<T>(items), IDisposable
        where T : IDisposable
    {
        public void Dispose() => ForEach(item => item.Dispose());
    }
}
