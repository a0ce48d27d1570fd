using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;

namespace CryptoPipeline.Benchmarks.IngestLoad;

/// <summary>
/// The Ingest service as it is deployed: its own assembly (copied into this project's output) run by
/// <c>dotnet exec</c> in a child process, configured only through its environment, with its own runtime settings
/// (server GC, as every ASP.NET Core service). Its CPU time and memory are read from <c>/proc</c>, so nothing of this
/// process (the embedded Kafka brokers among it) is counted.
/// </summary>
internal sealed class IngestProcess : IAsyncDisposable
{
    private const int KeptLines = 200;

    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Queue<string> _recent = new();
    private int _openStreams = 2;

    private IngestProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Collect(e.Data);
        _process.ErrorDataReceived += (_, e) => Collect(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    /// <summary>User plus system CPU time of the service so far.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>The last lines the service printed, for error messages.</summary>
    public string RecentOutput
    {
        get
        {
            lock (_recent)
            {
                return string.Join('\n', _recent);
            }
        }
    }

    public static IngestProcess Start(IReadOnlyDictionary<string, string?> environment)
    {
        var assembly = Path.Combine(AppContext.BaseDirectory, "CryptoPipeline.Ingest.dll");
        if (!File.Exists(assembly))
        {
            throw new FileNotFoundException($"{assembly} is missing: building this project copies the Ingest service next to it.", assembly);
        }

        // The SDK sets DOTNET_HOST_PATH for what `dotnet run` starts; this process itself runs from its apphost.
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
            ArgumentList = { "exec", assembly },
        };
        foreach (var (name, value) in environment)
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        return new IngestProcess(Process.Start(start) ?? throw new InvalidOperationException($"Could not start {assembly}."));
    }

    /// <summary>
    /// Waits for the next printed line that contains one of <paramref name="texts"/> (lines are read once, in order);
    /// fails when the service exits first or time runs out.
    /// </summary>
    public async Task<string> WaitForLineAsync(TimeSpan timeout, params string[] texts)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await foreach (var line in _lines.Reader.ReadAllAsync(deadline.Token))
            {
                if (texts.Any(text => line.Contains(text, StringComparison.Ordinal)))
                {
                    return line;
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new TimeoutException($"The Ingest service printed no line with '{string.Join("' or '", texts)}' within {timeout.TotalSeconds:0} s. Its last lines:\n{RecentOutput}");
        }

        throw new InvalidOperationException($"The Ingest service exited before printing a line with '{string.Join("' or '", texts)}'. Its last lines:\n{RecentOutput}");
    }

    /// <summary>Resident set now and its peak so far (<c>VmRSS</c>, <c>VmHWM</c> of <c>/proc/&lt;pid&gt;/status</c>), in bytes.</summary>
    public (long Resident, long PeakResident) ReadMemory()
    {
        long resident = 0, peak = 0;
        foreach (var line in File.ReadLines($"/proc/{Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                resident = Kilobytes(line);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = Kilobytes(line);
            }
        }

        return (resident, peak);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static long Kilobytes(string statusLine) =>
        1024 * long.Parse(statusLine.AsSpan(6).Trim().TrimEnd("kB").Trim(), NumberStyles.None, CultureInfo.InvariantCulture);

    private void Collect(string? line)
    {
        if (line is null)
        {
            if (Interlocked.Decrement(ref _openStreams) == 0)
            {
                _lines.Writer.TryComplete();
            }

            return;
        }

        lock (_recent)
        {
            _recent.Enqueue(line);
            if (_recent.Count > KeptLines)
            {
                _recent.Dequeue();
            }
        }

        _lines.Writer.TryWrite(line);
    }
}
