namespace CryptoPipeline.Testing;

/// <summary>
/// Locates the recorded exchange data in <c>shared/data</c>: <c>CRYPTO_SHARED_DATA</c> when set,
/// else the first <c>shared/data</c> found walking up from the test assembly.
/// </summary>
public static class SharedData
{
    private static readonly Lazy<string> Root = new(Locate);

    public static string Directory => Root.Value;

    /// <summary>Full path of a file below shared/data, e.g. <c>Path("binance/rest/...")</c>.</summary>
    public static string Path(string relative)
    {
        var path = System.IO.Path.Combine(Directory, relative);
        return File.Exists(path) || System.IO.Directory.Exists(path)
            ? path
            : throw new FileNotFoundException($"Recorded data file '{relative}' is missing under {Directory}.", path);
    }

    private static string Locate()
    {
        var configured = Environment.GetEnvironmentVariable("CRYPTO_SHARED_DATA");
        if (!string.IsNullOrEmpty(configured))
        {
            return System.IO.Directory.Exists(configured)
                ? configured
                : throw new DirectoryNotFoundException($"CRYPTO_SHARED_DATA points at '{configured}', which does not exist.");
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared", "data");
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException(
            $"No shared/data folder above {AppContext.BaseDirectory}; clone the repository beside shared/ or set CRYPTO_SHARED_DATA.");
    }
}
