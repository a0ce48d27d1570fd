using Npgsql;

namespace CryptoPipeline.Ingest.FunctionalTests.Infrastructure;

/// <summary>Plain SQL against a test database, for arranging rows and reading outcomes.</summary>
internal static class Db
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public static async Task ExecuteAsync(string connectionString, string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Cancellation);
        await using var command = Command(connection, sql, parameters);
        await command.ExecuteNonQueryAsync(Cancellation);
    }

    public static async Task<T?> ScalarAsync<T>(string connectionString, string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Cancellation);
        await using var command = Command(connection, sql, parameters);
        return await command.ExecuteScalarAsync(Cancellation) is T value ? value : default;
    }

    /// <summary>The first column of each row, as text.</summary>
    public static async Task<Rows> RowsAsync(string connectionString, string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Cancellation);
        await using var command = Command(connection, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(Cancellation);
        var rows = new Rows();
        while (await reader.ReadAsync(Cancellation))
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, object[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return command;
    }

    /// <summary>Rows that show themselves in a timeout message.</summary>
    internal sealed class Rows : List<string>
    {
        public override string ToString() => "[" + string.Join(" | ", this) + "]";
    }
}
