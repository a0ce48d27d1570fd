using Confluent.Kafka;
using Confluent.Kafka.Admin;
using CryptoPipeline.Contracts;

namespace CryptoPipeline.Kafka;

/// <summary>Start-up topic provisioning and cluster identity over the Kafka admin API.</summary>
public static class KafkaTopicAdmin
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Creates the pipeline topics (<see cref="Topics.All"/>) that are missing, with
    /// <see cref="KafkaOptions.Partitions"/> and <see cref="KafkaOptions.ReplicationFactor"/>.
    /// </summary>
    public static Task<IReadOnlyList<string>> EnsureTopicsAsync(this IAdminClient admin, KafkaOptions options, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return admin.EnsureTopicsAsync(Topics.All, options.Partitions, options.ReplicationFactor, timeout);
    }

    /// <summary>
    /// Creates those of <paramref name="topics"/> that do not exist yet and returns their names.
    /// Existing topics are left as they are, whatever their partition count. Safe to run from
    /// several processes at once: a topic another process created in the meantime counts as existing.
    /// </summary>
    /// <exception cref="InvalidOperationException">A topic could not be described or created; the message names it and the broker's reason.</exception>
    public static async Task<IReadOnlyList<string>> EnsureTopicsAsync(
        this IAdminClient admin,
        IEnumerable<string> topics,
        int partitions,
        short replicationFactor = -1,
        TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(admin);
        ArgumentNullException.ThrowIfNull(topics);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        var wait = timeout ?? DefaultTimeout;

        var missing = await FindMissingAsync(admin, topics.Distinct(StringComparer.Ordinal).ToList(), wait);
        if (missing.Count == 0)
        {
            return [];
        }

        var specifications = missing.Select(name => new TopicSpecification
        {
            Name = name,
            NumPartitions = partitions,
            ReplicationFactor = replicationFactor,
        });
        try
        {
            await admin.CreateTopicsAsync(specifications, new CreateTopicsOptions { RequestTimeout = wait, OperationTimeout = wait });
            return missing;
        }
        catch (CreateTopicsException ex)
        {
            var failed = ex.Results.Where(r => r.Error.IsError && r.Error.Code != ErrorCode.TopicAlreadyExists).ToList();
            if (failed.Count > 0)
            {
                throw new InvalidOperationException(
                    $"Could not create Kafka topic(s) with {partitions} partition(s), replication factor {replicationFactor}: " +
                    string.Join("; ", failed.Select(r => $"'{r.Topic}': {r.Error.Reason}")),
                    ex);
            }

            return ex.Results.Where(r => !r.Error.IsError).Select(r => r.Topic).ToList();
        }
        catch (KafkaException ex)
        {
            throw new InvalidOperationException(
                $"Could not create Kafka topic(s) {string.Join(", ", missing)}: {ex.Error.Reason}. Brokers without the " +
                "CreateTopics API (such as librdkafka's mock cluster behind EmbeddedKafka) need the topics created beforehand.",
                ex);
        }
    }

    /// <summary>The cluster id (Kafka's <c>cluster.id</c>), which stays the same across broker restarts and changes with a new cluster.</summary>
    public static async Task<string> GetClusterIdAsync(this IAdminClient admin, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(admin);
        var cluster = await admin.DescribeClusterAsync(new DescribeClusterOptions { RequestTimeout = timeout ?? DefaultTimeout });
        return string.IsNullOrEmpty(cluster.ClusterId)
            ? throw new InvalidOperationException("The Kafka cluster reported no cluster id (brokers older than 0.10.1 do not have one).")
            : cluster.ClusterId;
    }

    private static async Task<List<string>> FindMissingAsync(IAdminClient admin, List<string> topics, TimeSpan timeout)
    {
        if (topics.Count == 0)
        {
            return [];
        }

        try
        {
            await admin.DescribeTopicsAsync(TopicCollection.OfTopicNames(topics), new DescribeTopicsOptions { RequestTimeout = timeout });
            return [];
        }
        catch (DescribeTopicsException ex)
        {
            var failed = ex.Results.TopicDescriptions
                .Where(d => d.Error.IsError && d.Error.Code != ErrorCode.UnknownTopicOrPart)
                .ToList();
            if (failed.Count > 0)
            {
                throw new InvalidOperationException(
                    "Could not look up Kafka topic(s): " + string.Join("; ", failed.Select(d => $"'{d.Name}': {d.Error.Reason}")),
                    ex);
            }

            return ex.Results.TopicDescriptions.Where(d => d.Error.Code == ErrorCode.UnknownTopicOrPart).Select(d => d.Name).ToList();
        }
    }
}
