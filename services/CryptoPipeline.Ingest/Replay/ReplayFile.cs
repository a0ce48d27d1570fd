using System.IO.Compression;
using CryptoPipeline.Contracts;

namespace CryptoPipeline.Ingest.Replay;

/// <summary>One file to replay and how to read it.</summary>
internal sealed record ReplayFile(string Path, bool IsTradeCsv, string Exchange, long Length)
{
    public string Name => System.IO.Path.GetFileName(Path);

    public string Market => Exchange == Exchanges.BinanceUsdm ? Markets.Usdm : Markets.Spot;

    /// <summary>
    /// The files under <paramref name="path"/>, grouped into series (the same name once digits are removed, such
    /// as one symbol's daily files), each series in name order.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<ReplayFile>> Resolve(string path, string pattern, string? exchange)
    {
        var paths = File.Exists(path)
            ? [path]
            : Directory.GetFiles(path, pattern, SearchOption.TopDirectoryOnly).Order(StringComparer.Ordinal).ToArray();
        if (paths.Length == 0)
        {
            throw new InvalidOperationException($"Ingest:Replay:Path '{path}' holds no file matching Ingest:Replay:Pattern '{pattern}'.");
        }

        return paths
            .Select(p => new ReplayFile(
                p,
                System.IO.Path.GetFileName(p).Contains(".csv", StringComparison.OrdinalIgnoreCase),
                exchange ?? ExchangeFromName(System.IO.Path.GetFileName(p)),
                new FileInfo(p).Length))
            .GroupBy(f => SeriesName(f.Name), StringComparer.Ordinal)
            .Select(g => (IReadOnlyList<ReplayFile>)[.. g])
            .ToList();
    }

    /// <summary>Futures files say so in their names (<c>usdm_btcusdt_…</c>, <c>BTCUSDT-UM-…</c>, <c>…futures…</c>).</summary>
    public static string ExchangeFromName(string fileName) =>
        fileName.Contains("usdm", StringComparison.OrdinalIgnoreCase)
        || fileName.Contains("futures", StringComparison.OrdinalIgnoreCase)
        || fileName.Contains("-um-", StringComparison.OrdinalIgnoreCase)
            ? Exchanges.BinanceUsdm
            : Exchanges.Binance;

    /// <summary>Opens the file, decompressing when it starts with the gzip magic bytes (whatever its name).</summary>
    public (FileStream Raw, Stream Content) Open()
    {
        var raw = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        Span<byte> magic = stackalloc byte[2];
        var isGzip = raw.Read(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        raw.Position = 0;
        return (raw, isGzip ? new GZipStream(raw, CompressionMode.Decompress) : raw);
    }

    private static string SeriesName(string fileName) => string.Concat(fileName.Where(c => !char.IsAsciiDigit(c)));
}
