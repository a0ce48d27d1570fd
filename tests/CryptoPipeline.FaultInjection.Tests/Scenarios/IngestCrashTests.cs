using CryptoPipeline.FaultInjection.Tests.Infrastructure;
using CryptoPipeline.Testing;

namespace CryptoPipeline.FaultInjection.Tests.Scenarios;

/// <summary>Scenario 2: Ingest is killed with SIGKILL at random points and restarted.</summary>
[Collection(FaultScenarios.Name)]
public sealed class IngestCrashTests(PostgresFixture postgres)
{
    /// <summary>
    /// Ingest replaying the recorded files starts over after each restart: everything published before the kill
    /// reaches Kafka again, and must count once.
    /// </summary>
    [Fact]
    public Task Replaying_ingest_killed_with_sigkill_and_restarted_publishes_again_and_every_trade_counts_once() =>
        ScenarioRunner.RunAsync("ingest SIGKILL (replay source)", postgres, KillAndRestartIngestAsync, IngestMode.Replay);

    /// <summary>
    /// Live Ingest killed while the market moves on: what it had received but not handed to Kafka, and what traded
    /// while it was down, must come back (the REST back-fill from the last trade Kafka acknowledged).
    /// </summary>
    [Fact]
    public Task Live_ingest_killed_with_sigkill_while_the_market_moves_on_ends_with_every_trade_counted_once() =>
        ScenarioRunner.RunAsync("ingest SIGKILL (live)", postgres, KillAndRestartIngestAsync);

    private static async Task KillAndRestartIngestAsync(ScenarioContext context)
    {
        foreach (var point in context.FaultPoints())
        {
            await context.Pipeline.WaitForProgressAsync(point, "the next kill point", context.Cancellation);
            var fault = await context.FaultStartingAsync();
            await context.Pipeline.KillIngestAsync();
            var down = context.Between(TimeSpan.Zero, TimeSpan.FromSeconds(1.5));
            ScenarioContext.Log($"ingest killed at {point:P0} of the market; restarting in {down.TotalSeconds:0.0} s");
            await Task.Delay(down, context.Cancellation);
            context.Pipeline.StartIngest();
            context.FaultOver(fault);
        }
    }
}
