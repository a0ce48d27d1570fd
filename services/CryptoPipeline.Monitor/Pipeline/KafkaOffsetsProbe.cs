using Confluent.Kafka;
using Confluent.Kafka.Admin;
using CryptoPipeline.Contracts;
using CryptoPipeline.Kafka;
using Microsoft.Extensions.Options;

namespace CryptoPipeline.Monitor.Pipeline;

/// <summary>A partition's offsets on the broker: the first message it still holds and the next one to be written.</summary>
internal sealed record BrokerOffsets(string Topic, int Partition, long Low, long High);

/// <summary>What the broker says: its cluster id, the offsets of the pipeline's topics, and the processor group's members.</summary>
internal sealed record KafkaReading(string ClusterId, IReadOnlyList<BrokerOffsets> Offsets, IReadOnlyList<string> MissingTopics, int? GroupMembers);

/// <summary>
/// Reads the pipeline's topics (<see cref="Topics.All"/>) through one admin client: cluster id, partitions, low and
/// high watermarks, and how many members the consumer group has. Brokers that cannot describe groups (librdkafka's
/// mock cluster) leave the member count unknown.
/// </summary>
internal sealed class KafkaOffsetsProbe(IOptions<KafkaOptions> kafka, IOptions<PipelineOptions> options) : IDisposable
{
    private readonly Lazy<IAdminClient> _admin = new(() => new AdminClientBuilder(kafka.Value.CreateAdminConfig()).Build());

    public async Task<KafkaReading> ReadAsync(CancellationToken cancellationToken)
    {
        var admin = _admin.Value;
        var timeout = options.Value.KafkaTimeout;
        var clusterId = await admin.GetClusterIdAsync(timeout).WaitAsync(cancellationToken);

        var (partitions, missing) = await DescribeAsync(admin, timeout, cancellationToken);
        var latest = await ListOffsetsAsync(admin, partitions, OffsetSpec.Latest(), timeout, cancellationToken);
        var earliest = await ListOffsetsAsync(admin, partitions, OffsetSpec.Earliest(), timeout, cancellationToken);
        var offsets = partitions
            .Select(p => new BrokerOffsets(p.Topic, p.Partition.Value, earliest[p], latest[p]))
            .OrderBy(o => o.Topic, StringComparer.Ordinal)
            .ThenBy(o => o.Partition)
            .ToList();
        return new KafkaReading(clusterId, offsets, missing, await GroupMembersAsync(admin, timeout, cancellationToken));
    }

    public void Dispose()
    {
        if (_admin.IsValueCreated)
        {
            _admin.Value.Dispose();
        }
    }

    private static async Task<(List<TopicPartition> Partitions, List<string> Missing)> DescribeAsync(IAdminClient admin, TimeSpan timeout, CancellationToken cancellationToken)
    {
        List<TopicDescription> descriptions;
        try
        {
            var described = await admin.DescribeTopicsAsync(TopicCollection.OfTopicNames(Topics.All), new DescribeTopicsOptions { RequestTimeout = timeout })
                .WaitAsync(cancellationToken);
            descriptions = described.TopicDescriptions;
        }
        catch (DescribeTopicsException e)
        {
            var failed = e.Results.TopicDescriptions.Where(d => d.Error.IsError && d.Error.Code != ErrorCode.UnknownTopicOrPart).ToList();
            if (failed.Count > 0)
            {
                throw new KafkaException(failed[0].Error);
            }

            descriptions = e.Results.TopicDescriptions;
        }

        var missing = descriptions.Where(d => d.Error.Code == ErrorCode.UnknownTopicOrPart).Select(d => d.Name).Order(StringComparer.Ordinal).ToList();
        var partitions = descriptions
            .Where(d => !d.Error.IsError)
            .SelectMany(d => d.Partitions.Select(p => new TopicPartition(d.Name, new Partition(p.Partition))))
            .ToList();
        return (partitions, missing);
    }

    private static async Task<Dictionary<TopicPartition, long>> ListOffsetsAsync(
        IAdminClient admin, List<TopicPartition> partitions, OffsetSpec spec, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (partitions.Count == 0)
        {
            return [];
        }

        var result = await admin.ListOffsetsAsync(
                partitions.Select(p => new TopicPartitionOffsetSpec { TopicPartition = p, OffsetSpec = spec }),
                new ListOffsetsOptions { RequestTimeout = timeout })
            .WaitAsync(cancellationToken);
        return result.ResultInfos.ToDictionary(r => r.TopicPartitionOffsetError.TopicPartition, r => r.TopicPartitionOffsetError.Offset.Value);
    }

    private async Task<int?> GroupMembersAsync(IAdminClient admin, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            var groups = await admin.DescribeConsumerGroupsAsync([options.Value.ConsumerGroup], new DescribeConsumerGroupsOptions { RequestTimeout = timeout })
                .WaitAsync(cancellationToken);
            return groups.ConsumerGroupDescriptions.Single().Members.Count;
        }
        catch (DescribeConsumerGroupsException)
        {
            // The broker cannot describe groups: the offsets alone tell whether the processor works.
            return null;
        }
    }
}
