using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using CryptoPipeline.EmbeddedPostgres;
using Npgsql;

namespace CryptoPipeline.Database.FunctionalTests.EmbeddedPostgres;

public sealed class PrivatePostgresClusterTests : IDisposable
{
    // Kept data directories of these tests; a temporary one is the cluster's own business.
    private readonly string _keptDirectory = Path.Combine(Path.GetTempPath(), "cryptopipeline-pg-test-" + Guid.NewGuid().ToString("N"));

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        if (Directory.Exists(_keptDirectory))
        {
            Directory.Delete(_keptDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task A_cluster_accepts_connections_on_loopback_and_leaves_nothing_behind_when_disposed()
    {
        var cluster = await PrivatePostgresCluster.StartAsync(new PrivatePostgresOptions { Fsync = false }, cancellationToken: Cancellation);
        var dataDirectory = cluster.DataDirectory;
        var temporaryRoot = Path.GetDirectoryName(dataDirectory)!;

        Assert.Equal("cryptodb", await ScalarAsync<string>(cluster.ConnectionString, "SELECT current_database()"));
        Assert.Equal("127.0.0.1", await ScalarAsync<string>(cluster.ConnectionString, "SHOW listen_addresses"));
        Assert.Equal(dataDirectory, await ScalarAsync<string>(cluster.ConnectionString, "SHOW unix_socket_directories"));
        Assert.Contains(cluster.ServerProcessId, ProcessesOf(dataDirectory));

        // Disposal is idempotent and safe to race.
        await Task.WhenAll(cluster.DisposeAsync().AsTask(), cluster.DisposeAsync().AsTask());

        Assert.Empty(ProcessesOf(dataDirectory));
        using var client = new TcpClient();
        await Assert.ThrowsAsync<SocketException>(() => client.ConnectAsync(IPAddress.Loopback, cluster.Port, Cancellation).AsTask());
        Assert.False(Directory.Exists(temporaryRoot));
    }

    [Fact]
    public async Task A_kept_data_directory_keeps_its_data_across_restarts_even_with_a_stale_pid_file()
    {
        var options = new PrivatePostgresOptions { DataDirectory = _keptDirectory, Fsync = false };
        await using (var first = await PrivatePostgresCluster.StartAsync(options, cancellationToken: Cancellation))
        {
            await ExecuteAsync(first.ConnectionString, "CREATE TABLE kept (value text); INSERT INTO kept VALUES ('survives')");
        }

        Assert.True(File.Exists(Path.Combine(_keptDirectory, "PG_VERSION")));
        // What a crashed run leaves behind, where the PID now belongs to another live process of the
        // server's user: the server itself would refuse to start over such a file.
        using var pidReuser = StartProcessOfServerUser();
        await File.WriteAllTextAsync(Path.Combine(_keptDirectory, "postmaster.pid"), $"{pidReuser.Id}\n{_keptDirectory}\n", Cancellation);

        try
        {
            await using var second = await PrivatePostgresCluster.StartAsync(options, cancellationToken: Cancellation);

            Assert.Equal("survives", await ScalarAsync<string>(second.ConnectionString, "SELECT value FROM kept"));
        }
        finally
        {
            pidReuser.Kill();
            await pidReuser.WaitForExitAsync(Cancellation);
        }
    }

    [Fact]
    public async Task A_server_left_running_on_a_kept_data_directory_is_stopped_by_the_next_start()
    {
        var options = new PrivatePostgresOptions { DataDirectory = _keptDirectory, Fsync = false };
        var abandoned = await PrivatePostgresCluster.StartAsync(options, cancellationToken: Cancellation);
        await ExecuteAsync(abandoned.ConnectionString, "CREATE TABLE kept (value text); INSERT INTO kept VALUES ('survives')");

        await using var next = await PrivatePostgresCluster.StartAsync(options, cancellationToken: Cancellation);

        Assert.NotEqual(abandoned.ServerProcessId, next.ServerProcessId);
        Assert.DoesNotContain(abandoned.ServerProcessId, ProcessesOf(_keptDirectory));
        Assert.Equal("survives", await ScalarAsync<string>(next.ConnectionString, "SELECT value FROM kept"));

        // The abandoned instance must not take the new server down with it.
        await abandoned.DisposeAsync();
        Assert.Equal(1, await ScalarAsync<int>(next.ConnectionString, "SELECT 1"));
    }

    [Fact]
    public async Task With_a_password_only_that_password_connects()
    {
        await using var cluster = await PrivatePostgresCluster.StartAsync(
            new PrivatePostgresOptions { Password = "s3cret'\"pw", Fsync = false }, cancellationToken: Cancellation);
        var wrong = new NpgsqlConnectionStringBuilder(cluster.ConnectionString) { Password = "guess" }.ConnectionString;

        Assert.Equal(1, await ScalarAsync<int>(cluster.ConnectionString, "SELECT 1"));
        var error = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync<int>(wrong, "SELECT 1"));
        Assert.Equal(PostgresErrorCodes.InvalidPassword, error.SqlState);
    }

    [Fact]
    public async Task Missing_server_binaries_fail_naming_the_folder_and_how_to_install_them()
    {
        Directory.CreateDirectory(_keptDirectory);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => PrivatePostgresCluster.StartAsync(
            new PrivatePostgresOptions { BinariesDirectory = _keptDirectory }, cancellationToken: Cancellation));

        Assert.Contains("PostgreSQL server binaries not found", error.Message, StringComparison.Ordinal);
        Assert.Contains(_keptDirectory, error.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install postgresql", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_non_empty_directory_that_holds_no_cluster_is_refused_and_left_untouched()
    {
        Directory.CreateDirectory(_keptDirectory);
        var precious = Path.Combine(_keptDirectory, "notes.txt");
        await File.WriteAllTextAsync(precious, "not a database", Cancellation);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => PrivatePostgresCluster.StartAsync(
            new PrivatePostgresOptions { DataDirectory = _keptDirectory }, cancellationToken: Cancellation));

        Assert.Contains(_keptDirectory, error.Message, StringComparison.Ordinal);
        Assert.Equal(["notes.txt"], Directory.EnumerateFileSystemEntries(_keptDirectory).Select(Path.GetFileName));
    }

    /// <summary>A process that waits for input, running as the user the server runs as (postgres when we are root).</summary>
    private static Process StartProcessOfServerUser()
    {
        var info = Environment.UserName == "root"
            ? new ProcessStartInfo("setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "cat"])
            : new ProcessStartInfo("cat");
        info.RedirectStandardInput = true;
        return Process.Start(info)!;
    }

    /// <summary>Live processes that work in the data directory or name it on their command line (server, watchdog).</summary>
    private static List<int> ProcessesOf(string dataDirectory)
    {
        var found = new List<int>();
        foreach (var process in Process.GetProcesses())
        {
            using (process)
            {
                var proc = $"/proc/{process.Id}";
                try
                {
                    // The state follows the parenthesised command name, which may itself hold spaces.
                    var stat = File.ReadAllText($"{proc}/stat");
                    if (stat[stat.LastIndexOf(')') + 2] == 'Z')
                    {
                        continue;
                    }

                    var commandLine = File.ReadAllText($"{proc}/cmdline").Replace('\0', ' ');
                    if (commandLine.Contains(dataDirectory, StringComparison.Ordinal)
                        || new DirectoryInfo($"{proc}/cwd").LinkTarget == dataDirectory)
                    {
                        found.Add(process.Id);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // The process ended while we looked.
                }
            }
        }

        return found;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Cancellation);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Cancellation);
    }

    private static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Cancellation);
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(Cancellation))!;
    }
}
