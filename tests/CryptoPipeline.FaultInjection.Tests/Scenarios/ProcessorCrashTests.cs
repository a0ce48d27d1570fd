using CryptoPipeline.FaultInjection.Tests.Infrastructure;
using CryptoPipeline.Testing;

namespace CryptoPipeline.FaultInjection.Tests.Scenarios;

/// <summary>Scenario 1: the processor is killed with SIGKILL at random points and restarted (DESIGN.md §5: kill -9 at any moment).</summary>
[Collection(FaultScenarios.Name)]
public sealed class ProcessorCrashTests(PostgresFixture postgres)
{
    [Fact]
    public Task Processor_killed_with_sigkill_at_random_points_ends_with_every_trade_counted_once() =>
        ScenarioRunner.RunAsync("processor SIGKILL", postgres, async context =>
        {
            foreach (var point in context.FaultPoints())
            {
                await context.Pipeline.WaitForProgressAsync(point, "the next kill point", context.Cancellation);
                var fault = await context.FaultStartingAsync();
                await context.Pipeline.KillProcessorAsync();
                var down = context.Between(TimeSpan.Zero, TimeSpan.FromSeconds(1.5));
                ScenarioContext.Log($"processor killed at {point:P0} of the market; restarting in {down.TotalSeconds:0.0} s");
                await Task.Delay(down, context.Cancellation);
                context.Pipeline.StartProcessor();
                context.FaultOver(fault);
            }
        });
}
