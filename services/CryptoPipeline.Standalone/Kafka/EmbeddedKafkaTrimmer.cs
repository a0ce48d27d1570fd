using Confluent.Kafka;
using CryptoPipeline.Contracts;
using CryptoPipeline.Kafka;
using CryptoPipeline.Processor;
using CryptoPipeline.Standalone.EmbeddedDefaults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CryptoPipeline.Standalone.Kafka;

/// <summary>
/// Keeps the embedded Kafka cluster cheap over a long run. The mock broker finds a fetched offset by walking the
/// partition's record batches from the oldest, so its CPU use grows with what it holds (up to 100,000 messages per
/// partition). Every <see cref="StandaloneOptions.KafkaTrimInterval"/> this deletes the records the processor has
/// committed to PostgreSQL, keeping the newest <see cref="StandaloneOptions.KafkaKeepMessages"/> of each partition for
/// tools attached to the cluster. Records the processor has not committed are never deleted.
/// </summary>
internal sealed partial class EmbeddedKafkaTrimmer(
    EmbeddedDefaults.EmbeddedDefaults defaults,
    StandaloneOptions options,
    IOptions<KafkaOptions> kafka,
    IOptions<ProcessorOptions> processor,
    NpgsqlDataSource database,
    TimeProvider time,
    ILogger<EmbeddedKafkaTrimmer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var cluster = defaults.Kafka ?? throw new InvalidOperationException("The embedded Kafka cluster is not running.");
        using var admin = new AdminClientBuilder(kafka.Value.CreateAdminConfig()).Build();
        string? clusterId = null;
        using var timer = new PeriodicTimer(options.KafkaTrimInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                clusterId ??= await admin.GetClusterIdAsync(TimeSpan.FromSeconds(10)).WaitAsync(stoppingToken);
                var offsets = await admin.ReadOffsetsAsync(Topics.Data, TimeSpan.FromSeconds(10), stoppingToken);
                var committed = await ProcessorOffsets.ReadAsync(database, clusterId, processor.Value.ConsumerGroup, stoppingToken);
                long deleted = 0;
                foreach (var partition in offsets.Partitions)
                {
                    if (!committed.TryGetValue((partition.Topic, partition.Partition), out var next))
                    {
                        continue;
                    }

                    var before = Math.Min(next, partition.High - options.KafkaKeepMessages);
                    if (before > partition.Low)
                    {
                        cluster.DeleteRecords(partition.Topic, partition.Partition, before);
                        deleted += before - partition.Low;
                    }
                }

                LogTrimmed(deleted);
            }
            catch (Exception e) when (e is KafkaException or NpgsqlException or InvalidOperationException or TimeoutException)
            {
                LogFailed(e.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Deleted {Count} committed message(s) from the embedded Kafka cluster.")]
    private partial void LogTrimmed(long count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete committed messages from the embedded Kafka cluster; trying again later: {Error}")]
    private partial void LogFailed(string error);
}
