using System.Collections.Concurrent;
using System.Globalization;
using Confluent.Kafka;

namespace CryptoPipeline.Kafka.FunctionalTests;

/// <summary>Numbered, keyed test messages and the produce and consume loops the tests share.</summary>
internal static class TestTraffic
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Message <paramref name="number"/> goes to key <c>k{number % keys}</c>, so each key sees increasing numbers.</summary>
    public static Message<string, string> Numbered(int number, int keys) =>
        new() { Key = $"k{number % keys}", Value = number.ToString(CultureInfo.InvariantCulture) };

    public static int Number(ConsumeResult<string, string> result) =>
        int.Parse(result.Message.Value, CultureInfo.InvariantCulture);

    /// <summary>
    /// Produces with <c>Produce</c> and a delivery handler (as the services do), then waits for
    /// every delivery report. Returns the reports in the order they arrived.
    /// </summary>
    public static IReadOnlyList<DeliveryReport<string, string>> ProduceAll(
        IProducer<string, string> producer, string topic, IEnumerable<Message<string, string>> messages)
    {
        var reports = new ConcurrentQueue<DeliveryReport<string, string>>();
        var sent = 0;
        foreach (var message in messages)
        {
            Send(producer, topic, message, reports.Enqueue);
            sent++;
        }

        var pending = producer.Flush(Timeout);
        Assert.True(pending == 0, $"{pending} of {sent} message(s) still undelivered after {Timeout.TotalSeconds} s.");
        Assert.Equal(sent, reports.Count);
        return [.. reports];
    }

    public static void Send(IProducer<string, string> producer, string topic, Message<string, string> message, Action<DeliveryReport<string, string>> onDelivery)
    {
        while (true)
        {
            try
            {
                producer.Produce(topic, message, onDelivery);
                return;
            }
            catch (ProduceException<string, string> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
            {
                // The local queue drains as delivery reports are served.
                producer.Poll(TimeSpan.FromMilliseconds(100));
            }
        }
    }

    /// <summary>Consumes until <paramref name="count"/> messages arrived; fails after <see cref="Timeout"/>.</summary>
    public static List<ConsumeResult<string, string>> ConsumeExactly(IConsumer<string, string> consumer, int count)
    {
        var results = new List<ConsumeResult<string, string>>(count);
        var deadline = DateTime.UtcNow + Timeout;
        while (results.Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"Received {results.Count} of {count} message(s) in {Timeout.TotalSeconds} s.");
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false } result)
            {
                results.Add(result);
            }
        }

        return results;
    }

    /// <summary>Asserts that every key's messages arrived in increasing number order.</summary>
    public static void AssertOrderedPerKey(IEnumerable<ConsumeResult<string, string>> results)
    {
        foreach (var key in results.GroupBy(r => r.Message.Key))
        {
            var numbers = key.Select(Number).ToList();
            Assert.True(numbers.SequenceEqual(numbers.Order()), $"Key {key.Key} arrived out of order: {string.Join(",", numbers)}");
        }
    }
}
