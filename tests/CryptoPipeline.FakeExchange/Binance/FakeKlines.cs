using System.Globalization;
using CryptoPipeline.Testing;

namespace CryptoPipeline.FakeExchange.Binance;

/// <summary>
/// The official 1-minute klines in shared/data (data.binance.vision CSV rows), which the fake serves on
/// <c>klines</c>: spot BTCUSDT for 2020-01-01..03 and 2025-01-01 00:00–00:01, USD-M BTCUSDT around the
/// recorded futures feeds.
/// </summary>
internal sealed class FakeKlines
{
    private static readonly Lazy<FakeKlines> SpotKlines = new(() => Load(["binance/spot-klines", "binance/spot-trades-csv"]));
    private static readonly Lazy<FakeKlines> UsdmKlines = new(() => Load(["binance/usdm-klines"]));

    private readonly Dictionary<string, List<string[]>> _rows;

    private FakeKlines(Dictionary<string, List<string[]>> rows) => _rows = rows;

    public static FakeKlines For(FakeBinanceMarket market) => market.IsFutures ? UsdmKlines.Value : SpotKlines.Value;

    /// <summary>Rows of <paramref name="symbol"/> by open time: open time, O, H, L, C, volume, close time, quote volume, count, taker buy base, taker buy quote, ignore.</summary>
    public IReadOnlyList<string[]> Rows(string symbol) => _rows.TryGetValue(symbol, out var rows) ? rows : [];

    public static long OpenTime(string[] row) => long.Parse(row[0], CultureInfo.InvariantCulture);

    private static FakeKlines Load(string[] folders)
    {
        var rows = new Dictionary<string, SortedDictionary<long, string[]>>(StringComparer.Ordinal);
        foreach (var file in folders.SelectMany(folder => Directory.EnumerateFiles(SharedData.Path(folder), "*.csv")))
        {
            var name = Path.GetFileName(file);

            // Kline files are SYMBOL-1m-… (spot) or SYMBOL-UM-1m-… (futures); trade files are not klines.
            if (!name.Contains("-1m-", StringComparison.Ordinal) || name.Contains("archive_row_us", StringComparison.Ordinal))
            {
                continue;
            }

            var symbol = name[..name.IndexOf('-', StringComparison.Ordinal)];
            var byTime = rows.TryGetValue(symbol, out var known) ? known : rows[symbol] = [];
            foreach (var line in File.ReadLines(file))
            {
                var fields = line.Split(',');
                if (fields.Length != 12 || !long.TryParse(fields[0], CultureInfo.InvariantCulture, out var openTime))
                {
                    continue;
                }

                byTime[openTime] = fields;
            }
        }

        return new FakeKlines(rows.ToDictionary(p => p.Key, p => p.Value.Values.ToList(), StringComparer.Ordinal));
    }
}
