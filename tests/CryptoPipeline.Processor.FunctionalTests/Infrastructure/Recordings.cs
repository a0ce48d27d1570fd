using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using CryptoPipeline.Contracts;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Processor.FunctionalTests.Infrastructure;

/// <summary>
/// The real recordings of shared/data as the pipeline's messages: a small test-only reader of the recorded
/// WebSocket feeds (<c>&lt;receive time&gt; &lt;combined-stream JSON&gt;</c>, µs in the 2023 <c>.dat.gz</c> files,
/// ns in the 2024 ones), the official trades archive CSV and the official kline CSVs.
/// </summary>
internal static class Recordings
{
    public const string UsdmKlines = "binance/usdm-klines/BTCUSDT-UM-1m-2023-04-04T2357-2023-04-05T0008.excerpt.csv";
    public const string SpotKlines = "binance/spot-trades-csv/BTCUSDT-1m-2025-01-01T0000-0001.rest_klines_ms.csv";

    private static readonly Lazy<Feed> Usdm2023 = new(() => ReadFeed(
        Exchanges.BinanceUsdm, Markets.Usdm, "binance/usdm-ws/usdm_btcusdt_20230404.dat.gz", "binance/usdm-ws/usdm_btcusdt_20230405.dat.gz"));

    private static readonly Lazy<Feed> SpotEth2024 = new(() => ReadFeed(
        Exchanges.Binance, Markets.Spot, "binance/spot-ws/spot_ethusdt_20240808.gz", "binance/spot-ws/spot_ethusdt_20240809.gz"));

    private static readonly Lazy<IReadOnlyList<Trade>> SpotCsv = new(ReadSpotTradesCsv);

    /// <summary>USD-M futures BTCUSDT, 2023-04-04 23:58:20 → 04-05 00:06:54, including one insurance-fund trade.</summary>
    public static IReadOnlyList<Trade> UsdmTrades => Usdm2023.Value.Trades;

    /// <summary>The best bid/ask (bookTicker) of the same futures feed.</summary>
    public static IReadOnlyList<Quote> UsdmQuotes => Usdm2023.Value.Quotes;

    /// <summary>The futures feed's mark price, once a second: a real polled-like price series.</summary>
    public static IReadOnlyList<PriceTick> UsdmMarkPrices => Usdm2023.Value.MarkPrices;

    /// <summary>Spot ETHUSDT, 2024-08-08 23:54 → 08-09 00:05.</summary>
    public static IReadOnlyList<Trade> SpotEthTrades => SpotEth2024.Value.Trades;

    /// <summary>1,293 rows of the official spot BTCUSDT trades archive of 2025-01-01 (00:00:59 → 00:02:00).</summary>
    public static IReadOnlyList<Trade> SpotCsvTrades => SpotCsv.Value;

    /// <summary>Official klines (data.binance.vision CSV rows) by open time.</summary>
    public static IReadOnlyList<OfficialKline> Klines(string relativePath) => OfficialKline.Read(relativePath);

    /// <summary>Minutes strictly inside the span of the trades: the recording covers them completely.</summary>
    public static IReadOnlyList<DateTimeOffset> FullMinutes(IEnumerable<Trade> trades)
    {
        var times = trades.Select(t => t.TradeTime).ToList();
        var first = StartOfMinute(times.Min()).AddMinutes(1);
        var last = StartOfMinute(times.Max());
        var minutes = new List<DateTimeOffset>();
        for (var minute = first; minute < last; minute = minute.AddMinutes(1))
        {
            minutes.Add(minute);
        }

        return minutes;
    }

    public static DateTimeOffset StartOfMinute(DateTimeOffset time) =>
        new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerMinute), TimeSpan.Zero);

    private static Feed ReadFeed(string exchange, string market, params string[] files)
    {
        var feed = new Feed();
        foreach (var file in files)
        {
            using var stream = new GZipStream(File.OpenRead(SharedData.Path(file)), CompressionMode.Decompress);
            using var reader = new StreamReader(stream);
            while (reader.ReadLine() is { } line)
            {
                // Order book streams are most of the bytes and of no use here.
                if (line.Contains("@depth", StringComparison.Ordinal))
                {
                    continue;
                }

                var space = line.IndexOf(' ', StringComparison.Ordinal);
                var stamp = long.Parse(line.AsSpan(0, space), CultureInfo.InvariantCulture);

                // 2024 files stamp nanoseconds, 2023 files microseconds.
                var received = UnixMicroseconds.ToDateTimeOffset(stamp > 10_000_000_000_000_000 ? stamp / 1000 : stamp);
                using var json = JsonDocument.Parse(line.AsMemory(space + 1));

                // Subscription replies carry no stream.
                if (!json.RootElement.TryGetProperty("stream", out var streamProperty))
                {
                    continue;
                }

                var streamName = streamProperty.GetString()!;
                var data = json.RootElement.GetProperty("data");
                if (streamName.EndsWith("@trade", StringComparison.Ordinal))
                {
                    feed.Trades.Add(new Trade
                    {
                        Exchange = exchange,
                        Market = market,
                        Symbol = data.GetProperty("s").GetString()!,
                        TradeId = data.GetProperty("t").GetInt64(),
                        Price = Decimal(data, "p"),
                        Quantity = Decimal(data, "q"),
                        TradeTime = Milliseconds(data, "T"),
                        IsBuyerMaker = data.GetProperty("m").GetBoolean(),
                        Kind = data.TryGetProperty("X", out var kind) && TradeKinds.TryParse(Encoding.UTF8.GetBytes(kind.GetString()!), out var parsed)
                            ? parsed
                            : TradeKind.Market,
                        ReceivedAt = received,
                        Source = DataSource.Replay,
                    });
                }
                else if (streamName.EndsWith("@bookTicker", StringComparison.Ordinal))
                {
                    feed.Quotes.Add(new Quote
                    {
                        Exchange = exchange,
                        Market = market,
                        Symbol = data.GetProperty("s").GetString()!,
                        BidPrice = Decimal(data, "b"),
                        BidQuantity = Decimal(data, "B"),
                        AskPrice = Decimal(data, "a"),
                        AskQuantity = Decimal(data, "A"),
                        UpdateId = data.GetProperty("u").GetInt64(),
                        Time = data.TryGetProperty("T", out _) ? Milliseconds(data, "T") : null,
                        ReceivedAt = received,
                        Source = DataSource.Replay,
                    });
                }
                else if (streamName.Contains("@markPrice", StringComparison.Ordinal))
                {
                    feed.MarkPrices.Add(new PriceTick
                    {
                        Exchange = exchange,
                        Symbol = data.GetProperty("s").GetString()!,
                        Price = Decimal(data, "p"),
                        Time = Milliseconds(data, "E"),
                        ReceivedAt = received,
                        Source = DataSource.Replay,
                    });
                }
            }
        }

        return feed;
    }

    // id, price, qty, quoteQty, time (µs), isBuyerMaker, isBestMatch
    private static List<Trade> ReadSpotTradesCsv() =>
    [
        .. File.ReadLines(SharedData.Path("binance/spot-trades-csv/BTCUSDT-trades-2025-01-01.rows4359938008-4359939300.csv"))
            .Where(l => l.Length > 0)
            .Select(line =>
            {
                var f = line.Split(',');
                var time = UnixMicroseconds.ToDateTimeOffset(long.Parse(f[4], CultureInfo.InvariantCulture));
                return new Trade
                {
                    Exchange = Exchanges.Binance,
                    Market = Markets.Spot,
                    Symbol = "BTCUSDT",
                    TradeId = long.Parse(f[0], CultureInfo.InvariantCulture),
                    Price = ParseDecimal(f[1]),
                    Quantity = ParseDecimal(f[2]),
                    TradeTime = time,
                    IsBuyerMaker = bool.Parse(f[5]),
                    Kind = TradeKind.Market,
                    ReceivedAt = time,
                    Source = DataSource.Replay,
                };
            }),
    ];

    private static decimal Decimal(JsonElement data, string name) => ParseDecimal(data.GetProperty(name).GetString()!);

    private static DateTimeOffset Milliseconds(JsonElement data, string name) =>
        DateTimeOffset.FromUnixTimeMilliseconds(data.GetProperty(name).GetInt64());

    private static decimal ParseDecimal(string text) =>
        DecimalText.TryParse(text, out var value) ? value : throw new FormatException($"'{text}' is not an exact decimal.");

    private sealed class Feed
    {
        public List<Trade> Trades { get; } = [];

        public List<Quote> Quotes { get; } = [];

        public List<PriceTick> MarkPrices { get; } = [];
    }
}
