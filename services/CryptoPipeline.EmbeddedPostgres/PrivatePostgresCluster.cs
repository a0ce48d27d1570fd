using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CryptoPipeline.EmbeddedPostgres;

/// <summary>
/// A PostgreSQL server of this process's own, listening on 127.0.0.1 only: for tests and for
/// Standalone on a machine without Docker. It uses the installed server binaries (no download).
/// Disposing stops the server and deletes a temporary data directory. A watchdog process does the
/// same when this process dies without disposing (crash, kill -9), and a server still left running
/// on a kept data directory is stopped by the next start.
/// </summary>
public sealed class PrivatePostgresCluster : IAsyncDisposable
{
    private const string Host = "127.0.0.1";
    private const string SuperUser = "postgres";
    private const string ConfigFileName = "cryptopipeline.conf";
    private const string LogFileName = "server.log";
    private const int FreePortAttempts = 3;
    private const int LogTailLines = 30;

    // The server's Unix socket lives in the data directory (not /var/run/postgresql, which may not
    // exist or belong to another server); a socket path is limited to 107 bytes.
    private const int MaxSocketPathLength = 107;

    // Runs detached (own session, so a Ctrl+C aimed at this process's group does not reach it) and
    // waits for end of input, which comes when this process closes the pipe or dies. It stops the
    // server only if the data directory still belongs to the server it was started for.
    private const string WatchdogScript = """
        exec >/dev/null 2>&1
        while read -r _; do :; done
        data=$1 pid=$2 temp=$3
        shift 3
        if [ "$(head -n 1 "$data/postmaster.pid")" = "$pid" ]; then "$@" stop -D "$data" -m fast -w; fi
        if [ -n "$temp" ]; then rm -rf "$temp"; fi
        """;

    private readonly ILogger _logger;
    private readonly string? _temporaryRoot;
    private readonly string? _password;
    private readonly Process _watchdog;
    private readonly Lock _gate = new();
    private Task? _disposal;

    private PrivatePostgresCluster(
        ILogger logger, string? temporaryRoot, string dataDirectory, string binariesDirectory,
        int port, int serverProcessId, string database, string? password, Process watchdog)
    {
        _logger = logger;
        _temporaryRoot = temporaryRoot;
        _password = password;
        _watchdog = watchdog;
        DataDirectory = dataDirectory;
        BinariesDirectory = binariesDirectory;
        Port = port;
        ServerProcessId = serverProcessId;
        Database = database;
        ConnectionString = GetConnectionString(database);
    }

    public string DataDirectory { get; }

    public string BinariesDirectory { get; }

    public int Port { get; }

    /// <summary>Process id of the postmaster.</summary>
    public int ServerProcessId { get; }

    public string Database { get; }

    /// <summary>Npgsql connection string of <see cref="Database"/>, as user <c>postgres</c>.</summary>
    public string ConnectionString { get; }

    /// <summary>Npgsql connection string of another database on this server (it need not exist).</summary>
    public string GetConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = Host,
        Port = Port,
        Username = SuperUser,
        Password = _password,
        Database = database,
    }.ConnectionString;

    /// <summary>
    /// Initialises the data directory when needed, starts the server, waits until it accepts
    /// connections and creates <see cref="PrivatePostgresOptions.Database"/> when missing.
    /// </summary>
    public static async Task<PrivatePostgresCluster> StartAsync(
        PrivatePostgresOptions? options = null, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("PrivatePostgresCluster runs on Linux (it relies on runuser, setsid and /proc).");
        }

        options ??= new PrivatePostgresOptions();
        Validate(options);
        logger ??= NullLogger.Instance;
        var clock = Stopwatch.StartNew();
        var binaries = PostgresBinaries.Locate(options.BinariesDirectory);
        var pgCtl = Path.Combine(binaries, "pg_ctl");

        string? temporaryRoot = null;
        string dataDirectory;
        if (options.DataDirectory is null)
        {
            temporaryRoot = Directory.CreateTempSubdirectory("cryptopipeline-pg-").FullName;
            dataDirectory = Path.Combine(temporaryRoot, "data");
        }
        else
        {
            dataDirectory = Path.GetFullPath(options.DataDirectory);
        }

        using var timeout = new CancellationTokenSource(options.StartTimeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        Process? watchdog = null;
        try
        {
            await InitializeIfNeededAsync(binaries, dataDirectory, temporaryRoot, options, logger, linked.Token);
            await StopLeftoverServerAsync(pgCtl, dataDirectory, logger, linked.Token);
            var port = await StartServerAsync(pgCtl, dataDirectory, options, options.StartTimeout - clock.Elapsed, logger, linked.Token);
            var serverProcessId = ReadServerProcessId(dataDirectory)
                ?? throw new InvalidOperationException($"PostgreSQL started but left no postmaster.pid in {dataDirectory}.");
            watchdog = StartWatchdog(pgCtl, dataDirectory, serverProcessId, temporaryRoot);
            var cluster = new PrivatePostgresCluster(
                logger, temporaryRoot, dataDirectory, binaries, port, serverProcessId, options.Database, options.Password, watchdog);
            await cluster.CreateDatabaseAsync(options.Database, linked.Token);
            logger.LogInformation(
                "PostgreSQL started on {Host}:{Port} (data directory {DataDirectory}, PID {Pid}) in {ElapsedMs} ms",
                Host, port, dataDirectory, serverProcessId, clock.ElapsedMilliseconds);
            return cluster;
        }
        catch (Exception e)
        {
            await CleanUpFailedStartAsync(watchdog, pgCtl, dataDirectory, temporaryRoot, logger);
            if (e is OperationCanceledException && timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException(
                    $"PostgreSQL in {dataDirectory} did not start within {options.StartTimeout} ({nameof(PrivatePostgresOptions)}.{nameof(PrivatePostgresOptions.StartTimeout)}).", e);
            }

            throw;
        }
    }

    /// <summary>Stops the server (fast shutdown: open sessions are ended) and deletes a temporary data directory.</summary>
    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            _disposal ??= StopAsync();
        }

        return new ValueTask(_disposal);
    }

    private async Task StopAsync()
    {
        // First, so that it cannot stop a later server on the same (kept) data directory.
        await StopWatchdogAsync(_watchdog);
        var pgCtl = Path.Combine(BinariesDirectory, "pg_ctl");

        // A later cluster on the same kept directory may have replaced this server already.
        if (ReadServerProcessId(DataDirectory) == ServerProcessId)
        {
            await StopServerAsync(pgCtl, DataDirectory, CancellationToken.None);
            _logger.LogInformation("PostgreSQL on {Host}:{Port} stopped", Host, Port);
        }

        if (_temporaryRoot is not null)
        {
            Directory.Delete(_temporaryRoot, recursive: true);
        }
    }

    /// <summary>
    /// Stops whatever this start got running (a cancelled pg_ctl may leave a server starting).
    /// Best effort: a failure here must not hide why the start failed.
    /// </summary>
    private static async Task CleanUpFailedStartAsync(
        Process? watchdog, string pgCtl, string dataDirectory, string? temporaryRoot, ILogger logger)
    {
        try
        {
            if (watchdog is not null)
            {
                await StopWatchdogAsync(watchdog);
            }

            await StopServerAsync(pgCtl, dataDirectory, CancellationToken.None);

            if (temporaryRoot is not null)
            {
                Directory.Delete(temporaryRoot, recursive: true);
            }
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not clean up after PostgreSQL failed to start in {DataDirectory}", dataDirectory);
        }
    }

    private static void Validate(PrivatePostgresOptions options)
    {
        if (options.Port is < 0 or > 65535)
        {
            throw new ArgumentException($"{nameof(PrivatePostgresOptions.Port)} must be between 0 and 65535, got {options.Port}.", nameof(options));
        }

        if (string.IsNullOrWhiteSpace(options.Database))
        {
            throw new ArgumentException($"{nameof(PrivatePostgresOptions.Database)} must name a database.", nameof(options));
        }

        if (options.StartTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(PrivatePostgresOptions.StartTimeout)} must be positive, got {options.StartTimeout}.", nameof(options));
        }
    }

    private static async Task InitializeIfNeededAsync(
        string binaries, string dataDirectory, string? temporaryRoot, PrivatePostgresOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        if (File.Exists(Path.Combine(dataDirectory, "PG_VERSION")))
        {
            return;
        }

        if (Directory.Exists(dataDirectory) && Directory.EnumerateFileSystemEntries(dataDirectory).Any())
        {
            throw new InvalidOperationException(
                $"Data directory {dataDirectory} is not empty but holds no PostgreSQL cluster (no PG_VERSION); choose an empty or new directory.");
        }

        var clock = Stopwatch.StartNew();
        // initdb narrows the permissions to the server's user.
        Directory.CreateDirectory(dataDirectory);
        await PostgresCommand.GiveToServiceUserAsync(temporaryRoot ?? dataDirectory, cancellationToken);

        var arguments = new List<string>
        {
            "-D", dataDirectory, "-U", SuperUser, "-E", "UTF8", "--locale=C", "--no-instructions",
            // Only the server's own user can reach the socket (it is inside the data directory).
            "--auth-local=trust",
            options.Password is null ? "--auth-host=trust" : "--auth-host=scram-sha-256",
        };
        if (!options.Fsync)
        {
            arguments.Add("--no-sync");
        }

        string? passwordDirectory = null;
        try
        {
            if (options.Password is not null)
            {
                passwordDirectory = Directory.CreateTempSubdirectory("cryptopipeline-pgpw-").FullName;
                var passwordFile = Path.Combine(passwordDirectory, "password");
                await File.WriteAllTextAsync(passwordFile, options.Password + "\n", cancellationToken);
                await PostgresCommand.GiveToServiceUserAsync(passwordDirectory, cancellationToken);
                arguments.Add("--pwfile=" + passwordFile);
            }

            var (exitCode, output) = await PostgresCommand.RunAsync(Path.Combine(binaries, "initdb"), arguments, cancellationToken);
            if (exitCode != 0)
            {
                var hint = PostgresCommand.RunsAsServiceUser
                    ? $" The server runs as the {PostgresCommand.ServiceUser} user, which must be able to reach every folder above the data directory."
                    : "";
                throw new InvalidOperationException($"initdb failed for {dataDirectory} (exit code {exitCode}).{hint}\n{output.Trim()}");
            }
        }
        finally
        {
            if (passwordDirectory is not null)
            {
                Directory.Delete(passwordDirectory, recursive: true);
            }
        }

        // The settings that change per start (port) live in a file of their own, rewritten at each start.
        await File.AppendAllTextAsync(
            Path.Combine(dataDirectory, "postgresql.conf"), $"\ninclude_if_exists = '{ConfigFileName}'\n", cancellationToken);
        logger.LogInformation("Initialised PostgreSQL data directory {DataDirectory} in {ElapsedMs} ms", dataDirectory, clock.ElapsedMilliseconds);
    }

    private static async Task StopLeftoverServerAsync(string pgCtl, string dataDirectory, ILogger logger, CancellationToken cancellationToken)
    {
        var pidFile = Path.Combine(dataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile))
        {
            return;
        }

        if (ReadServerProcessId(dataDirectory) is { } pid && IsServerOf(pid, dataDirectory))
        {
            logger.LogWarning("Stopping the PostgreSQL server (PID {Pid}) that an earlier run left running on {DataDirectory}", pid, dataDirectory);
            await StopServerAsync(pgCtl, dataDirectory, cancellationToken);
        }
        else
        {
            // Stale: the server died with its owner. Left in place, it would make the new server
            // refuse to start once its PID belongs to another process (containers reuse PIDs fast).
            File.Delete(pidFile);
        }
    }

    private static async Task<int> StartServerAsync(
        string pgCtl, string dataDirectory, PrivatePostgresOptions options, TimeSpan timeLeft, ILogger logger, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var logFile = Path.Combine(dataDirectory, LogFileName);
        for (var attempt = 1; ; attempt++)
        {
            // A port found free can be taken by someone else before the server binds it: retry.
            var port = options.Port == 0 ? FreePort() : options.Port;
            await File.WriteAllTextAsync(Path.Combine(dataDirectory, ConfigFileName), Settings(dataDirectory, port, options.Fsync), cancellationToken);
            var logStart = File.Exists(logFile) ? new FileInfo(logFile).Length : 0;

            // pg_ctl waits until the server reports that it accepts connections, or the time is up.
            var seconds = Math.Max(1, (int)Math.Ceiling((timeLeft - clock.Elapsed).TotalSeconds));
            var (exitCode, output) = await PostgresCommand.RunAsync(
                pgCtl, ["start", "-D", dataDirectory, "-l", logFile, "-w", "-t", seconds.ToString(CultureInfo.InvariantCulture), "-s"], cancellationToken);
            if (exitCode == 0)
            {
                return port;
            }

            var log = ReadFrom(logFile, logStart);
            // pg_ctl gives up waiting, not the server: one still starting must not linger.
            await CleanUpFailedStartAsync(null, pgCtl, dataDirectory, null, logger);
            if (options.Port == 0 && attempt < FreePortAttempts && log.Contains("Address already in use", StringComparison.Ordinal))
            {
                logger.LogDebug("Port {Port} was taken before PostgreSQL bound it; trying another", port);
                continue;
            }

            throw new InvalidOperationException(
                $"PostgreSQL did not start on {Host}:{port} (data directory {dataDirectory}, pg_ctl exit code {exitCode}): {output.Trim()}\n" +
                $"Last lines of the server log {logFile}:\n{Tail(log)}");
        }
    }

    private static string Settings(string dataDirectory, int port, bool fsync)
    {
        var socketDirectory = dataDirectory.Length + "/.s.PGSQL.65535".Length <= MaxSocketPathLength ? dataDirectory : "";
        var flush = fsync ? "on" : "off";
        return $"""
            # Written by PrivatePostgresCluster at every start; edits here are overwritten.
            listen_addresses = '{Host}'
            port = {port}
            unix_socket_directories = '{socketDirectory.Replace("'", "''", StringComparison.Ordinal)}'
            fsync = {flush}
            synchronous_commit = {flush}
            full_page_writes = {flush}
            timezone = 'UTC'
            log_timezone = 'UTC'

            """;
    }

    private async Task CreateDatabaseAsync(string database, CancellationToken cancellationToken)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(GetConnectionString("postgres")) { Pooling = false }.ConnectionString;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", connection);
        exists.Parameters.AddWithValue("name", database);
        if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
        {
            return;
        }

        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", connection);
        try
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
            _logger.LogInformation("Created database {Database}", database);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            // A client that was waiting for this server (e.g. a service's migrator) created it first.
        }
    }

    private static async Task StopServerAsync(string pgCtl, string dataDirectory, CancellationToken cancellationToken)
    {
        // pg_ctl signals whatever PID the lock file names: make sure it is this directory's server.
        if (ReadServerProcessId(dataDirectory) is not { } pid || !IsServerOf(pid, dataDirectory))
        {
            return;
        }

        var (exitCode, output) = await PostgresCommand.RunAsync(pgCtl, ["stop", "-D", dataDirectory, "-m", "fast", "-w", "-t", "60", "-s"], cancellationToken);
        if (exitCode != 0 && File.Exists(Path.Combine(dataDirectory, "postmaster.pid")))
        {
            // Fast shutdown waits for nothing but a checkpoint; if even that hangs, abort.
            var (immediateExit, immediateOutput) = await PostgresCommand.RunAsync(
                pgCtl, ["stop", "-D", dataDirectory, "-m", "immediate", "-w", "-t", "60", "-s"], cancellationToken);
            if (immediateExit != 0 && File.Exists(Path.Combine(dataDirectory, "postmaster.pid")))
            {
                throw new InvalidOperationException(
                    $"Could not stop PostgreSQL in {dataDirectory}: {output.Trim()} / {immediateOutput.Trim()}");
            }
        }
    }

    private static Process StartWatchdog(string pgCtl, string dataDirectory, int serverProcessId, string? temporaryRoot)
    {
        var info = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/",
        };
        var stop = PostgresCommand.StartInfo(pgCtl, []);
        string[] arguments =
        [
            "sh", "-c", WatchdogScript, "cryptopipeline-pg-watchdog",
            dataDirectory, serverProcessId.ToString(CultureInfo.InvariantCulture), temporaryRoot ?? "",
            stop.FileName, .. stop.ArgumentList,
        ];
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("Could not start the PostgreSQL watchdog (setsid sh).");
    }

    private static async Task StopWatchdogAsync(Process watchdog)
    {
        watchdog.Kill();
        await watchdog.WaitForExitAsync();
        watchdog.Dispose();
    }

    private static int? ReadServerProcessId(string dataDirectory)
    {
        try
        {
            using var reader = new StreamReader(Path.Combine(dataDirectory, "postmaster.pid"));
            return int.TryParse(reader.ReadLine(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>True when the process is a PostgreSQL process of this data directory (it works in it).</summary>
    private static bool IsServerOf(int pid, string dataDirectory)
    {
        try
        {
            var workingDirectory = new DirectoryInfo($"/proc/{pid}/cwd").LinkTarget;
            return workingDirectory is not null
                && Path.TrimEndingDirectorySeparator(workingDirectory) == Path.TrimEndingDirectorySeparator(dataDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string ReadFrom(string file, long offset)
    {
        if (!File.Exists(file))
        {
            return "";
        }

        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(Math.Min(offset, stream.Length), SeekOrigin.Begin);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private static string Tail(string log)
    {
        var lines = log.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return string.Join('\n', lines.TakeLast(LogTailLines));
    }
}
