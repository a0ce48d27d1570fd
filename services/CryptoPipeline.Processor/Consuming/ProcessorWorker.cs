using Confluent.Kafka;
using CryptoPipeline.Kafka;
using CryptoPipeline.Processor.Sink;
using CryptoPipeline.Processor.Telemetry;
using CryptoPipeline.Windowing;
using Microsoft.Extensions.Options;

namespace CryptoPipeline.Processor.Consuming;

/// <summary>
/// Hosts the processor: waits for Kafka (its cluster id names the stored offsets; missing topics are created),
/// then runs <see cref="StreamConsumer"/> on a thread of its own until the host stops.
/// </summary>
internal sealed partial class ProcessorWorker(
    IOptions<ProcessorOptions> options,
    IOptions<KafkaOptions> kafkaOptions,
    PostgresSink sink,
    ProcessorTelemetry telemetry,
    TimeProvider timeProvider,
    ILogger<ProcessorWorker> logger) : BackgroundService
{
    private static readonly TimeSpan KafkaRequestTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan DeadLetterDeliveryTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan FetchWaitMax = TimeSpan.FromMilliseconds(20);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var clusterId = await ConnectAsync(stoppingToken);

        // librdkafka's consumer wants one thread that polls it; rebalance callbacks run on it and block it.
        await Task.Factory.StartNew(
            () => Consume(clusterId, stoppingToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private void Consume(string clusterId, CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var kafka = kafkaOptions.Value;
        var consumerConfig = kafka.CreateConsumerConfig(settings.ConsumerGroup);

        // Offsets are read from PostgreSQL; Kafka's committed offsets are kept current in the background,
        // from offsets stored after each database commit, only for lag tooling.
        consumerConfig.EnableAutoCommit = true;

        // How long a broker may hold a fetch. Kafka answers as soon as it has a byte (fetch.min.bytes 1), so
        // this only paces the fetches of idle partitions; librdkafka's mock cluster (Standalone, tests) holds
        // every fetch this long, and with librdkafka's 500 ms default that alone made the end-to-end p50 0.4 s.
        consumerConfig.FetchWaitMaxMs = (int)FetchWaitMax.TotalMilliseconds;
        // A micro-batch is at most MaxBatchMessages (about 1 MB of trades); librdkafka's default prefetch of 64 MiB only
        // holds memory while the processor lags (pipeline-load: 240-260 MiB flat out). 16 MiB keeps the fetches ahead.
        consumerConfig.QueuedMaxMessagesKbytes = 16 * 1024;
        consumerConfig.AutoOffsetReset = settings.StartPosition == StartPosition.Latest ? AutoOffsetReset.Latest : AutoOffsetReset.Earliest;

        using var deadLetters = new DeadLetterPublisher(
            new ProducerBuilder<byte[]?, byte[]?>(kafka.CreateProducerConfig()).Build(), DeadLetterDeliveryTimeout);
        var processor = new BatchProcessor(
            new WindowingEngine(settings.ToWindowingOptions()), sink, deadLetters, telemetry, settings, timeProvider);
        using var consumer = new StreamConsumer(consumerConfig, clusterId, processor, sink, settings, telemetry, timeProvider, logger);
        consumer.Run(stoppingToken);
    }

    /// <summary>The Kafka cluster id, once Kafka answers and the topics exist; retried with backoff until then.</summary>
    private async Task<string> ConnectAsync(CancellationToken stoppingToken)
    {
        var kafka = kafkaOptions.Value;
        var delay = options.Value.FirstRetryDelay;
        using var admin = new AdminClientBuilder(kafka.CreateAdminConfig()).Build();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var clusterId = await admin.GetClusterIdAsync(KafkaRequestTimeout);
                var created = await admin.EnsureTopicsAsync(kafka, KafkaRequestTimeout);
                if (created.Count > 0)
                {
                    LogTopicsCreated(logger, string.Join(", ", created), kafka.Partitions);
                }

                return clusterId;
            }
            catch (Exception e) when (e is KafkaException or InvalidOperationException && !stoppingToken.IsCancellationRequested)
            {
                LogKafkaUnavailable(logger, kafka.BootstrapServers, attempt, e.Message, delay.TotalMilliseconds);
                telemetry.RetryFailed("connect");
            }

            await Task.Delay(delay, timeProvider, stoppingToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.Value.MaxRetryDelay.Ticks));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created Kafka topic(s) {Topics} with {Partitions} partition(s)")]
    private static partial void LogTopicsCreated(ILogger logger, string topics, int partitions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kafka at {BootstrapServers} is not usable yet (attempt {Attempt}: {Error}); retrying in {DelayMs} ms")]
    private static partial void LogKafkaUnavailable(ILogger logger, string bootstrapServers, int attempt, string error, double delayMs);
}
