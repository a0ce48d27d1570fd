using CryptoPipeline.Testing;

namespace CryptoPipeline.Standalone.FunctionalTests;

/// <summary>The Standalone host as a user runs it: its own process, configured by command line and environment.</summary>
internal static class StandaloneProcess
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);

    private static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "standalone", "CryptoPipeline.Standalone.dll");

    /// <summary>
    /// Starts Standalone on a free loopback port with its data in <paramref name="dataDirectory"/>, no exporter, and neither
    /// connection string unless <paramref name="environment"/> sets one.
    /// </summary>
    public static ServiceProcess Start(string dataDirectory, IReadOnlyDictionary<string, string?>? environment, params string[] arguments)
    {
        var variables = new Dictionary<string, string?>
        {
            ["Standalone__DataDirectory"] = dataDirectory,
            ["ConnectionStrings__kafka"] = null,
            ["ConnectionStrings__cryptodb"] = null,
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = null,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            variables[key] = value;
        }

        return ServiceProcess.Start(Dll, variables, ["--urls", "http://127.0.0.1:0", .. arguments]);
    }

    /// <summary>What the start-up banner says; waits for it.</summary>
    public static async Task<Banner> ReadBannerAsync(ServiceProcess standalone, CancellationToken cancellation)
    {
        async Task<string> Line(string label) =>
            Value(await standalone.WaitForLineAsync(line => line.TrimStart().StartsWith(label + ":", StringComparison.Ordinal), StartTimeout, cancellation));

        return new Banner(await Line("source"), await Line("dashboard"), await Line("kafka"), await Line("postgresql"));
    }

    /// <summary>
    /// A folder the server can use: it runs as the postgres user when we are root and must be able to enter the folder,
    /// which CreateTempSubdirectory makes private to its owner.
    /// </summary>
    public static string CreateDataDirectory()
    {
        var directory = Directory.CreateTempSubdirectory("cryptopipeline-standalone-");
        if (!OperatingSystem.IsWindows())
        {
            directory.UnixFileMode |= UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        }

        return directory.FullName;
    }

    // "  kafka:       127.0.0.1:40539  (embedded, in memory)" → "127.0.0.1:40539"
    private static string Value(string line) =>
        line.Trim().Split(' ', 2)[1].Trim().Split("  ", 2)[0].TrimEnd(',');
}

/// <param name="Source">What feeds the pipeline, as the banner describes it.</param>
/// <param name="Dashboard">The dashboard's URL; the APIs are below it.</param>
/// <param name="Kafka">The Kafka bootstrap servers.</param>
/// <param name="Postgres">The PostgreSQL connection, without its password.</param>
internal sealed record Banner(string Source, string Dashboard, string Kafka, string Postgres);
