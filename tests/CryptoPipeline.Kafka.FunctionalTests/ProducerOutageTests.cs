using System.Collections.Concurrent;
using Confluent.Kafka;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Kafka.FunctionalTests;

/// <summary>Takes brokers down: these tests have a cluster of their own.</summary>
public sealed class ProducerOutageTests(EmbeddedKafkaFixture kafka) : IClassFixture<EmbeddedKafkaFixture>
{
    private const int Keys = 20;
    private const int Before = 1_000;
    private const int During = 2_000;

    [Fact]
    public async Task Producer_rides_out_broker_outage_without_loss()
    {
        var options = kafka.Options;
        var topic = kafka.CreateTopic("outage", partitions: 6);
        using var admin = new AdminClientBuilder(options.CreateAdminConfig()).Build();
        var leaders = admin.GetMetadata(topic, TestTraffic.Timeout).Topics.Single().Partitions.ToDictionary(p => p.PartitionId, p => p.Leader);
        using var producer = new ProducerBuilder<string, string>(options.CreateProducerConfig()).Build();

        var delivered = TestTraffic.ProduceAll(producer, topic, Enumerable.Range(0, Before).Select(n => TestTraffic.Numbered(n, Keys))).ToList();
        var partitionOfKey = delivered.GroupBy(r => r.Message.Key).ToDictionary(g => g.Key, g => g.Select(r => r.Partition.Value).Distinct().Single());

        // Leadership does not move off a mock broker that is down: its partitions' messages wait.
        var downBroker = leaders[partitionOfKey["k0"]];
        var during = Enumerable.Range(Before, During).Select(n => TestTraffic.Numbered(n, Keys)).ToList();
        var stuck = during.Count(m => leaders[partitionOfKey[m.Key]] == downBroker);
        Assert.True(stuck > 0);
        var reports = new ConcurrentQueue<DeliveryReport<string, string>>();
        kafka.Cluster.SetBrokerDown(downBroker);
        try
        {
            foreach (var message in during)
            {
                TestTraffic.Send(producer, topic, message, reports.Enqueue);
            }

            await Eventually.Until(
                () => reports.Count == During - stuck,
                TestTraffic.Timeout,
                $"the {During - stuck} messages for brokers still up to be delivered",
                TestContext.Current.CancellationToken);
            Assert.DoesNotContain(reports, r => leaders[r.Partition.Value] == downBroker);
        }
        finally
        {
            kafka.Cluster.SetBrokerUp(downBroker);
        }

        Assert.Equal(0, producer.Flush(TestTraffic.Timeout));
        delivered.AddRange(reports);
        Assert.All(delivered, r => Assert.Equal(ErrorCode.NoError, r.Error.Code));
        Assert.Equal(Before + During, delivered.Select(r => r.TopicPartitionOffset).Distinct().Count());

        using var reader = new ConsumerBuilder<string, string>(options.CreateConsumerConfig(EmbeddedKafkaFixture.UniqueName("reader"))).Build();
        reader.Assign(leaders.Keys.Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var consumed = TestTraffic.ConsumeExactly(reader, Before + During);
        Assert.Equal(Enumerable.Range(0, Before + During), consumed.Select(TestTraffic.Number).Order());
        TestTraffic.AssertOrderedPerKey(consumed);
        reader.Close();
    }
}
