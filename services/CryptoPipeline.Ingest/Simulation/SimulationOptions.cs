using System.ComponentModel.DataAnnotations;

namespace CryptoPipeline.Ingest.Simulation;

/// <summary>The <c>simulated</c> source: section <c>Ingest:Simulation</c>.</summary>
public sealed class SimulationOptions
{
    public const string SectionName = IngestOptions.SectionName + ":Simulation";

    /// <summary>
    /// <c>Ingest:Simulation:SymbolCount</c>: how many symbols to simulate. The first are <c>Ingest:Symbols</c>;
    /// the rest are named <c>SIM0001USDT</c>, <c>SIM0002USDT</c>, … 0 (the default) simulates <c>Ingest:Symbols</c> only.
    /// </summary>
    [Range(0, 100_000)]
    public int SymbolCount { get; set; }

    /// <summary>
    /// <c>Ingest:Simulation:TradesPerSecond</c>: average trades per second per symbol. Arrivals are Poisson; activity is
    /// skewed over the symbols (the first are busiest), as on a real exchange.
    /// </summary>
    [Range(0.001, 100_000.0)]
    public double TradesPerSecond { get; set; } = 5;

    /// <summary><c>Ingest:Simulation:DailyVolatility</c>: standard deviation of a day's log return of the random walk.</summary>
    [Range(0.0, 1.0)]
    public double DailyVolatility { get; set; } = 0.03;

    /// <summary><c>Ingest:Simulation:Seed</c>: the same seed gives the same market (symbols, prices, quantities, times); unset: random.</summary>
    public int? Seed { get; set; }
}
