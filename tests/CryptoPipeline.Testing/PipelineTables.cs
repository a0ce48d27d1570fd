using Npgsql;

namespace CryptoPipeline.Testing;

/// <summary>
/// Reads what the pipeline wrote to PostgreSQL, for tests that compare whole runs: table snapshots that are equal
/// exactly when the tables are equal row by row, and the consumer offsets committed with the candles.
/// </summary>
public static class PipelineTables
{
    /// <summary>Bookkeeping columns that legitimately differ between two runs over the same input.</summary>
    public static readonly IReadOnlyList<string> RunSpecificColumns = ["updated_at", "cluster_id", "consumer_group"];

    /// <summary>Unpooled: a test that stops PostgreSQL must not find a dead connection in the pool.</summary>
    public static async Task<NpgsqlConnection> OpenAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    /// <summary>
    /// Each table's rows as text, sorted, without <paramref name="ignoredColumns"/> (default
    /// <see cref="RunSpecificColumns"/>): equal snapshots mean equal tables row by row.
    /// </summary>
    public static async Task<Dictionary<string, List<string>>> SnapshotAsync(
        string connectionString, IEnumerable<string> tables, IReadOnlyCollection<string>? ignoredColumns = null, CancellationToken cancellationToken = default)
    {
        ignoredColumns ??= [.. RunSpecificColumns];
        await using var connection = await OpenAsync(connectionString, cancellationToken);
        var snapshot = new Dictionary<string, List<string>>();
        foreach (var table in tables)
        {
            var columns = new List<string>();
            await using (var describe = new NpgsqlCommand(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = @table ORDER BY ordinal_position", connection))
            {
                describe.Parameters.AddWithValue("table", table);
                await using var reader = await describe.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    var column = reader.GetString(0);
                    if (!ignoredColumns.Contains(column))
                    {
                        columns.Add(column);
                    }
                }
            }

            var rows = new List<string>();
            await using (var select = new NpgsqlCommand($"SELECT ROW({string.Join(", ", columns)})::text AS r FROM {table} ORDER BY r", connection))
            {
                await using var reader = await select.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    rows.Add(reader.GetString(0));
                }
            }

            snapshot[table] = rows;
        }

        return snapshot;
    }

    /// <summary>
    /// How two snapshots differ, table by table: rows only in <paramref name="expected"/> and rows only in
    /// <paramref name="actual"/>, at most <paramref name="maxRowsShown"/> of each. Empty when they are equal.
    /// </summary>
    public static List<string> Differences(
        Dictionary<string, List<string>> expected, Dictionary<string, List<string>> actual, int maxRowsShown = 5)
    {
        var differences = new List<string>();
        foreach (var (table, rows) in expected)
        {
            var other = actual.GetValueOrDefault(table) ?? [];
            var missing = rows.Except(other, StringComparer.Ordinal).ToList();
            var extra = other.Except(rows, StringComparer.Ordinal).ToList();
            if (missing.Count == 0 && extra.Count == 0 && rows.Count == other.Count)
            {
                continue;
            }

            differences.Add($"{table}: expected {rows.Count} rows, got {other.Count}; {missing.Count} expected rows missing, {extra.Count} unexpected rows");
            differences.AddRange(missing.Take(maxRowsShown).Select(r => $"  expected {r}"));
            differences.AddRange(extra.Take(maxRowsShown).Select(r => $"  actual   {r}"));
        }

        return differences;
    }

    /// <summary>Next offsets of every partition a consumer group committed in PostgreSQL (<c>consumer_offsets</c>), by topic and partition.</summary>
    public static async Task<Dictionary<(string Topic, int Partition), long>> CommittedOffsetsAsync(
        string connectionString, string group, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(connectionString, cancellationToken);
        await using var command = new NpgsqlCommand("SELECT topic, partition, next_offset FROM consumer_offsets WHERE consumer_group = @group", connection);
        command.Parameters.AddWithValue("group", group);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var committed = new Dictionary<(string, int), long>();
        while (await reader.ReadAsync(cancellationToken))
        {
            committed[(reader.GetString(0), reader.GetInt32(1))] = reader.GetInt64(2);
        }

        return committed;
    }
}
