using System.Diagnostics;
using System.Text;

namespace CryptoPipeline.Processor.FunctionalTests.Infrastructure;

/// <summary>
/// The Processor executable as a child process, configured only by environment variables, as the Aspire
/// AppHost starts it (<c>ConnectionStrings__kafka</c>, <c>ConnectionStrings__cryptodb</c>).
/// </summary>
internal sealed class ProcessorProcess : IDisposable
{
    private const int MaxOutputChars = 64_000;

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ProcessorProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public bool HasExited => _process.HasExited;

    /// <summary>What the process wrote so far (its tail), for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static ProcessorProcess Start(string kafka, string database, IDictionary<string, string> environment)
    {
        // The test output holds the referenced executable with its runtimeconfig and deps files.
        var info = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "CryptoPipeline.Processor.dll"));
        info.Environment["ConnectionStrings__kafka"] = kafka;
        info.Environment["ConnectionStrings__cryptodb"] = database;
        info.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        return new ProcessorProcess(Process.Start(info) ?? throw new InvalidOperationException("Could not start the Processor process."));
    }

    /// <summary>SIGKILL: no shutdown code runs, the consumer does not leave its group, nothing is flushed.</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
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
}
