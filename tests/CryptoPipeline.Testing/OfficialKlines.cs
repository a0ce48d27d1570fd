using System.Globalization;

namespace CryptoPipeline.Testing;

/// <summary>One official 1-minute kline of data.binance.vision: the nine fields a candle must equal.</summary>
public sealed record OfficialKline(
    DateTimeOffset OpenTime, decimal Open, decimal High, decimal Low, decimal Close, decimal Volume,
    decimal QuoteVolume, long TradeCount, decimal TakerBuyVolume, decimal TakerBuyQuoteVolume)
{
    /// <summary>The kline rows of a CSV file below shared/data, e.g. <c>binance/usdm-klines/…csv</c>.</summary>
    public static IReadOnlyList<OfficialKline> Read(string relativePath) =>
        [.. File.ReadLines(SharedData.Path(relativePath)).Where(l => l.Length > 0).Select(Parse)];

    // open time (ms), O, H, L, C, volume, close time, quote volume, trades, taker buy base, taker buy quote, ignore
    public static OfficialKline Parse(string line)
    {
        var f = line.Split(',');
        return new OfficialKline(
            DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(f[0], CultureInfo.InvariantCulture)),
            decimal.Parse(f[1], CultureInfo.InvariantCulture),
            decimal.Parse(f[2], CultureInfo.InvariantCulture),
            decimal.Parse(f[3], CultureInfo.InvariantCulture),
            decimal.Parse(f[4], CultureInfo.InvariantCulture),
            decimal.Parse(f[5], CultureInfo.InvariantCulture),
            decimal.Parse(f[7], CultureInfo.InvariantCulture),
            long.Parse(f[8], CultureInfo.InvariantCulture),
            decimal.Parse(f[9], CultureInfo.InvariantCulture),
            decimal.Parse(f[10], CultureInfo.InvariantCulture));
    }
}
