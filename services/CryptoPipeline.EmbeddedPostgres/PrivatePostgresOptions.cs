namespace CryptoPipeline.EmbeddedPostgres;

/// <summary>How <see cref="PrivatePostgresCluster.StartAsync"/> sets up its server.</summary>
public sealed class PrivatePostgresOptions
{
    /// <summary>
    /// Data directory. Null: a fresh temporary directory, deleted on dispose. Otherwise the directory
    /// is kept, and reused (with its data) when it already holds a cluster.
    /// </summary>
    public string? DataDirectory { get; set; }

    /// <summary>TCP port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>Database created at start when missing; <see cref="PrivatePostgresCluster.ConnectionString"/> points at it.</summary>
    public string Database { get; set; } = "cryptodb";

    /// <summary>
    /// Folder holding initdb, pg_ctl and postgres. Null: <c>PG_BIN</c>, else the newest
    /// /usr/lib/postgresql/*/bin, else <c>pg_config --bindir</c>.
    /// </summary>
    public string? BinariesDirectory { get; set; }

    /// <summary>
    /// Password of the <c>postgres</c> user, required on TCP when set. Null: TCP connections from
    /// 127.0.0.1 are trusted. Applies when the data directory is initialised.
    /// </summary>
    public string? Password { get; set; }

    /// <summary>
    /// Flush to disk on commit. Turning it off makes throw-away clusters (tests) faster, at the cost
    /// of the data after an operating system crash.
    /// </summary>
    public bool Fsync { get; set; } = true;

    /// <summary>How long initialisation and start-up may take before start fails.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);
}
