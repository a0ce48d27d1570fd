using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using CryptoPipeline.Benchmarks.Measurement;

namespace CryptoPipeline.Benchmarks.PipelineLoad;

/// <summary>
/// One of the pipeline's services as a child process (<c>dotnet exec CryptoPipeline.X.dll</c> from this program's
/// output folder, where the project references copy them), configured by environment variables only, as an
/// orchestrator starts it. It listens on its own loopback port; the tail of its output is kept for failure messages.
/// </summary>
internal sealed class ChildService : IAsyncDisposable
{
    private const int Sigterm = 15;
    private const int MaxOutputChars = 16_000;
    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(5) };

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ChildService(string name, Process process, Uri address)
    {
        Name = name;
        _process = process;
        Address = address;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int Id => _process.Id;

    public Uri Address { get; }

    public bool HasExited => _process.HasExited;

    public string OutputTail
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts <c>CryptoPipeline.<paramref name="name"/>.dll</c> on a free loopback port.</summary>
    public static ChildService Start(string name, IReadOnlyDictionary<string, string> environment)
    {
        var start = ServiceAssembly.StartInfo(name);
        var address = new Uri($"http://127.0.0.1:{FreePort()}");

        // No telemetry export from the services under load, whatever this shell exports.
        foreach (var variable in start.Environment.Keys.Where(k => k.StartsWith("OTEL_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(variable);
        }

        start.Environment["ASPNETCORE_URLS"] = address.ToString();
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return new ChildService(name, Process.Start(start) ?? throw new InvalidOperationException($"Could not start CryptoPipeline.{name}."), address);
    }

    /// <summary>Waits until <c>/health</c> answers 200 (the service migrated PostgreSQL and reached its dependencies).</summary>
    public async Task WaitUntilHealthyAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} while starting:\n{OutputTail}");
            }

            try
            {
                using var response = await Probe.GetAsync(new Uri(Address, "/health"));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{Name} was not healthy within {timeout.TotalSeconds:0} s:\n{OutputTail}");
    }

    public double CpuSeconds() => ProcFs.CpuSeconds(_process.Id);

    public double? PeakResidentMebibytes() => ProcFs.PeakResidentMebibytes(_process.Id);

    /// <summary>SIGTERM, as an orchestrator stops a service; killed when it has not exited after 15 s.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, Sigterm);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
            if (_output.Length > MaxOutputChars)
            {
                _output.Remove(0, _output.Length - MaxOutputChars);
            }
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
