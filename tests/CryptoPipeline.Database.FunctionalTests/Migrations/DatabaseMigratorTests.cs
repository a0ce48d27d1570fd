using CryptoPipeline.Database.Migrations;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Database.FunctionalTests.Migrations;

public sealed class DatabaseMigratorTests(PostgresFixture postgres)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public void The_embedded_migrations_are_the_versioned_files_of_infra_migrations_in_order()
    {
        var migrations = Migration.Embedded;

        Assert.Equal(["0001_market_data.sql", "0002_trade_history.sql", "0003_operations.sql"], migrations.Take(3).Select(m => m.FileName));
        Assert.Equal(migrations.Select(m => m.Version).Order(), migrations.Select(m => m.Version));
        Assert.All(migrations, m => Assert.Matches("^[0-9a-f]{64}$", m.Checksum));
    }

    [Fact]
    public async Task Migrating_twice_applies_each_migration_once_and_the_second_run_applies_nothing()
    {
        var connectionString = postgres.ConnectionStringFor(postgres.NewDatabaseName());
        var migrator = new DatabaseMigrator();

        var first = await migrator.MigrateAsync(connectionString, Cancellation);
        var schemaAfterFirst = await Sql.SchemaFingerprintAsync(connectionString);
        var second = await migrator.MigrateAsync(connectionString, Cancellation);

        Assert.Equal(Migration.Embedded, first.Applied);
        Assert.Equal(0, first.AlreadyApplied);
        Assert.Empty(second.Applied);
        Assert.Equal(Migration.Embedded.Count, second.AlreadyApplied);
        Assert.False(second.CreatedDatabase);
        Assert.Equal(schemaAfterFirst, await Sql.SchemaFingerprintAsync(connectionString));

        var recorded = await Sql.RowsAsync(connectionString, "SELECT version, name, checksum FROM schema_migrations ORDER BY version");
        Assert.Equal(
            Migration.Embedded.Select(m => (m.Version, m.FileName, m.Checksum)),
            recorded.Select(r => ((int)r[0]!, (string)r[1]!, (string)r[2]!)));
    }

    [Fact]
    public async Task Migrator_creates_the_database_when_it_does_not_exist()
    {
        var name = postgres.NewDatabaseName();
        var admin = postgres.ConnectionStringFor("postgres");
        Assert.Equal(0L, await Sql.ScalarAsync<long>(admin, "SELECT count(*) FROM pg_database WHERE datname = @name", ("name", name)));

        var result = await new DatabaseMigrator().MigrateAsync(postgres.ConnectionStringFor(name), Cancellation);

        Assert.True(result.CreatedDatabase);
        Assert.Equal(name, result.Database);
        Assert.Equal(1L, await Sql.ScalarAsync<long>(admin, "SELECT count(*) FROM pg_database WHERE datname = @name", ("name", name)));
        Assert.Equal(
            (long)Migration.Embedded.Count,
            await Sql.ScalarAsync<long>(postgres.ConnectionStringFor(name), "SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public async Task Concurrent_migrators_on_a_missing_database_create_it_once_and_apply_each_migration_once()
    {
        const int Migrators = 8;
        var reference = await postgres.CreateDatabaseAsync(migrated: true, Cancellation);
        var connectionString = postgres.ConnectionStringFor(postgres.NewDatabaseName());
        using var start = new ManualResetEventSlim();

        var runs = Enumerable.Range(0, Migrators).Select(_ => Task.Run(
            async () =>
            {
                start.Wait(Cancellation);
                return await new DatabaseMigrator().MigrateAsync(connectionString, Cancellation);
            },
            Cancellation)).ToList();
        start.Set();
        var results = await Task.WhenAll(runs);

        Assert.Single(results, r => r.CreatedDatabase);
        Assert.Equal(
            Migration.Embedded.Select(m => m.FileName).Order(),
            results.SelectMany(r => r.Applied).Select(m => m.FileName).Order());
        Assert.Equal(
            (long)Migration.Embedded.Count,
            await Sql.ScalarAsync<long>(connectionString, "SELECT count(*) FROM schema_migrations"));
        Assert.Equal(await Sql.SchemaFingerprintAsync(reference), await Sql.SchemaFingerprintAsync(connectionString));
    }

    [Fact]
    public async Task A_changed_checksum_of_an_applied_migration_fails_naming_the_migration()
    {
        var connectionString = await postgres.CreateDatabaseAsync(migrated: true, Cancellation);
        var tampered = Migration.Embedded[1];
        await Sql.ExecuteAsync(connectionString, "UPDATE schema_migrations SET checksum = 'tampered' WHERE version = @version", ("version", tampered.Version));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => new DatabaseMigrator().MigrateAsync(connectionString, Cancellation));

        Assert.Contains(tampered.FileName, error.Message, StringComparison.Ordinal);
        Assert.Contains("tampered", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_migration_is_rolled_back_and_not_recorded_and_names_itself()
    {
        var connectionString = postgres.ConnectionStringFor(postgres.NewDatabaseName());
        var broken = new Migration("9001_broken.sql", "CREATE TABLE half_done (id integer);\nSELECT 1 / 0;");
        var migrator = new DatabaseMigrator([.. Migration.Embedded, broken]);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => migrator.MigrateAsync(connectionString, Cancellation));

        Assert.Contains("9001_broken.sql", error.Message, StringComparison.Ordinal);
        Assert.Contains("division by zero", error.Message, StringComparison.Ordinal);
        Assert.Null(await Sql.ScalarAsync<string?>(connectionString, "SELECT to_regclass('half_done')::text"));
        Assert.Equal(
            Migration.Embedded.Select(m => m.Version),
            (await Sql.RowsAsync(connectionString, "SELECT version FROM schema_migrations ORDER BY version")).Select(r => (int)r[0]!));
    }

    [Theory]
    [InlineData("market_data.sql")]
    [InlineData("0004-market-data.sql")]
    [InlineData("0004_market_data.txt")]
    public void A_migration_file_name_without_version_prefix_is_rejected_by_name(string fileName)
    {
        var error = Assert.Throws<ArgumentException>(() => new Migration(fileName, "SELECT 1"));

        Assert.Contains(fileName, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_migrations_with_one_version_are_rejected_naming_both()
    {
        var error = Assert.Throws<ArgumentException>(
            () => new DatabaseMigrator([new Migration("0007_a.sql", "SELECT 1"), new Migration("0007_b.sql", "SELECT 2")]));

        Assert.Contains("0007_a.sql", error.Message, StringComparison.Ordinal);
        Assert.Contains("0007_b.sql", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_checksum_ignores_line_endings()
    {
        Assert.Equal(
            new Migration("0001_x.sql", "SELECT 1;\nSELECT 2;\n").Checksum,
            new Migration("0001_x.sql", "SELECT 1;\r\nSELECT 2;\r\n").Checksum);
    }
}
