using Confluent.Kafka;
using CryptoPipeline.Testing;
using Npgsql;

namespace CryptoPipeline.Processor.FunctionalTests.Infrastructure;

/// <summary>Reads what the processor wrote: candle rows, whole-table snapshots, committed offsets.</summary>
internal static class Tables
{
    /// <summary>Every table the processor writes. Bookkeeping columns that legitimately differ between runs are left out.</summary>
    private static readonly string[] Written = ["trades_1min_agg", "trades_1h_agg", "current_prices", "prices_1min_avg", "trades", "consumer_offsets", "consumer_partition_instruments"];

    public static readonly TimeSpan ProcessingTimeout = TimeSpan.FromSeconds(60);

    public static async Task<List<CandleRow>> CandlesAsync(string connectionString, string exchange, string symbol)
    {
        await using var connection = await OpenAsync(connectionString);
        await using var command = new NpgsqlCommand("""
            SELECT window_start, open, high, low, close, volume, quote_volume, trade_count, taker_buy_volume, taker_buy_quote_volume,
                   is_final, first_trade_id, last_trade_id
            FROM trades_1min_agg WHERE exchange = @exchange AND symbol = @symbol ORDER BY window_start
            """, connection);
        command.Parameters.AddWithValue("exchange", exchange);
        command.Parameters.AddWithValue("symbol", symbol);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<CandleRow>();
        while (await reader.ReadAsync())
        {
            rows.Add(new CandleRow(
                reader.GetFieldValue<DateTimeOffset>(0), reader.GetDecimal(1), reader.GetDecimal(2), reader.GetDecimal(3), reader.GetDecimal(4),
                reader.GetDecimal(5), reader.GetDecimal(6), reader.GetInt64(7), reader.GetDecimal(8), reader.GetDecimal(9),
                reader.GetBoolean(10), reader.GetInt64(11), reader.GetInt64(12)));
        }

        return rows;
    }

    /// <summary>Each written table's rows as text, sorted, without run-specific columns: equal snapshots mean equal tables row by row.</summary>
    public static Task<Dictionary<string, List<string>>> SnapshotAsync(string connectionString) =>
        PipelineTables.SnapshotAsync(connectionString, Written, cancellationToken: TestContext.Current.CancellationToken);

    /// <summary>Asserts two snapshots are identical, naming the first table and row that differ.</summary>
    public static void AssertSame(Dictionary<string, List<string>> expected, Dictionary<string, List<string>> actual)
    {
        foreach (var (table, rows) in expected)
        {
            var other = actual[table];
            var firstDifference = rows.Zip(other).Select((pair, index) => (pair, index)).FirstOrDefault(p => p.pair.First != p.pair.Second);
            Assert.True(
                rows.Count == other.Count && firstDifference.pair == default,
                $"{table}: expected {rows.Count} rows, got {other.Count}" +
                (firstDifference.pair == default ? "" : $"; row {firstDifference.index} differs:\n expected {firstDifference.pair.First}\n actual   {firstDifference.pair.Second}"));
        }
    }

    /// <summary>Next offsets the consumer group committed in PostgreSQL, by partition (any cluster).</summary>
    public static async Task<Dictionary<TopicPartition, long>> CommittedAsync(string connectionString, string group, string? clusterId = null)
    {
        await using var connection = await OpenAsync(connectionString);
        await using var command = new NpgsqlCommand(
            "SELECT topic, partition, next_offset FROM consumer_offsets WHERE consumer_group = @group AND (@cluster::text IS NULL OR cluster_id = @cluster)",
            connection);
        command.Parameters.AddWithValue("group", group);
        command.Parameters.Add(new NpgsqlParameter<string?>("cluster", clusterId));
        await using var reader = await command.ExecuteReaderAsync();
        var committed = new Dictionary<TopicPartition, long>();
        while (await reader.ReadAsync())
        {
            committed[new TopicPartition(reader.GetString(0), reader.GetInt32(1))] = reader.GetInt64(2);
        }

        return committed;
    }

    /// <summary>How many of the published messages the group has committed, over all partitions.</summary>
    public static async Task<long> CommittedCountAsync(string connectionString, string group, string? clusterId = null) =>
        (await CommittedAsync(connectionString, group, clusterId)).Values.Sum();

    /// <summary>Unpooled: a test that restarts PostgreSQL must not find a dead connection in the pool.</summary>
    public static Task<NpgsqlConnection> OpenAsync(string connectionString) =>
        PipelineTables.OpenAsync(connectionString, TestContext.Current.CancellationToken);

    /// <summary>Waits until the group has committed everything published to <paramref name="kafka"/> (by offsets in PostgreSQL).</summary>
    public static Task WaitForEverythingCommittedAsync(string connectionString, PipelineKafka kafka, string group = "processor", string? clusterId = null)
    {
        var end = kafka.EndOffsets.Where(p => !p.Key.Topic.EndsWith(".dlq", StringComparison.Ordinal)).ToList();
        return Eventually.Until(
            () => CommittedAsync(connectionString, group, clusterId),
            committed => end.All(p => committed.GetValueOrDefault(p.Key) >= p.Value),
            ProcessingTimeout,
            $"group {group} to commit offsets {string.Join(", ", end.Select(p => $"{p.Key}={p.Value}"))}");
    }
}

internal sealed record CandleRow(
    DateTimeOffset WindowStart, decimal Open, decimal High, decimal Low, decimal Close, decimal Volume, decimal QuoteVolume,
    long TradeCount, decimal TakerBuyVolume, decimal TakerBuyQuoteVolume, bool IsFinal, long FirstTradeId, long LastTradeId);
