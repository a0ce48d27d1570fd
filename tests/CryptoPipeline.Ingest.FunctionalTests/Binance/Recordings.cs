using CryptoPipeline.Contracts;
using CryptoPipeline.FakeExchange.Binance;

namespace CryptoPipeline.Ingest.FunctionalTests.Binance;

/// <summary>The recorded feeds the tests replay, and checks against them.</summary>
internal static class Recordings
{
    /// <summary>Spot BTCUSDT, 2023-04-05 00:00–00:07, older trade layout: 3,144 trades, ids 3071245454..3071248597.</summary>
    public const string SpotBtc2023 = "binance/spot-ws/spot_btcusdt_20230405.dat.gz";

    public static readonly string[] Spot2024 =
    [
        "binance/spot-ws/spot_btcusdt_20240808.gz",
        "binance/spot-ws/spot_btcusdt_20240809.gz",
        "binance/spot-ws/spot_ethusdt_20240808.gz",
        "binance/spot-ws/spot_ethusdt_20240809.gz",
    ];

    public static readonly string[] Usdm2023 =
    [
        "binance/usdm-ws/usdm_btcusdt_20230404.dat.gz",
        "binance/usdm-ws/usdm_btcusdt_20230405.dat.gz",
    ];

    /// <summary>USD-M BTCUSDT 2023-04-05: ids 3535188229..3535198966, with one insurance-fund trade.</summary>
    public const string Usdm2023Day2 = "binance/usdm-ws/usdm_btcusdt_20230405.dat.gz";

    public const long InsuranceFundTradeId = 3535191080;

    public static IReadOnlyDictionary<string, int> TradeCounts(BinanceRecording recording) =>
        recording.Symbols.ToDictionary(s => s, s => recording.Trades(s).Count);

    /// <summary>The published trades of each symbol are the recorded ones: every id once, in id order, as recorded.</summary>
    public static void AssertPublishedExactly(BinanceRecording recording, CollectingSink sink, Func<RecordedTrade, bool>? expected = null)
    {
        foreach (var symbol in recording.Symbols)
        {
            var recorded = recording.Trades(symbol).Where(expected ?? (_ => true)).ToList();
            var published = sink.TradesOf(symbol);
            Assert.Equal(recorded.Select(t => t.Id), published.Select(t => t.TradeId));
            var byId = recorded.ToDictionary(t => t.Id);
            Assert.All(published, trade =>
            {
                var original = byId[trade.TradeId];
                Assert.Equal(original.Price, DecimalText.ToText(trade.Price));
                Assert.Equal(original.Quantity, DecimalText.ToText(trade.Quantity));
                Assert.Equal(original.TimeMs, trade.TradeTime.ToUnixTimeMilliseconds());
                Assert.Equal(original.IsBuyerMaker, trade.IsBuyerMaker);
            });
        }
    }
}
