using System.Collections.Concurrent;
using System.Text;
using Confluent.Kafka;
using CryptoPipeline.Contracts;
using CryptoPipeline.EmbeddedKafka;

namespace CryptoPipeline.Processor.FunctionalTests.Infrastructure;

/// <summary>
/// An embedded Kafka cluster with the pipeline's topics, and a producer that publishes what Ingest would:
/// normalized messages keyed <c>exchange:symbol</c>, and end-of-input marks on every partition.
/// </summary>
internal sealed class PipelineKafka : IDisposable
{
    private readonly IProducer<byte[]?, byte[]?> _producer;
    private readonly IConsumer<byte[]?, byte[]?> _watermarks;
    private readonly ConcurrentDictionary<TopicPartition, long> _nextOffsets = new();
    private readonly ConcurrentQueue<string> _errors = new();

    public PipelineKafka(int partitions = 3)
    {
        Partitions = partitions;
        Cluster = new EmbeddedKafkaCluster(1);

        // Members of a new group start together in these tests; Kafka's 3 s wait for more would only slow them.
        Cluster.SetGroupInitialRebalanceDelay(TimeSpan.FromMilliseconds(100));
        foreach (var topic in Topics.All)
        {
            Cluster.CreateTopic(topic, partitions);
        }

        _producer = new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig
        {
            BootstrapServers = Cluster.BootstrapServers,
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = 5,
        }).Build();
        _watermarks = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig { BootstrapServers = Cluster.BootstrapServers, GroupId = "watermarks" }).Build();
    }

    public EmbeddedKafkaCluster Cluster { get; }

    public string BootstrapServers => Cluster.BootstrapServers;

    public int Partitions { get; }

    /// <summary>Publishes trades, each with <paramref name="headers"/> (e.g. a <c>traceparent</c>) when given.</summary>
    public void Publish(IEnumerable<Trade> trades, Headers? headers = null)
    {
        foreach (var trade in trades)
        {
            Produce(Topics.RawTrades, trade.Key, TradeJson.Serialize(trade), headers);
        }

        Flush();
    }

    public void Publish(IEnumerable<Quote> quotes)
    {
        foreach (var quote in quotes)
        {
            Produce(Topics.Quotes, quote.Key, QuoteJson.Serialize(quote));
        }

        Flush();
    }

    public void Publish(IEnumerable<PriceTick> ticks)
    {
        foreach (var tick in ticks)
        {
            Produce(Topics.Prices, tick.Key, PriceTickJson.Serialize(tick));
        }

        Flush();
    }

    /// <summary>Publishes trades, quotes and price ticks in the given order.</summary>
    public void Publish(IEnumerable<object> messages)
    {
        foreach (var message in messages)
        {
            switch (message)
            {
                case Trade trade:
                    Produce(Topics.RawTrades, trade.Key, TradeJson.Serialize(trade));
                    break;
                case Quote quote:
                    Produce(Topics.Quotes, quote.Key, QuoteJson.Serialize(quote));
                    break;
                case PriceTick tick:
                    Produce(Topics.Prices, tick.Key, PriceTickJson.Serialize(tick));
                    break;
                default:
                    throw new ArgumentException($"{message.GetType().Name} is not a pipeline message.", nameof(messages));
            }
        }

        Flush();
    }

    /// <summary>Publishes raw bytes, as a broken producer would.</summary>
    public void PublishRaw(string topic, string key, byte[]? value, Headers? headers = null)
    {
        Produce(topic, key, value, headers);
        Flush();
    }

    /// <summary>Marks the end of a bounded input on every partition of <paramref name="topic"/>, as a replay does.</summary>
    public void PublishEndOfInput(string topic = Topics.RawTrades)
    {
        for (var partition = 0; partition < Partitions; partition++)
        {
            var headers = new Headers { { ControlMessages.KindHeader, Encoding.UTF8.GetBytes(ControlMessages.EndOfInput) } };
            _producer.Produce(new TopicPartition(topic, partition), new Message<byte[]?, byte[]?> { Headers = headers }, OnDelivered);
        }

        Flush();
    }

    /// <summary>The next offset of every partition something was published to: where a processor that consumed it all stands.</summary>
    public IReadOnlyDictionary<TopicPartition, long> EndOffsets => new Dictionary<TopicPartition, long>(_nextOffsets);

    /// <summary>Everything on a topic, e.g. a dead-letter topic.</summary>
    public List<ConsumeResult<byte[]?, byte[]?>> ReadAll(string topic, int expected, TimeSpan timeout)
    {
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            GroupId = "reader-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
        }).Build();
        consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var messages = new List<ConsumeResult<byte[]?, byte[]?>>();
        var deadline = DateTime.UtcNow + timeout;
        while (messages.Count < expected && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { } message)
            {
                messages.Add(message);
            }
        }

        consumer.Close();
        return messages;
    }

    public void Dispose()
    {
        _watermarks.Dispose();
        _producer.Dispose();
        Cluster.Dispose();
    }

    private void Produce(string topic, string key, byte[]? value, Headers? headers = null)
    {
        var message = new Message<byte[]?, byte[]?> { Key = Encoding.UTF8.GetBytes(key), Value = value, Headers = headers };
        while (true)
        {
            try
            {
                _producer.Produce(topic, message, OnDelivered);
                return;
            }
            catch (ProduceException<byte[]?, byte[]?> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                _producer.Poll(TimeSpan.FromMilliseconds(100));
            }
        }
    }

    private void OnDelivered(DeliveryReport<byte[]?, byte[]?> report)
    {
        if (report.Error.IsError)
        {
            _errors.Enqueue($"{report.TopicPartition}: {report.Error.Reason}");
            return;
        }

        _nextOffsets.AddOrUpdate(report.TopicPartition, report.Offset.Value + 1, (_, next) => Math.Max(next, report.Offset.Value + 1));
    }

    private void Flush()
    {
        if (_producer.Flush(TimeSpan.FromSeconds(30)) > 0)
        {
            throw new TimeoutException("The embedded cluster did not take the published messages within 30 s.");
        }

        if (!_errors.IsEmpty)
        {
            throw new InvalidOperationException("Publishing failed: " + string.Join("; ", _errors));
        }

        // The mock cluster silently drops the oldest messages of a partition beyond 5 MB or 100,000 messages.
        foreach (var partition in _nextOffsets.Keys)
        {
            var watermarks = _watermarks.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10));
            if (watermarks.Low.Value > 0)
            {
                throw new InvalidOperationException(
                    $"The embedded cluster dropped the first {watermarks.Low.Value} messages of {partition} (it keeps 5 MB or 100,000 per partition): publish less, or over more partitions.");
            }
        }
    }
}
