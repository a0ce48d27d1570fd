using Confluent.Kafka;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Kafka.FunctionalTests;

public sealed class ConsumerGroupTests(EmbeddedKafkaFixture kafka) : IClassFixture<EmbeddedKafkaFixture>
{
    private const int Partitions = 6;
    private const int Batch = 300;
    private const int Keys = 12;

    [Fact]
    public void Group_splits_partitions_hands_them_over_on_close_and_a_new_member_resumes_after_the_committed_offsets()
    {
        var options = kafka.Options;
        var topic = kafka.CreateTopic("group", Partitions);
        var group = EmbeddedKafkaFixture.UniqueName("group");
        using var producer = new ProducerBuilder<string, string>(options.CreateProducerConfig()).Build();
        var consumed = new List<ConsumeResult<string, string>>();

        using (var first = Join(options, group, topic))
        using (var second = Join(options, group, topic))
        {
            // Produce once the group is stable, so no partition moves with unsaved progress.
            PollUntil(
                [first, second], consumed,
                () => first.Assignment.Count == Partitions / 2 && second.Assignment.Count == Partitions / 2,
                "both members to hold half of the partitions");
            Assert.Empty(first.Assignment.Intersect(second.Assignment));
            TestTraffic.ProduceAll(producer, topic, Numbers(0, Batch));
            PollUntil([first, second], consumed, () => consumed.Count == Batch, "the first batch to be consumed by both members");
            AssertReadToTheEnd(first);
            AssertReadToTheEnd(second);

            CommitStored(first);
            CommitStored(second);
            first.Close();
            PollUntil([second], consumed, () => second.Assignment.Count == Partitions, "the remaining member to take over every partition");

            TestTraffic.ProduceAll(producer, topic, Numbers(Batch, Batch));
            PollUntil([second], consumed, () => consumed.Count == 2 * Batch, "the second batch to be consumed by the remaining member");
            CommitStored(second);

            var committed = second.Committed(second.Assignment, TestTraffic.Timeout);
            Assert.All(committed, c => Assert.Equal(second.QueryWatermarkOffsets(c.TopicPartition, TestTraffic.Timeout).High, c.Offset));
            second.Close();
        }

        Assert.Equal(Enumerable.Range(0, 2 * Batch), consumed.Select(TestTraffic.Number).Order());
        TestTraffic.AssertOrderedPerKey(consumed);

        TestTraffic.ProduceAll(producer, topic, Numbers(2 * Batch, Batch));
        using var newcomer = Join(options, group, topic);
        var resumed = TestTraffic.ConsumeExactly(newcomer, Batch);
        Assert.Equal(Enumerable.Range(2 * Batch, Batch), resumed.Select(TestTraffic.Number).Order());
        AssertReadToTheEnd(newcomer);
        newcomer.Close();
    }

    private static void AssertReadToTheEnd(IConsumer<string, string> member) =>
        Assert.All(member.Assignment, tp => Assert.Equal(member.QueryWatermarkOffsets(tp, TestTraffic.Timeout).High, member.Position(tp)));

    private static IEnumerable<Message<string, string>> Numbers(int start, int count) =>
        Enumerable.Range(start, count).Select(n => TestTraffic.Numbered(n, Keys));

    private static IConsumer<string, string> Join(KafkaOptions options, string group, string topic)
    {
        var consumer = new ConsumerBuilder<string, string>(options.CreateConsumerConfig(group)).Build();
        consumer.Subscribe(topic);
        return consumer;
    }

    // Rebalances run inside Consume, so one thread polling every member drives the whole group.
    private static void PollUntil(
        IReadOnlyList<IConsumer<string, string>> members, List<ConsumeResult<string, string>> consumed, Func<bool> done, string what)
    {
        var deadline = DateTime.UtcNow + TestTraffic.Timeout;
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting for {what}; consumed {consumed.Count}.");
            foreach (var member in members)
            {
                if (member.Consume(TimeSpan.FromMilliseconds(50)) is { } result)
                {
                    consumed.Add(result);
                    member.StoreOffset(result);
                }
            }
        }
    }

    private static void CommitStored(IConsumer<string, string> consumer)
    {
        try
        {
            consumer.Commit();
        }
        catch (KafkaException ex) when (ex.Error.Code == ErrorCode.Local_NoOffset)
        {
            // Nothing consumed since the last commit.
        }
    }
}
