using System.Diagnostics;
using System.Threading.Channels;
using CryptoPipeline.Benchmarks.Measurement;

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
        var start = ServiceAssembly.StartInfo("Ingest");
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

        return new IngestProcess(Process.Start(start) ?? throw new InvalidOperationException("Could not start CryptoPipeline.Ingest."));
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

    /// <summary>Resident set now and its peak so far, in bytes.</summary>
    public (long Resident, long PeakResident) ReadMemory() =>
        ProcFs.Memory(Id) ?? throw new InvalidOperationException($"The Ingest service (process {Id}) has exited. Its last lines:\n{RecentOutput}");

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

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
