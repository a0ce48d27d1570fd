using System.ComponentModel;
using System.Diagnostics;

namespace CryptoPipeline.EmbeddedPostgres;

/// <summary>Finds the PostgreSQL server programs (initdb, pg_ctl, postgres).</summary>
internal static class PostgresBinaries
{
    public const string EnvironmentVariable = "PG_BIN";

    private const string DistributionRoot = "/usr/lib/postgresql";

    private static readonly string[] Programs = ["initdb", "pg_ctl", "postgres"];

    public static string Locate(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Contains(configured) ? Path.GetFullPath(configured) : throw NotFound(
                $"in '{configured}' ({nameof(PrivatePostgresOptions)}.{nameof(PrivatePostgresOptions.BinariesDirectory)})");
        }

        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return Contains(fromEnvironment) ? Path.GetFullPath(fromEnvironment) : throw NotFound(
                $"in '{fromEnvironment}' (environment variable {EnvironmentVariable})");
        }

        var distribution = Directory.Exists(DistributionRoot)
            ? Directory.GetDirectories(DistributionRoot)
                .Select(d => (Version: int.TryParse(Path.GetFileName(d), out var v) ? v : -1, Bin: Path.Combine(d, "bin")))
                .Where(c => c.Version >= 0 && Contains(c.Bin))
                .OrderByDescending(c => c.Version)
                .Select(c => c.Bin)
                .FirstOrDefault()
            : null;
        if (distribution is not null)
        {
            return distribution;
        }

        var fromPgConfig = PgConfigBinDir();
        return fromPgConfig is not null && Contains(fromPgConfig) ? fromPgConfig : throw NotFound(
            $"({EnvironmentVariable} is not set, {DistributionRoot}/*/bin has none" +
            (fromPgConfig is null ? ", pg_config is not on PATH)" : $", pg_config --bindir names '{fromPgConfig}', which has none)"));
    }

    private static bool Contains(string directory) => Programs.All(p => File.Exists(Path.Combine(directory, p)));

    private static string? PgConfigBinDir()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("pg_config", "--bindir")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            var output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return process.ExitCode == 0 && output.Length > 0 ? output : null;
        }
        catch (Win32Exception)
        {
            return null;
        }
    }

    private static InvalidOperationException NotFound(string where) =>
        new($"PostgreSQL server binaries not found {where}: the folder must hold {string.Join(", ", Programs)}. " +
            $"Install them (apt-get install postgresql) or set {EnvironmentVariable} to their folder.");
}
