using System.Diagnostics;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using CryptoPipeline.EmbeddedKafka;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Kafka.FunctionalTests;

/// <summary>Injects cluster-wide faults: these tests have a cluster of their own.</summary>
public sealed class FaultInjectionTests(EmbeddedKafkaFixture kafka) : IClassFixture<EmbeddedKafkaFixture>
{
    [Fact]
    public void Producer_retries_transient_produce_errors_and_delivers_each_message_once()
    {
        var topic = kafka.CreateTopic("transient", partitions: 1);
        using var producer = new ProducerBuilder<string, string>(kafka.Options.CreateProducerConfig()).Build();
        // Connected and holding a producer id first, so the clock below measures retries only.
        TestTraffic.ProduceAll(producer, topic, [TestTraffic.Numbered(0, 1)]);

        kafka.Cluster.PushRequestErrors(KafkaApiKey.Produce, ErrorCode.NotEnoughReplicas, ErrorCode.NotLeaderForPartition, ErrorCode.NotEnoughReplicas);
        var clock = Stopwatch.StartNew();
        var reports = TestTraffic.ProduceAll(producer, topic, Enumerable.Range(1, 100).Select(n => TestTraffic.Numbered(n, 1)));
        clock.Stop();

        Assert.All(reports, r => Assert.Equal(ErrorCode.NoError, r.Error.Code));
        // Three rejected attempts cost at least three retry back-offs (retry.backoff.ms = 100, with jitter).
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(200), $"Delivered in {clock.ElapsedMilliseconds} ms: the injected errors were not retried.");
        using var reader = Reader(topic, partitions: 1);
        var consumed = TestTraffic.ConsumeExactly(reader, 101);
        Assert.Equal(Enumerable.Range(0, 101), consumed.Select(TestTraffic.Number));
        Assert.Equal(101, reader.QueryWatermarkOffsets(new TopicPartition(topic, 0), TestTraffic.Timeout).High.Value);
        reader.Close();
    }

    [Fact]
    public void Producer_reports_a_permanent_produce_error_to_the_delivery_handler()
    {
        var topic = kafka.CreateTopic("permanent", partitions: 1);
        using var producer = new ProducerBuilder<string, string>(kafka.Options.CreateProducerConfig()).Build();
        TestTraffic.ProduceAll(producer, topic, [TestTraffic.Numbered(0, 1)]);

        kafka.Cluster.PushRequestErrors(KafkaApiKey.Produce, ErrorCode.MsgSizeTooLarge);
        var rejected = TestTraffic.ProduceAll(producer, topic, [TestTraffic.Numbered(1, 1)]).Single();
        var accepted = TestTraffic.ProduceAll(producer, topic, [TestTraffic.Numbered(2, 1)]).Single();

        Assert.Equal(ErrorCode.MsgSizeTooLarge, rejected.Error.Code);
        Assert.Equal(ErrorCode.NoError, accepted.Error.Code);
    }

    [Fact]
    public void Producer_waits_out_a_slow_broker()
    {
        var topic = kafka.CreateTopic("slow", partitions: 1);
        using var admin = new AdminClientBuilder(kafka.Options.CreateAdminConfig()).Build();
        var leader = admin.GetMetadata(topic, TestTraffic.Timeout).Topics.Single().Partitions.Single().Leader;
        using var producer = new ProducerBuilder<string, string>(kafka.Options.CreateProducerConfig()).Build();
        TestTraffic.ProduceAll(producer, topic, [TestTraffic.Numbered(0, 1)]);

        var roundTrip = TimeSpan.FromMilliseconds(800);
        kafka.Cluster.SetBrokerRoundTrip(leader, roundTrip);
        try
        {
            var clock = Stopwatch.StartNew();
            var reports = TestTraffic.ProduceAll(producer, topic, Enumerable.Range(1, 10).Select(n => TestTraffic.Numbered(n, 1)));
            Assert.All(reports, r => Assert.Equal(ErrorCode.NoError, r.Error.Code));
            Assert.True(clock.Elapsed >= roundTrip, $"Delivered in {clock.ElapsedMilliseconds} ms despite a {roundTrip.TotalMilliseconds} ms round trip.");
        }
        finally
        {
            kafka.Cluster.SetBrokerRoundTrip(leader, TimeSpan.Zero);
        }
    }

    [Fact]
    public async Task Topic_error_shows_in_metadata_until_cleared()
    {
        var topic = kafka.CreateTopic("erroneous", partitions: 1);
        using var admin = new AdminClientBuilder(kafka.Options.CreateAdminConfig()).Build();

        kafka.Cluster.SetTopicError(topic, ErrorCode.TopicAuthorizationFailed);
        var failure = await Assert.ThrowsAsync<DescribeTopicsException>(() => admin.DescribeTopicsAsync(TopicCollection.OfTopicNames([topic])));
        Assert.Equal(ErrorCode.TopicAuthorizationFailed, failure.Results.TopicDescriptions.Single().Error.Code);

        kafka.Cluster.SetTopicError(topic, ErrorCode.NoError);
        var described = await admin.DescribeTopicsAsync(TopicCollection.OfTopicNames([topic]));
        Assert.Single(described.TopicDescriptions.Single().Partitions);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Group_coordinator_is_the_broker_it_was_set_to(int coordinator)
    {
        var topic = kafka.CreateTopic("coordinated", partitions: 1);
        var group = EmbeddedKafkaFixture.UniqueName("coordinated");
        kafka.Cluster.SetCoordinator(group, coordinator);
        var config = kafka.Options.CreateConsumerConfig(group);
        config.StatisticsIntervalMs = 100;
        JsonNode? statistics = null;
        using var consumer = new ConsumerBuilder<string, string>(config)
            .SetStatisticsHandler((_, json) => statistics = JsonNode.Parse(json))
            .Build();
        consumer.Subscribe(topic);

        // librdkafka's statistics list the brokers it knows and, as the logical broker
        // "GroupCoordinator", the address it found for the group's coordinator.
        string? Address(Func<JsonNode, bool> which) =>
            statistics?["brokers"]?.AsObject().Select(b => b.Value!).FirstOrDefault(which)?["nodename"]?.GetValue<string>();
        string? expected = null;
        string? actual = null;
        var deadline = DateTime.UtcNow + TestTraffic.Timeout;
        while (consumer.Assignment.Count == 0 || string.IsNullOrEmpty(expected) || string.IsNullOrEmpty(actual))
        {
            Assert.True(DateTime.UtcNow < deadline, "Timed out waiting for the consumer to join its group.");
            consumer.Consume(TimeSpan.FromMilliseconds(100));
            expected = Address(b => b["nodeid"]!.GetValue<int>() == coordinator);
            actual = Address(b => b["name"]!.GetValue<string>() == "GroupCoordinator");
        }

        Assert.Equal(expected, actual);
        consumer.Close();
    }

    private IConsumer<string, string> Reader(string topic, int partitions)
    {
        var reader = new ConsumerBuilder<string, string>(kafka.Options.CreateConsumerConfig(EmbeddedKafkaFixture.UniqueName("reader"))).Build();
        reader.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        return reader;
    }
}
