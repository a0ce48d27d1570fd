using Npgsql;

namespace CryptoPipeline.Monitor.FunctionalTests.Infrastructure;

/// <summary>Plain SQL against a test database.</summary>
internal static class Db
{
    public static async Task ExecuteAsync(string database, string sql, params object[] values)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = Command(connection, sql, values);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    public static async Task<T> ScalarAsync<T>(string database, string sql, params object[] values)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = Command(connection, sql, values);
        return (T)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    /// <summary>Each row's columns joined by spaces (NULL shown as "null"), for assertions that read like the table.</summary>
    public static async Task<List<string>> RowsAsync(string database, string sql, params object[] values)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = Command(connection, sql, values);
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        var rows = new List<string>();
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            rows.Add(string.Join(' ', Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "null" : Show(reader.GetValue(i)))));
        }

        return rows;
    }

    /// <summary>The runs of <paramref name="job"/> in start order, as "started_at status" with times in ISO 8601 UTC.</summary>
    public static Task<List<string>> RunsAsync(string database, string job) =>
        RowsAsync(database, "SELECT started_at, status FROM job_runs WHERE job_name = $1 ORDER BY started_at, id", job);

    public static async Task<List<string>> FinishedRunsAsync(string database, string job) =>
        (await RunsAsync(database, job)).Where(r => !r.EndsWith(" running", StringComparison.Ordinal)).ToList();

    private static string Show(object value) => value switch
    {
        bool flag => flag ? "true" : "false",
        DateTime time => time.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
        DateTimeOffset time => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, object[] values)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }
}
