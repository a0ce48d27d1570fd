using CryptoPipeline.Contracts;
using CryptoPipeline.FakeExchange.Binance;
using CryptoPipeline.Ingest.FunctionalTests.Infrastructure;
using CryptoPipeline.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CryptoPipeline.Ingest.FunctionalTests.Simulation;

/// <summary>The simulated market published through the service into embedded Kafka.</summary>
public sealed class SimulationTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Four_hundred_simulated_symbols_publish_labelled_trades_with_contiguous_ids_per_symbol()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
        using var kafka = new IngestKafka();
        using var host = await IngestTestHost.StartAsync(
            postgres,
            kafka,
            new()
            {
                ["Ingest:Sources"] = "simulated",
                ["Ingest:Simulation:SymbolCount"] = "400",
                ["Ingest:Simulation:TradesPerSecond"] = "5",
                ["Ingest:Simulation:Seed"] = "42",
            },
            services => services.AddSingleton<TimeProvider>(clock));

        // 400 symbols × 5 trades/s: the market runs on the test's clock, 2,000 trades a simulated second.
        var trades = kafka.ReadExactly(Topics.RawTrades, 3_000, () => clock.Advance(TimeSpan.FromMilliseconds(100))).Select(IngestKafka.ParseTrade).ToList();
        await host.StopAsync(TestContext.Current.CancellationToken);

        Assert.All(trades, t => Assert.Equal(("simulated", DataSource.Simulated), (t.Exchange, t.Source)));
        Assert.True(trades.Select(t => t.Symbol).Distinct().Count() > 200, "activity spreads over the symbols");
        foreach (var symbol in trades.GroupBy(t => t.Symbol))
        {
            var ids = symbol.Select(t => t.TradeId).Order().ToList();
            Assert.Equal(Enumerable.Range(1, ids.Count).Select(i => (long)i), ids);
        }
    }
}
