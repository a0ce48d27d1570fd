using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.Simulation;

namespace CryptoPipeline.Ingest.UnitTests.Simulation;

public sealed class SimulatedMarketTests
{
    private static readonly DateTimeOffset Start = new(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_same_seed_gives_the_same_market_and_another_seed_another()
    {
        var symbols = SimulationService.SymbolsFor(["BTCUSDT", "ETHUSDT"], 400);

        var first = Run(new SimulatedMarket(symbols, 5, 0.03, seed: 7, Start), 2_000);
        var again = Run(new SimulatedMarket(symbols, 5, 0.03, seed: 7, Start), 2_000);
        var other = Run(new SimulatedMarket(symbols, 5, 0.03, seed: 8, Start), 2_000);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Four_hundred_symbols_trade_at_the_configured_rate_labelled_on_their_tick_grid_with_contiguous_ids()
    {
        var symbols = SimulationService.SymbolsFor(["BTCUSDT", "ETHUSDT"], 400);
        var market = new SimulatedMarket(symbols, tradesPerSecond: 5, dailyVolatility: 0.03, seed: 1, Start);
        var events = Enumerable.Range(0, 40_000).Select(_ => market.Next()).ToList();

        Assert.Equal(400, symbols.Distinct().Count());
        Assert.Equal(["BTCUSDT", "ETHUSDT", "SIM0001USDT"], symbols.Take(3));
        var seconds = (market.Now - Start).TotalSeconds;
        Assert.InRange(40_000 / seconds, 2_000 * 0.95, 2_000 * 1.05);
        Assert.True(events.Select(e => e.Trade.Symbol).Distinct().Count() > 390, "every symbol trades");
        foreach (var (trade, quote) in events)
        {
            Assert.Equal(("simulated", DataSource.Simulated, DataSource.Simulated), (trade.Exchange, trade.Source, quote.Source));
            Assert.True(quote.BidPrice < quote.AskPrice);
            Assert.Equal(trade.IsBuyerMaker ? quote.BidPrice : quote.AskPrice, trade.Price);
            Assert.True(trade.Quantity > 0);
        }

        foreach (var symbol in events.GroupBy(e => e.Trade.Symbol))
        {
            Assert.Equal(Enumerable.Range(1, symbol.Count()).Select(i => (long)i), symbol.Select(e => e.Trade.TradeId));
            Assert.Equal(symbol.Select(e => e.Trade.TradeTime).Order(), symbol.Select(e => e.Trade.TradeTime));
        }

        var btc = events.Where(e => e.Trade.Symbol == "BTCUSDT").Select(e => e.Trade).ToList();
        Assert.All(btc, t => Assert.Equal(0, t.Price % 0.01m));
        Assert.All(btc, t => Assert.Equal(0, t.Quantity % 0.00001m));
        Assert.InRange(btc[^1].Price, 50_000m, 70_000m);
    }

    private static List<string> Run(SimulatedMarket market, int count) =>
        [.. Enumerable.Range(0, count).Select(_ => market.Next().Trade).Select(t => $"{t.Symbol} {t.TradeId} {t.Price} {t.Quantity} {t.TradeTime:O} {t.IsBuyerMaker}")];
}
