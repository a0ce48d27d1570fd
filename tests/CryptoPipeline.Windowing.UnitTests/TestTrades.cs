using CryptoPipeline.Contracts;

namespace CryptoPipeline.Windowing.UnitTests;

/// <summary>Hand-made trades on a fixed day, so each test shows only what it is about.</summary>
internal static class TestTrades
{
    public const string Symbol = "BTCUSDT";

    public static readonly DateTimeOffset Day = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A time on <see cref="Day"/>.</summary>
    public static DateTimeOffset At(int minute, int second, int millisecond = 0) =>
        Day.AddMinutes(minute).AddSeconds(second).AddMilliseconds(millisecond);

    public static WindowKey Window(int minute, string symbol = Symbol, string exchange = Exchanges.Binance) =>
        new(exchange, symbol, Day.AddMinutes(minute));

    public static Trade Trade(
        long id,
        DateTimeOffset time,
        decimal price = 100m,
        decimal quantity = 1m,
        bool isBuyerMaker = false,
        TradeKind kind = TradeKind.Market,
        DataSource source = DataSource.Live,
        string symbol = Symbol,
        string exchange = Exchanges.Binance) => new()
        {
            Exchange = exchange,
            Market = exchange == Exchanges.BinanceUsdm ? Markets.Usdm : Markets.Spot,
            Symbol = symbol,
            TradeId = id,
            Price = price,
            Quantity = quantity,
            TradeTime = time,
            IsBuyerMaker = isBuyerMaker,
            Kind = kind,
            ReceivedAt = time,
            Source = source,
        };
}
