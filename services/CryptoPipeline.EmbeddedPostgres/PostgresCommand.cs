using System.Diagnostics;
using System.Text;

namespace CryptoPipeline.EmbeddedPostgres;

/// <summary>
/// Runs the PostgreSQL tools. initdb and pg_ctl refuse to run as root, so as root they run as the
/// <c>postgres</c> user through runuser, and the directories they use belong to that user.
/// </summary>
internal static class PostgresCommand
{
    public const string ServiceUser = "postgres";

    public static bool RunsAsServiceUser { get; } = Environment.UserName == "root";

    public static ProcessStartInfo StartInfo(string program, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // The caller's directory may be unreadable for the postgres user (e.g. /root).
            WorkingDirectory = "/",
        };
        if (RunsAsServiceUser)
        {
            info.FileName = "runuser";
            info.ArgumentList.Add("-u");
            info.ArgumentList.Add(ServiceUser);
            info.ArgumentList.Add("--");
            info.ArgumentList.Add(program);
        }
        else
        {
            info.FileName = program;
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    /// <summary>Runs a tool to completion and returns its exit code and combined output.</summary>
    public static Task<(int ExitCode, string Output)> RunAsync(string program, IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        RunAsync(StartInfo(program, arguments), cancellationToken);

    /// <summary>Gives a directory tree to the postgres user when the tools run as that user.</summary>
    public static async Task GiveToServiceUserAsync(string path, CancellationToken cancellationToken)
    {
        if (!RunsAsServiceUser)
        {
            return;
        }

        var info = new ProcessStartInfo("chown") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["-R", $"{ServiceUser}:", path])
        {
            info.ArgumentList.Add(argument);
        }

        var (exitCode, output) = await RunAsync(info, cancellationToken);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"Could not give '{path}' to the {ServiceUser} user (chown exit code {exitCode}): {output.Trim()}");
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(ProcessStartInfo info, CancellationToken cancellationToken)
    {
        using var process = Process.Start(info)
            ?? throw new InvalidOperationException($"Could not start {info.FileName}.");
        var output = new StringBuilder();
        var stdout = PumpAsync(process.StandardOutput, output);
        var stderr = PumpAsync(process.StandardError, output);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        await Task.WhenAll(stdout, stderr);
        return (process.ExitCode, output.ToString());
    }

    private static async Task PumpAsync(StreamReader reader, StringBuilder output)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }
}
