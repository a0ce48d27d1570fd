using CryptoPipeline.Processor.FunctionalTests.Infrastructure;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Processor.FunctionalTests;

/// <summary>Kill -9 at any moment, restart, replay: the tables are identical to an uninterrupted run (DESIGN.md §5).</summary>
[Collection(RecordedStream.Collection)]
public sealed class CrashSafetyTests(RecordedStream stream, PostgresFixture postgres)
{
    private const int Kills = 3;

    [Fact]
    public async Task Processor_killed_with_sigkill_at_random_points_ends_with_the_tables_of_an_uninterrupted_run()
    {
        var database = await postgres.CreateDatabaseAsync(cancellationToken: TestContext.Current.CancellationToken);
        var environment = Environment(RecordedStream.SmallBatchSettings("processor"));
        var seed = Random.Shared.Next();
        var random = new Random(seed);
        var total = stream.MessageCount;
        var killedAt = new List<long>();

        for (var kill = 0; kill < Kills; kill++)
        {
            // A random point inside the kill-th slice of the stream.
            var target = (long)(total * (kill + 0.2 + (0.6 * random.NextDouble())) / (Kills + 1));
            using var processor = ProcessorProcess.Start(stream.Kafka.BootstrapServers, database, environment);
            var committed = await Eventually.Until(
                () => Tables.CommittedCountAsync(database, "processor"),
                count => count >= target || processor.HasExited,
                Tables.ProcessingTimeout,
                $"the processor to commit {target} of {total} messages (seed {seed})",
                TestContext.Current.CancellationToken);
            Assert.False(processor.HasExited, $"The processor exited on its own (seed {seed}):\n{processor.Output}");

            processor.KillHard();
            killedAt.Add(await Tables.CommittedCountAsync(database, "processor"));
            Assert.True(killedAt[^1] < total, $"The stream was finished before kill {kill + 1} (seed {seed}); committed {committed}");
        }

        using (var processor = ProcessorProcess.Start(stream.Kafka.BootstrapServers, database, environment))
        {
            await Tables.WaitForEverythingCommittedAsync(database, stream.Kafka);
        }

        Tables.AssertSame(stream.Reference, await Tables.SnapshotAsync(database));
        TestContext.Current.TestOutputHelper?.WriteLine($"Seed {seed}: killed after {string.Join(", ", killedAt)} of {total} messages committed.");
    }

    private static Dictionary<string, string> Environment(Dictionary<string, string?> settings)
    {
        var environment = settings.ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value!);

        // A killed member keeps its partitions until its session times out: keep that short.
        environment["Kafka__SessionTimeoutMs"] = "1500";
        environment["Logging__LogLevel__Default"] = "Warning";
        return environment;
    }
}
