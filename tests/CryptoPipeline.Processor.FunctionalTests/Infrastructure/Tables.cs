using Confluent.Kafka;
using CryptoPipeline.Testing;
using Npgsql;

namespace CryptoPipeline.Processor.FunctionalTests.Infrastructure;

/// <summary>Reads what the processor wrote: candle rows, whole-table snapshots, committed offsets.</summary>
internal static class Tables
{
    /// <summary>Every table the processor writes. Bookkeeping columns that legitimately differ between runs are left out.</summary>
    private static readonly string[] Written = ["trades_1min_agg", "trades_1h_agg", "current_prices", "prices_1min_avg", "trades", "consumer_offsets", "consumer_partition_instruments"];

    private static readonly string[] Ignored = ["updated_at", "cluster_id", "consumer_group"];

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

    /// <summary>Each written table's rows as text, sorted, without <see cref="Ignored"/> columns: equal snapshots mean equal tables row by row.</summary>
    public static async Task<Dictionary<string, List<string>>> SnapshotAsync(string connectionString)
    {
        await using var connection = await OpenAsync(connectionString);
        var snapshot = new Dictionary<string, List<string>>();
        foreach (var table in Written)
        {
            var columns = new List<string>();
            await using (var describe = new NpgsqlCommand(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = @table ORDER BY ordinal_position", connection))
            {
                describe.Parameters.AddWithValue("table", table);
                await using var reader = await describe.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    var column = reader.GetString(0);
                    if (!Ignored.Contains(column))
                    {
                        columns.Add(column);
                    }
                }
            }

            var rows = new List<string>();
            await using (var select = new NpgsqlCommand($"SELECT ROW({string.Join(", ", columns)})::text AS r FROM {table} ORDER BY r", connection))
            {
                await using var reader = await select.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    rows.Add(reader.GetString(0));
                }
            }

            snapshot[table] = rows;
        }

        return snapshot;
    }

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
    public static async Task<NpgsqlConnection> OpenAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        return connection;
    }

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
