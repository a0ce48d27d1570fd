namespace CryptoPipeline.Database;

/// <summary>
/// PostgreSQL settings of a service: the Aspire connection string <c>ConnectionStrings:cryptodb</c>
/// and the <c>Database</c> configuration section.
/// </summary>
public sealed class CryptoDatabaseOptions
{
    public const string ConnectionStringName = "cryptodb";

    /// <summary>The configuration key of the connection string, as error messages name it.</summary>
    public const string ConnectionStringKey = "ConnectionStrings:" + ConnectionStringName;

    public const string SectionName = "Database";

    /// <summary>Npgsql connection string (<c>Host=..;Port=..;Username=..;Password=..;Database=cryptodb</c>).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// How long start-up may wait for PostgreSQL to become reachable and the migrations to finish
    /// (<c>Database:MigrationTimeout</c>). A container platform may start the service before the
    /// database, so the default leaves room for that.
    /// </summary>
    public TimeSpan MigrationTimeout { get; set; } = TimeSpan.FromMinutes(2);
}
