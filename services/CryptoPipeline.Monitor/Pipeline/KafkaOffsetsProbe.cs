using Confluent.Kafka;
using Confluent.Kafka.Admin;
using CryptoPipeline.Contracts;
using CryptoPipeline.Kafka;
using Microsoft.Extensions.Options;

namespace CryptoPipeline.Monitor.Pipeline;

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

        var offsets = await admin.ReadOffsetsAsync(Topics.All, timeout, cancellationToken);
        return new KafkaReading(clusterId, offsets.Partitions, offsets.MissingTopics, await GroupMembersAsync(admin, timeout, cancellationToken));
    }

    public void Dispose()
    {
        if (_admin.IsValueCreated)
        {
            _admin.Value.Dispose();
        }
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
