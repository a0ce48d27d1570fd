using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using CryptoPipeline.Contracts;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Windowing.UnitTests;

/// <summary>
/// Test-only reading of the few trade and kline fields the conformance checks need from shared/data;
/// the feed's real parser lives in Ingest. Numbers are read from the exchange's text, never through double.
/// </summary>
internal static class RecordedTrades
{
    public const string SpotTradesCsv = "binance/spot-trades-csv/BTCUSDT-trades-2025-01-01.rows4359938008-4359939300.csv";
    public const string SpotKlinesCsv = "binance/spot-trades-csv/BTCUSDT-1m-2025-01-01T0000-0001.rest_klines_ms.csv";

    private static readonly Dictionary<string, IReadOnlyList<Trade>> Cache = [];

    /// <summary>Rows of the official spot trades archive: id, price, qty, quoteQty, time (µs), isBuyerMaker, isBestMatch.</summary>
    public static IReadOnlyList<Trade> SpotCsv() => Cached(SpotTradesCsv, () =>
        [.. File.ReadLines(SharedData.Path(SpotTradesCsv)).Select(line =>
        {
            var fields = line.Split(',');
            return new Trade
            {
                Exchange = Exchanges.Binance,
                Market = Markets.Spot,
                Symbol = "BTCUSDT",
                TradeId = long.Parse(fields[0], CultureInfo.InvariantCulture),
                Price = Decimal(fields[1]),
                Quantity = Decimal(fields[2]),
                TradeTime = UnixMicroseconds.ToDateTimeOffset(long.Parse(fields[4], CultureInfo.InvariantCulture)),
                IsBuyerMaker = bool.Parse(fields[5]),
                Kind = TradeKind.Market,
                ReceivedAt = UnixMicroseconds.ToDateTimeOffset(long.Parse(fields[4], CultureInfo.InvariantCulture)),
                Source = DataSource.Replay,
            };
        })]);

    /// <summary>
    /// The <c>@trade</c> messages of recorded USD-M feeds (gzip, lines <c>&lt;receive time&gt; &lt;combined-stream JSON&gt;</c>;
    /// the receive time is in µs in the 2023 <c>.dat.gz</c> files and in ns in the 2024 <c>.gz</c> ones).
    /// </summary>
    public static IReadOnlyList<Trade> UsdmRecording(params string[] files) => Cached(string.Join('+', files), () =>
        [.. files.SelectMany(file => ReadTrades(file, file.EndsWith(".dat.gz", StringComparison.Ordinal) ? 1 : 1_000))]);

    /// <summary>Official 1m klines (open time ms, O, H, L, C, volume, close time ms, quote volume, trades, taker buy base, taker buy quote, ignore), by open time.</summary>
    public static IReadOnlyDictionary<DateTimeOffset, Kline> Klines(string file) =>
        File.ReadLines(SharedData.Path(file)).Select(line =>
        {
            var fields = line.Split(',');
            return new Kline(
                DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(fields[0], CultureInfo.InvariantCulture)),
                Decimal(fields[1]),
                Decimal(fields[2]),
                Decimal(fields[3]),
                Decimal(fields[4]),
                Decimal(fields[5]),
                DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(fields[6], CultureInfo.InvariantCulture)),
                Decimal(fields[7]),
                long.Parse(fields[8], CultureInfo.InvariantCulture),
                Decimal(fields[9]),
                Decimal(fields[10]));
        }).ToDictionary(kline => kline.OpenTime);

    private static IEnumerable<Trade> ReadTrades(string file, long receiveTicksPerMicrosecond)
    {
        using var gzip = new GZipStream(File.OpenRead(SharedData.Path(file)), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        while (reader.ReadLine() is { } line)
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            using var message = JsonDocument.Parse(line.AsMemory(space + 1));
            // Depth snapshots in the recordings are bare REST bodies without a stream name.
            if (!message.RootElement.TryGetProperty("stream", out var stream) || !stream.GetString()!.EndsWith("@trade", StringComparison.Ordinal))
            {
                continue;
            }

            var data = message.RootElement.GetProperty("data");
            Assert.True(TradeKinds.TryParse(Encoding.UTF8.GetBytes(data.GetProperty("X").GetString()!), out var kind));
            yield return new Trade
            {
                Exchange = Exchanges.BinanceUsdm,
                Market = Markets.Usdm,
                Symbol = data.GetProperty("s").GetString()!,
                TradeId = data.GetProperty("t").GetInt64(),
                Price = Decimal(data.GetProperty("p").GetString()!),
                Quantity = Decimal(data.GetProperty("q").GetString()!),
                TradeTime = DateTimeOffset.FromUnixTimeMilliseconds(data.GetProperty("T").GetInt64()),
                IsBuyerMaker = data.GetProperty("m").GetBoolean(),
                Kind = kind,
                ReceivedAt = UnixMicroseconds.ToDateTimeOffset(long.Parse(line.AsSpan(0, space), CultureInfo.InvariantCulture) / receiveTicksPerMicrosecond),
                Source = DataSource.Replay,
            };
        }
    }

    private static IReadOnlyList<Trade> Cached(string name, Func<IReadOnlyList<Trade>> read)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(name, out var trades))
            {
                trades = read();
                Cache.Add(name, trades);
            }

            return trades;
        }
    }

    private static decimal Decimal(string text)
    {
        Assert.True(DecimalText.TryParse(text.AsSpan(), out var value), $"'{text}' is not a plain decimal");
        return value;
    }
}

/// <summary>One official kline row.</summary>
internal sealed record Kline(
    DateTimeOffset OpenTime,
    decimal Open,
    decimal High,
    decimal Low,
    decimal Close,
    decimal Volume,
    DateTimeOffset CloseTime,
    decimal QuoteVolume,
    long TradeCount,
    decimal TakerBuyVolume,
    decimal TakerBuyQuoteVolume);
