using CryptoPipeline.FaultInjection.Tests.Infrastructure;
using CryptoPipeline.Testing;

namespace CryptoPipeline.FaultInjection.Tests.Scenarios;

/// <summary>
/// Scenario 4: Kafka brokers go down and come back (the mock cluster's fault injection): a random set of the three,
/// sometimes all of them. Partition leadership does not move, so the partitions they lead are unavailable meanwhile.
/// </summary>
[Collection(FaultScenarios.Name)]
public sealed class KafkaOutageTests(PostgresFixture postgres)
{
    [Fact]
    public Task Kafka_brokers_down_and_up_again_mid_run_end_with_every_trade_counted_once() =>
        ScenarioRunner.RunAsync("Kafka brokers down/up", postgres, async context =>
        {
            foreach (var point in context.FaultPoints())
            {
                await context.Pipeline.WaitForProgressAsync(point, "the next outage", context.Cancellation);
                var brokers = Enumerable.Range(1, Pipeline.Brokers).Where(_ => context.Random.Next(2) == 0).ToList();
                if (brokers.Count == 0)
                {
                    brokers.Add(context.Random.Next(1, Pipeline.Brokers + 1));
                }

                var down = context.Between(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(6));
                var fault = await context.FaultStartingAsync();
                brokers.ForEach(context.Pipeline.Kafka.SetBrokerDown);
                ScenarioContext.Log($"brokers {string.Join(",", brokers)} down at {point:P0} of the market, for {down.TotalSeconds:0.0} s");
                await Task.Delay(down, context.Cancellation);
                brokers.ForEach(context.Pipeline.Kafka.SetBrokerUp);
                context.FaultOver(fault);
            }
        });
}
