using System.Diagnostics;

namespace CryptoPipeline.Benchmarks.Measurement;

/// <summary>
/// How a benchmark starts one of the pipeline's services as deployed: <c>dotnet exec CryptoPipeline.&lt;name&gt;.dll</c>
/// from this program's output folder (the project references copy the services there), output redirected.
/// </summary>
internal static class ServiceAssembly
{
    public static ProcessStartInfo StartInfo(string name)
    {
        var assembly = Path.Combine(AppContext.BaseDirectory, $"CryptoPipeline.{name}.dll");
        if (!File.Exists(assembly))
        {
            throw new FileNotFoundException(
                $"{assembly} is missing: CryptoPipeline.Benchmarks references the {name} project so that its build copies the service here.", assembly);
        }

        // The SDK sets DOTNET_HOST_PATH for what it runs; a published or apphost start falls back to dotnet on the PATH.
        return new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
            ArgumentList = { "exec", assembly },
        };
    }
}
