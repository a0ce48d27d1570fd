using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CryptoPipeline.Database.Migrations;

/// <summary>
/// Applies versioned migrations to a PostgreSQL database and records them in <c>schema_migrations</c>.
/// Every service migrates at start-up, so the runner is safe to run from several processes at once:
/// a session-level advisory lock serialises them, each migration commits in its own transaction
/// together with its record, and migrations already applied are skipped. A missing database is
/// created first (managed servers, e.g. Azure, start without it).
/// </summary>
public sealed class DatabaseMigrator
{
    // Any fixed value works; it only has to be the same in every service. Advisory locks are
    // scoped to one database, so migrators of different databases do not wait for each other.
    private const long LockKey = 0x4350_4D49_4752_4154;

    private const string CreateHistoryTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    integer     PRIMARY KEY,
            name       text        NOT NULL,
            checksum   text        NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """;

    private readonly IReadOnlyList<Migration> _migrations;
    private readonly ILogger _logger;

    /// <summary>A migrator for the migrations embedded from infra/migrations.</summary>
    public DatabaseMigrator(ILogger? logger = null)
        : this(Migration.Embedded, logger)
    {
    }

    public DatabaseMigrator(IEnumerable<Migration> migrations, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(migrations);
        _migrations = [.. migrations.OrderBy(m => m.Version)];
        var duplicate = _migrations.GroupBy(m => m.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException(
                $"Migrations {string.Join(" and ", duplicate)} share version {duplicate.Key}.", nameof(migrations));
        }

        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>
    /// Brings the database named by <paramref name="connectionString"/> up to date, creating it when
    /// it does not exist. Throws when an applied migration's checksum no longer matches its file, or
    /// when a migration fails (that migration is rolled back; those before it stay applied).
    /// </summary>
    public async Task<MigrationResult> MigrateAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        // Unpooled: closing the connection ends the session, which releases the advisory lock
        // even when the migration failed half-way through a broken connection.
        var target = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
        var database = target.Database;
        if (string.IsNullOrEmpty(database))
        {
            throw new ArgumentException("The connection string names no database (Database=...).", nameof(connectionString));
        }

        var createdDatabase = false;
        NpgsqlConnection connection;
        try
        {
            connection = await OpenAsync(target.ConnectionString, cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            createdDatabase = await CreateDatabaseAsync(target, cancellationToken);
            connection = await OpenAsync(target.ConnectionString, cancellationToken);
        }

        await using (connection)
        {
            // Fast path without DDL or lock: an up-to-date database needs nothing, so a service
            // whose role may only read (the Api) starts once another service has migrated.
            if (await IsUpToDateAsync(connection, database, cancellationToken))
            {
                _logger.LogInformation("Database {Database} is up to date ({Count} migrations applied before)", database, _migrations.Count);
                return new MigrationResult(database, createdDatabase, [], _migrations.Count);
            }

            await ExecuteAsync(connection, $"SELECT pg_advisory_lock({LockKey})", cancellationToken);
            await ExecuteAsync(connection, CreateHistoryTable, cancellationToken);

            var applied = await ReadAppliedAsync(connection, cancellationToken);
            CheckApplied(applied, database);

            var pending = _migrations.Where(m => !applied.ContainsKey(m.Version)).ToList();
            foreach (var migration in pending)
            {
                await ApplyAsync(connection, migration, database, cancellationToken);
            }

            var alreadyApplied = _migrations.Count - pending.Count;
            if (pending.Count == 0)
            {
                _logger.LogInformation("Database {Database} is up to date ({Count} migrations applied before)", database, alreadyApplied);
            }

            return new MigrationResult(database, createdDatabase, pending, alreadyApplied);
        }
    }

    private void CheckApplied(Dictionary<int, AppliedMigration> applied, string database)
    {
        foreach (var migration in _migrations)
        {
            if (applied.TryGetValue(migration.Version, out var record) && record.Checksum != migration.Checksum)
            {
                throw new InvalidOperationException(
                    $"Migration {migration.FileName} was changed after it was applied to database {database} " +
                    $"(applied as {record.Name} with checksum {record.Checksum}, the file's checksum is {migration.Checksum}). " +
                    "Applied migrations must not be edited: add a new migration instead.");
            }
        }

        var known = _migrations.Select(m => m.Version).ToHashSet();
        foreach (var record in applied.Values.Where(r => !known.Contains(r.Version)))
        {
            // A newer release already ran; this one carries on with the schema it knows.
            _logger.LogWarning(
                "Database {Database} has migration {Name} (version {Version}), which this build does not know",
                database, record.Name, record.Version);
        }
    }

    private async Task ApplyAsync(NpgsqlConnection connection, Migration migration, string database, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await ExecuteAsync(connection, migration.Sql, cancellationToken);
        }
        catch (PostgresException e) when (!e.IsTransient)
        {
            throw new InvalidOperationException(
                $"Migration {migration.FileName} failed on database {database} and was rolled back: {e.SqlState} {e.MessageText}" +
                (e.Where is null ? "" : $" ({e.Where})"),
                e);
        }

        await using (var record = new NpgsqlCommand(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES (@version, @name, @checksum)", connection))
        {
            record.Parameters.AddWithValue("version", migration.Version);
            record.Parameters.AddWithValue("name", migration.FileName);
            record.Parameters.AddWithValue("checksum", migration.Checksum);
            await record.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        _logger.LogInformation("Applied migration {Migration} to database {Database} in {ElapsedMs} ms",
            migration.FileName, database, clock.ElapsedMilliseconds);
    }

    private async Task<bool> CreateDatabaseAsync(NpgsqlConnectionStringBuilder target, CancellationToken cancellationToken)
    {
        var admin = new NpgsqlConnectionStringBuilder(target.ConnectionString) { Database = "postgres" };
        await using var connection = await OpenAsync(admin.ConnectionString, cancellationToken);
        try
        {
            await ExecuteAsync(connection, $"CREATE DATABASE {QuoteIdentifier(target.Database!)}", cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            // Another service created it between our connection attempt and now.
            return false;
        }
        catch (PostgresException e) when (!e.IsTransient)
        {
            throw new InvalidOperationException(
                $"Database {target.Database} does not exist and could not be created on {target.Host}:{target.Port}: {e.MessageText}", e);
        }

        _logger.LogInformation("Created database {Database} on {Host}:{Port}", target.Database, target.Host, target.Port);
        return true;
    }

    private async Task<bool> IsUpToDateAsync(NpgsqlConnection connection, string database, CancellationToken cancellationToken)
    {
        await using (var exists = new NpgsqlCommand("SELECT to_regclass('schema_migrations') IS NOT NULL", connection))
        {
            if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken))!)
            {
                return false;
            }
        }

        var applied = await ReadAppliedAsync(connection, cancellationToken);
        CheckApplied(applied, database);
        return _migrations.All(m => applied.ContainsKey(m.Version));
    }

    private static async Task<Dictionary<int, AppliedMigration>> ReadAppliedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT version, name, checksum FROM schema_migrations", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var applied = new Dictionary<int, AppliedMigration>();
        while (await reader.ReadAsync(cancellationToken))
        {
            applied.Add(reader.GetInt32(0), new AppliedMigration(reader.GetInt32(0), reader.GetString(1), reader.GetString(2)));
        }

        return applied;
    }

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        // No command timeout: waiting for another service's migrations, or a long index build, is
        // bounded by the caller's cancellation (Database:MigrationTimeout at start-up) instead.
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string QuoteIdentifier(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private sealed record AppliedMigration(int Version, string Name, string Checksum);
}
