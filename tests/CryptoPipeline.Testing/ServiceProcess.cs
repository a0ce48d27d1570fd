using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace CryptoPipeline.Testing;

/// <summary>
/// One of our applications running as a child process (<c>dotnet exec app.dll</c>), configured
/// only through its command line and environment, exactly as a host or orchestrator would. Its
/// output is collected line by line so tests can wait for what it prints.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    public const int Sigterm = 15;
    public const int Sigkill = 9;

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private ServiceProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Collect(e.Data);
        _process.ErrorDataReceived += (_, e) => Collect(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Everything printed so far, stdout and stderr interleaved.</summary>
    public string Output => string.Join('\n', _output);

    /// <summary>
    /// Starts <paramref name="assemblyPath"/> with the <c>dotnet</c> host that runs the tests.
    /// <paramref name="environment"/> entries with a null value are removed from the inherited environment.
    /// </summary>
    public static ServiceProcess Start(string assemblyPath, IReadOnlyDictionary<string, string?> environment, params string[] arguments)
    {
        if (!File.Exists(assemblyPath))
        {
            throw new FileNotFoundException($"{assemblyPath} is missing: the test project copies it when it builds.", assemblyPath);
        }

        // The SDK sets DOTNET_HOST_PATH for the processes it runs; the test process itself is an apphost.
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(assemblyPath)!,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(assemblyPath);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

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

        return new ServiceProcess(Process.Start(start) ?? throw new InvalidOperationException($"Could not start {assemblyPath}."));
    }

    /// <summary>Waits until a printed line satisfies <paramref name="match"/> and returns it.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        string? found = null;
        await Eventually.Until(
            () => Task.FromResult(found = _output.FirstOrDefault(match)),
            line => line is not null || _process.HasExited,
            timeout,
            "a matching line from the process",
            cancellationToken);
        return found ?? throw new InvalidOperationException($"The process exited with code {_process.ExitCode} before printing the line. Output:\n{Output}");
    }

    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), $"kill({_process.Id}, {signal}) failed");
        }
    }

    public Task WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        _process.WaitForExitAsync(cancellationToken).WaitAsync(timeout, cancellationToken);

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
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
