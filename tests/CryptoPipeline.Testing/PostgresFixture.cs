using System.Collections.Concurrent;
using CryptoPipeline.Database.Migrations;
using CryptoPipeline.EmbeddedPostgres;
using Npgsql;
using Xunit;

namespace CryptoPipeline.Testing;

/// <summary>
/// One PostgreSQL server for a test assembly or collection
/// (<c>[assembly: AssemblyFixture(typeof(PostgresFixture))]</c>, <c>ICollectionFixture&lt;…&gt;</c>):
/// the server named by <c>CRYPTOPIPELINE_TEST_POSTGRES</c> (an Npgsql connection string whose user
/// may create databases) when set, else a private cluster started for the run. Tests stay independent
/// by each taking a fresh database from <see cref="CreateDatabaseAsync"/>.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public const string ServerVariable = "CRYPTOPIPELINE_TEST_POSTGRES";

    private readonly ConcurrentBag<string> _databases = [];
    private NpgsqlConnectionStringBuilder _server = new();

    // Null when the tests use the server of ServerVariable.
    private PrivatePostgresCluster? _cluster;

    public async ValueTask InitializeAsync()
    {
        var configured = Environment.GetEnvironmentVariable(ServerVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            _server = new NpgsqlConnectionStringBuilder(configured);
            return;
        }

        // Throw-away data: no fsync.
        _cluster = await PrivatePostgresCluster.StartAsync(new PrivatePostgresOptions { Fsync = false });
        _server = new NpgsqlConnectionStringBuilder(_cluster.GetConnectionString("postgres"));
    }

    /// <summary>A database name no test has used; the database is dropped with the fixture if a test creates it.</summary>
    public string NewDatabaseName()
    {
        var name = "test_" + Guid.NewGuid().ToString("N");
        _databases.Add(name);
        return name;
    }

    /// <summary>Connection string of a database on the test server (it need not exist).</summary>
    public string ConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder(_server.ConnectionString) { Database = database }.ConnectionString;

    /// <summary>Creates a fresh database, with the embedded migrations applied unless <paramref name="migrated"/> is false.</summary>
    public async Task<string> CreateDatabaseAsync(bool migrated = true, CancellationToken cancellationToken = default)
    {
        var name = NewDatabaseName();
        var connectionString = ConnectionStringFor(name);
        if (migrated)
        {
            await new DatabaseMigrator().MigrateAsync(connectionString, cancellationToken);
        }
        else
        {
            await using var connection = await OpenAdminAsync(cancellationToken);
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        return connectionString;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
            return;
        }

        if (_databases.IsEmpty)
        {
            return;
        }

        await using var connection = await OpenAdminAsync(CancellationToken.None);
        foreach (var name in _databases)
        {
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    private async Task<NpgsqlConnection> OpenAdminAsync(CancellationToken cancellationToken)
    {
        // The configured database when there is one: a managed server may not let the user into "postgres".
        var admin = new NpgsqlConnectionStringBuilder(_server.ConnectionString) { Pooling = false };
        if (string.IsNullOrEmpty(admin.Database))
        {
            admin.Database = "postgres";
        }

        var connection = new NpgsqlConnection(admin.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }
}
