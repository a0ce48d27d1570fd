using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace CryptoPipeline.Kafka;

/// <summary>A partition's offsets on the broker: the first message it still holds and the next one to be written.</summary>
public sealed record BrokerOffsets(string Topic, int Partition, long Low, long High);

/// <summary>The offsets of the topics asked for, and which of them do not exist.</summary>
public sealed record TopicOffsets(IReadOnlyList<BrokerOffsets> Partitions, IReadOnlyList<string> MissingTopics);

/// <summary>Low and high watermarks of whole topics over the admin API (what consumer lag is measured against).</summary>
public static class KafkaTopicOffsets
{
    /// <summary>
    /// Every partition of <paramref name="topics"/> with its low and high watermark, ordered by topic and partition;
    /// topics that do not exist are listed in <see cref="TopicOffsets.MissingTopics"/> instead of failing the call.
    /// </summary>
    /// <exception cref="KafkaException">The broker could not describe a topic or list its offsets.</exception>
    public static async Task<TopicOffsets> ReadOffsetsAsync(this IAdminClient admin, IReadOnlyCollection<string> topics, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(admin);
        ArgumentNullException.ThrowIfNull(topics);
        var (partitions, missing) = await DescribeAsync(admin, topics, timeout, cancellationToken);
        var latest = await ListOffsetsAsync(admin, partitions, OffsetSpec.Latest(), timeout, cancellationToken);
        var earliest = await ListOffsetsAsync(admin, partitions, OffsetSpec.Earliest(), timeout, cancellationToken);
        var offsets = partitions
            .Select(p => new BrokerOffsets(p.Topic, p.Partition.Value, earliest[p], latest[p]))
            .OrderBy(o => o.Topic, StringComparer.Ordinal)
            .ThenBy(o => o.Partition)
            .ToList();
        return new TopicOffsets(offsets, missing);
    }

    private static async Task<(List<TopicPartition> Partitions, List<string> Missing)> DescribeAsync(
        IAdminClient admin, IReadOnlyCollection<string> topics, TimeSpan timeout, CancellationToken cancellationToken)
    {
        List<TopicDescription> descriptions;
        try
        {
            var described = await admin.DescribeTopicsAsync(TopicCollection.OfTopicNames(topics), new DescribeTopicsOptions { RequestTimeout = timeout })
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
}
