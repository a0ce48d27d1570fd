using System.Globalization;
using CryptoPipeline.Ingest.Publishing;
using CryptoPipeline.Ingest.Replay;
using Microsoft.Extensions.Options;

namespace CryptoPipeline.Ingest.Simulation;

/// <summary>
/// The <c>simulated</c> source: runs a <see cref="SimulatedMarket"/> in real time (on the injected clock) and
/// publishes its trades and quotes until the host stops.
/// </summary>
internal sealed partial class SimulationService(
    IOptions<SimulationOptions> options,
    IOptions<IngestOptions> ingest,
    IMarketDataSink sink,
    IngestTelemetry telemetry,
    TimeProvider time,
    ILogger<SimulationService> logger) : BackgroundService
{
    /// <summary>Ingest:Symbols first, then SIM0001USDT, … up to <paramref name="count"/> symbols.</summary>
    public static IReadOnlyList<string> SymbolsFor(IReadOnlyList<string> configured, int count)
    {
        var symbols = configured.Distinct(StringComparer.Ordinal).ToList();
        for (var i = 1; symbols.Count < count; i++)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"SIM{i:D4}USDT");
            if (!symbols.Contains(name, StringComparer.Ordinal))
            {
                symbols.Add(name);
            }
        }

        return symbols;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var seed = settings.Seed ?? Random.Shared.Next();
        var market = new SimulatedMarket(
            SymbolsFor(ingest.Value.Symbols, settings.SymbolCount),
            settings.TradesPerSecond,
            settings.DailyVolatility,
            seed,
            time.GetUtcNow());
        LogStarting(market.Symbols.Count, settings.TradesPerSecond * market.Symbols.Count, seed);

        // The simulated clock started now, so pacing it at the recorded pace runs it in real time.
        var pacer = new ReplayPacer(ReplaySpeed.Realtime, time);
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            var (trade, quote) = market.Next();
            await pacer.WaitAsync(trade.TradeTime, stoppingToken);
            telemetry.CountMessage(SimulatedMarket.Exchange, "trade");
            await sink.PublishAsync(trade, stoppingToken);
            telemetry.CountMessage(SimulatedMarket.Exchange, "quote");
            await sink.PublishAsync(quote, stoppingToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Simulating {Symbols} symbol(s) on exchange 'simulated' at {Rate:0.#} trades/s in all, seed {Seed} (labelled source 'simulated').")]
    private partial void LogStarting(int symbols, double rate, int seed);
}
