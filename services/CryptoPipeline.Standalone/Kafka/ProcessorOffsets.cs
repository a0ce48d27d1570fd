using Npgsql;

namespace CryptoPipeline.Standalone.Kafka;

/// <summary>The next offsets the processor has committed to PostgreSQL (with its candles) on one Kafka cluster.</summary>
internal static class ProcessorOffsets
{
    private const string Sql = "SELECT topic, partition, next_offset FROM consumer_offsets WHERE cluster_id = $1 AND consumer_group = $2";

    public static async Task<Dictionary<(string Topic, int Partition), long>> ReadAsync(
        NpgsqlDataSource database, string clusterId, string consumerGroup, CancellationToken cancellationToken)
    {
        var committed = new Dictionary<(string, int), long>();
        await using var command = database.CreateCommand(Sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = clusterId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = consumerGroup });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            committed[(reader.GetString(0), reader.GetInt32(1))] = reader.GetInt64(2);
        }

        return committed;
    }
}
