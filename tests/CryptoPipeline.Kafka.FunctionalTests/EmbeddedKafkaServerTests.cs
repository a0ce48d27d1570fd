using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using CryptoPipeline.Contracts;

namespace CryptoPipeline.Kafka.FunctionalTests;

/// <summary>
/// Runs CryptoPipeline.EmbeddedKafka.Server as its own process and talks to it with Debian's
/// kcat, a Kafka client that shares nothing with .NET.
/// </summary>
public sealed class EmbeddedKafkaServerTests
{
    private const int Sigterm = 15;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly string ServerDll = Path.Combine(AppContext.BaseDirectory, "embedded-kafka-server", "CryptoPipeline.EmbeddedKafka.Server.dll");

    [Fact]
    public async Task Server_serves_kcat_and_exits_cleanly_on_SIGTERM()
    {
        var cancellation = TestContext.Current.CancellationToken;
        using var server = StartServer("--brokers", "1", "--topics", "--partitions", "3");
        var errors = server.StandardError.ReadToEndAsync(cancellation);
        try
        {
            var firstLine = await server.StandardOutput.ReadLineAsync(cancellation).AsTask().WaitAsync(Timeout, cancellation);
            Assert.NotNull(firstLine);
            Assert.StartsWith("bootstrap.servers=127.0.0.1:", firstLine, StringComparison.Ordinal);
            var bootstrap = firstLine["bootstrap.servers=".Length..];

            using var metadata = JsonDocument.Parse(await Kcat(cancellation, null, "-b", bootstrap, "-L", "-J", "-t", Topics.RawTrades));
            Assert.Equal(3, metadata.RootElement.GetProperty("topics")[0].GetProperty("partitions").GetArrayLength());

            await Kcat(cancellation, "BTCUSDT:{\"v\":1}\n", "-b", bootstrap, "-t", Topics.RawTrades, "-P", "-K:");
            var consumed = await Kcat(cancellation, null, "-b", bootstrap, "-t", Topics.RawTrades, "-C", "-o", "beginning", "-c", "1", "-e", "-f", "%k=%s\\n");
            Assert.Equal("BTCUSDT={\"v\":1}", consumed.Trim());

            Assert.Equal(0, Kill(server.Id, Sigterm));
            await server.WaitForExitAsync(cancellation).WaitAsync(Timeout, cancellation);
            Assert.Equal(0, server.ExitCode);
            Assert.Contains("Embedded Kafka stopped.", await errors, StringComparison.Ordinal);
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task Server_rejects_an_unknown_argument_with_its_usage()
    {
        var cancellation = TestContext.Current.CancellationToken;
        using var server = StartServer("--brokers", "2", "--bogus");
        var errors = server.StandardError.ReadToEndAsync(cancellation);

        await server.WaitForExitAsync(cancellation).WaitAsync(Timeout, cancellation);

        Assert.Equal(2, server.ExitCode);
        var text = await errors;
        Assert.Contains("Unknown argument '--bogus'", text, StringComparison.Ordinal);
        Assert.Contains("Usage:", text, StringComparison.Ordinal);
    }

    private static Process StartServer(params string[] arguments)
    {
        Assert.True(File.Exists(ServerDll), $"{ServerDll} is missing: the test project copies it from CryptoPipeline.EmbeddedKafka.Server when it builds.");
        // The SDK sets DOTNET_HOST_PATH for the processes it runs; the test process itself is an apphost.
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(ServerDll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"Could not start {ServerDll}.");
    }

    private static async Task<string> Kcat(CancellationToken cancellation, string? input, params string[] arguments)
    {
        var start = new ProcessStartInfo("kcat")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process kcat;
        try
        {
            kcat = Process.Start(start)!;
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException("kcat is not installed; on Debian: apt-get install -y kcat", ex);
        }

        using (kcat)
        {
            await kcat.StandardInput.WriteAsync(input);
            kcat.StandardInput.Close();
            var output = kcat.StandardOutput.ReadToEndAsync(cancellation);
            var errors = kcat.StandardError.ReadToEndAsync(cancellation);
            await kcat.WaitForExitAsync(cancellation).WaitAsync(Timeout, cancellation);
            Assert.True(kcat.ExitCode == 0, $"kcat {string.Join(' ', arguments)} exited with {kcat.ExitCode}: {await errors}");
            return await output;
        }
    }

    // Process.Kill sends SIGKILL; a clean shutdown is what SIGTERM (docker stop, systemd) asks for.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
