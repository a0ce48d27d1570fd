using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using CryptoPipeline.EmbeddedKafka;
using CryptoPipeline.Kafka;

namespace CryptoPipeline.Benchmarks.Kafka;

/// <summary>
/// Produce and consume rates of the pipeline's client settings (<see cref="KafkaOptions"/>)
/// against the embedded cluster: an idempotent acks=all producer using Produce with a delivery
/// handler, then one consumer, then a group of two, each reading the whole topic.
/// </summary>
internal static class KafkaThroughput
{
    private const string Usage = """
        Usage: kafka [--messages N] [--brokers N] [--partitions N] [--size BYTES]
          --messages N    messages to produce and consume (default 100000)
          --brokers N     brokers in the embedded cluster (default 3)
          --partitions N  partitions of the topic (default 6)
          --size BYTES    value size of each message (default 200, about one trade as JSON)
        """;

    // The mock cluster keeps at most 5 MB or 100,000 messages per partition and drops the oldest
    // beyond that; a run must stay below both, or the consumers would wait for lost messages.
    private const double Mebibyte = 1024 * 1024;
    private const long PartitionByteLimit = 5 * (long)Mebibyte;
    private const long PartitionMessageLimit = 100_000;
    private const int RecordOverheadBytes = 24;
    private const int Keys = 1024;
    private static readonly TimeSpan PhaseTimeout = TimeSpan.FromMinutes(5);

    public static int Run(string[] args)
    {
        if (!Settings.TryParse(args, out var settings, out var problem))
        {
            (problem is null ? Console.Out : Console.Error).WriteLine(problem is null ? Usage : $"{problem}\n{Usage}");
            return problem is null ? 0 : 2;
        }

        using var cluster = new EmbeddedKafkaCluster(settings.Brokers);
        var topic = $"benchmark-{Guid.NewGuid():N}";
        cluster.CreateTopic(topic, settings.Partitions);
        // The mock cluster waits session timeout - 1 s in every rebalance of a non-empty group.
        var options = new KafkaOptions { BootstrapServers = cluster.BootstrapServers, ClientId = "benchmark", SessionTimeoutMs = 6_000 };

        Console.WriteLine(
            $"Kafka: {settings.Messages:N0} messages of {settings.Size:N0} B, {settings.Brokers} broker(s), " +
            $"{settings.Partitions} partition(s), librdkafka {Library.VersionString} mock cluster, {Environment.ProcessorCount} CPU(s)");
        Console.WriteLine($"{"phase",-38} {"msgs/s",12} {"MB/s",8} {"seconds",8}");

        var value = new byte[settings.Size];
        Array.Fill(value, (byte)'x');
        var keys = Enumerable.Range(0, Keys).Select(k => $"bench:SYMBOL{k:D4}").ToArray();
        var bytes = (long)settings.Messages * settings.Size + Enumerable.Range(0, settings.Messages).Sum(i => (long)keys[i % Keys].Length);

        Report("produce (idempotent, acks=all)", settings.Messages, bytes, Produce(options, topic, settings.Messages, keys, value));
        Report("consume (1 consumer)", settings.Messages, bytes, Consume(options, topic, settings, members: 1));
        Report("consume (group of 2)", settings.Messages, bytes, Consume(options, topic, settings, members: 2));
        return 0;
    }

    private static TimeSpan Produce(KafkaOptions options, string topic, int messages, string[] keys, byte[] value)
    {
        using var producer = new ProducerBuilder<string, byte[]>(options.CreateProducerConfig()).Build();
        long failed = 0;
        Error? firstError = null;
        void OnDelivery(DeliveryReport<string, byte[]> report)
        {
            if (report.Error.IsError && Interlocked.Increment(ref failed) == 1)
            {
                firstError = report.Error;
            }
        }

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < messages; i++)
        {
            var message = new Message<string, byte[]> { Key = keys[i % keys.Length], Value = value };
            while (true)
            {
                try
                {
                    producer.Produce(topic, message, OnDelivery);
                    break;
                }
                catch (ProduceException<string, byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(10));
                }
            }
        }

        var pending = producer.Flush(PhaseTimeout);
        clock.Stop();
        if (pending > 0 || failed > 0)
        {
            throw new InvalidOperationException($"{pending} message(s) undelivered and {failed} failed (first error: {firstError?.Reason ?? "none"}).");
        }

        return clock.Elapsed;
    }

    /// <summary>
    /// Time from the first message received to the last, across all members. Group joining is
    /// not counted: once every member holds partitions, each rewinds them to the beginning and
    /// the clock starts with the first message after that.
    /// </summary>
    private static TimeSpan Consume(KafkaOptions options, string topic, Settings settings, int members)
    {
        var group = $"benchmark-{Guid.NewGuid():N}";
        var held = new int[members];
        using var joined = new CountdownEvent(members);
        long received = 0;
        long first = 0;
        long last = 0;
        var deadline = Stopwatch.GetTimestamp() + (long)(PhaseTimeout.TotalSeconds * Stopwatch.Frequency);
        bool InTime() => Stopwatch.GetTimestamp() < deadline;
        bool GroupFormed() => held.Sum() == settings.Partitions && held.All(count => count > 0);

        void Member(int index)
        {
            using var consumer = new ConsumerBuilder<string, byte[]>(options.CreateConsumerConfig(group))
                .SetPartitionsAssignedHandler((_, added) => Interlocked.Add(ref held[index], added.Count))
                .SetPartitionsRevokedHandler((_, revoked) => Interlocked.Add(ref held[index], -revoked.Count))
                .SetPartitionsLostHandler((_, lost) => Interlocked.Add(ref held[index], -lost.Count))
                .Build();
            consumer.Subscribe(topic);
            while (!GroupFormed() && InTime())
            {
                consumer.Consume(TimeSpan.FromMilliseconds(100));
            }

            foreach (var partition in consumer.Assignment)
            {
                consumer.Seek(new TopicPartitionOffset(partition, Offset.Beginning));
            }

            joined.Signal();
            joined.Wait(PhaseTimeout);
            while (Interlocked.Read(ref received) < settings.Messages && InTime())
            {
                if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is null)
                {
                    continue;
                }

                var now = Stopwatch.GetTimestamp();
                Interlocked.CompareExchange(ref first, now, 0);
                if (Interlocked.Increment(ref received) == settings.Messages)
                {
                    last = now;
                }
            }

            consumer.Close();
        }

        var threads = Enumerable.Range(0, members).Select(index => new Thread(() => Member(index))).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        if (last == 0)
        {
            throw new InvalidOperationException(
                $"{members} consumer(s) received {received} of {settings.Messages} message(s) within {PhaseTimeout.TotalMinutes} minutes.");
        }

        return Stopwatch.GetElapsedTime(first, last);
    }

    private static void Report(string phase, int messages, long bytes, TimeSpan elapsed) =>
        Console.WriteLine(
            $"{phase,-38} {messages / elapsed.TotalSeconds,12:N0} {bytes / 1e6 / elapsed.TotalSeconds,8:N1} {elapsed.TotalSeconds,8:N2}");

    private sealed record Settings(int Messages, int Brokers, int Partitions, int Size)
    {
        public static bool TryParse(string[] args, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Settings? settings, out string? problem)
        {
            settings = null;
            problem = null;
            var values = new Dictionary<string, int>(StringComparer.Ordinal)
            {
                ["--messages"] = 100_000,
                ["--brokers"] = 3,
                ["--partitions"] = 6,
                ["--size"] = 200,
            };
            for (var i = 0; i < args.Length; i += 2)
            {
                if (args[i] is "--help" or "-h")
                {
                    return false;
                }

                if (!values.ContainsKey(args[i]))
                {
                    problem = $"Unknown option '{args[i]}'.";
                    return false;
                }

                if (i + 1 >= args.Length || !int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < 1)
                {
                    problem = $"{args[i]} needs a positive whole number, not '{(i + 1 < args.Length ? args[i + 1] : "")}'.";
                    return false;
                }

                values[args[i]] = value;
            }

            settings = new Settings(values["--messages"], values["--brokers"], values["--partitions"], values["--size"]);
            var perPartition = (long)Math.Ceiling(settings.Messages * 1.1 / settings.Partitions);
            var bytesPerPartition = perPartition * (settings.Size + RecordOverheadBytes + "bench:SYMBOL0000".Length);
            if (perPartition > PartitionMessageLimit || bytesPerPartition > PartitionByteLimit)
            {
                problem =
                    $"{settings.Messages:N0} messages of {settings.Size:N0} B in {settings.Partitions} partition(s) is about {perPartition:N0} messages " +
                    $"and {bytesPerPartition / Mebibyte:N1} MiB per partition; the embedded cluster keeps only {PartitionMessageLimit:N0} messages or " +
                    $"{PartitionByteLimit / Mebibyte:N0} MiB per partition. Use more --partitions, fewer --messages or a smaller --size.";
                settings = null;
                return false;
            }

            return true;
        }
    }
}
