namespace CryptoPipeline.Database.Migrations;

/// <summary>What one <see cref="DatabaseMigrator.MigrateAsync"/> call did.</summary>
/// <param name="Database">The migrated database.</param>
/// <param name="CreatedDatabase">True when this call created the database.</param>
/// <param name="Applied">The migrations this call applied, in order.</param>
/// <param name="AlreadyApplied">How many known migrations had been applied before.</param>
public sealed record MigrationResult(string Database, bool CreatedDatabase, IReadOnlyList<Migration> Applied, int AlreadyApplied);
