using System.Globalization;
using CryptoPipeline.Contracts;
using CryptoPipeline.FakeExchange.Binance;
using CryptoPipeline.Testing;

namespace CryptoPipeline.FaultInjection.Tests.Infrastructure;

/// <summary>One recorded Binance market the pipeline ingests live from a fake exchange.</summary>
internal sealed record MarketFeed(FakeBinanceMarket Market, string Exchange, string Source, string Section, IReadOnlyList<string> Recordings, string? Klines)
{
    private readonly Lazy<IReadOnlyDictionary<string, SortedDictionary<long, RecordedTrade>>> _expected = new(() => Expect(BinanceRecording.Load(Recordings)));

    public static MarketFeed Usdm(string? klines, params string[] recordings) =>
        new(FakeBinanceMarket.Usdm, Exchanges.BinanceUsdm, "binance-usdm", "Ingest__Binance__Usdm", recordings, klines);

    public static MarketFeed Spot(params string[] recordings) =>
        new(FakeBinanceMarket.Spot, Exchanges.Binance, "binance", "Ingest__Binance__Spot", recordings, Klines: null);

    public BinanceRecording Recording => BinanceRecording.Load(Recordings);

    /// <summary>The trades a candle counts, per symbol, by id: futures klines leave non-MARKET trades out.</summary>
    public IReadOnlyDictionary<string, SortedDictionary<long, RecordedTrade>> ExpectedTrades => _expected.Value;

    private static IReadOnlyDictionary<string, SortedDictionary<long, RecordedTrade>> Expect(BinanceRecording recording) =>
        recording.Symbols.ToDictionary(
            s => s,
            s => new SortedDictionary<long, RecordedTrade>(recording.Trades(s).Where(t => t.IsMarket).ToDictionary(t => t.Id)),
            StringComparer.Ordinal);
}

/// <summary>The recordings a run replays: one or more markets at once, through one Ingest process.</summary>
internal sealed record Dataset(string Name, IReadOnlyList<MarketFeed> Feeds)
{
    /// <summary>USD-M BTCUSDT 2023-04-05 00:00–00:07 (10,738 trade ids; 10,737 market trades and one insurance-fund trade the klines leave out), with official klines.</summary>
    public static readonly Dataset Short = new("usdm-2023-04-05", [
        MarketFeed.Usdm("binance/usdm-klines/BTCUSDT-UM-1m-2023-04-04T2357-2023-04-05T0008.excerpt.csv", "binance/usdm-ws/usdm_btcusdt_20230405.dat.gz"),
    ]);

    /// <summary>
    /// Two markets of the same minutes side by side, as a live deployment runs them: the whole USD-M BTCUSDT recording
    /// of 2024-08-08 23:54–24:00 (21,313 trades, with official klines) and the whole spot BTCUSDT + ETHUSDT recording of
    /// 2024-08-08 23:54 – 08-09 00:05 (34,419 trades). Recordings of different days must not share a run: instruments
    /// share partitions, and a partition's event time would make the older day's trades too late.
    /// </summary>
    public static readonly Dataset Full = new("usdm + spot 2024-08-08/09", [
        MarketFeed.Usdm(
            "binance/usdm-klines/BTCUSDT-UM-1m-2024-08-08T2354-2024-08-09T0009.excerpt.csv",
            "binance/usdm-ws/usdm_btcusdt_20240808.gz"),
        MarketFeed.Spot(
            "binance/spot-ws/spot_btcusdt_20240808.gz",
            "binance/spot-ws/spot_btcusdt_20240809.gz",
            "binance/spot-ws/spot_ethusdt_20240808.gz",
            "binance/spot-ws/spot_ethusdt_20240809.gz"),
    ]);

    public long ExpectedTradeCount => Feeds.Sum(f => f.ExpectedTrades.Values.Sum(t => (long)t.Count));

    public static decimal Decimal(string text) => decimal.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    public static DateTimeOffset MinuteOf(long timeMs) => DateTimeOffset.FromUnixTimeMilliseconds(timeMs - (timeMs % 60_000));

    /// <summary>Official klines of <paramref name="feed"/>'s minutes that its recording covers completely.</summary>
    public static IReadOnlyList<OfficialKline> FullMinuteKlines(MarketFeed feed, string symbol)
    {
        if (feed.Klines is null)
        {
            return [];
        }

        var trades = feed.Recording.Trades(symbol);
        var first = MinuteOf(trades.Min(t => t.TimeMs)).AddMinutes(1);
        var last = MinuteOf(trades.Max(t => t.TimeMs));
        return [.. OfficialKline.Read(feed.Klines).Where(k => k.OpenTime >= first && k.OpenTime < last)];
    }
}
