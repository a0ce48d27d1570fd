using CryptoPipeline.Processor.FunctionalTests.Infrastructure;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Processor.FunctionalTests;

/// <summary>Replicas share the partitions as one consumer group; assignment and revocation hand state over cleanly.</summary>
[Collection(RecordedStream.Collection)]
public sealed class ScaleOutTests(RecordedStream stream, PostgresFixture postgres)
{
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Replicas_with_one_leaving_and_rejoining_mid_stream_give_the_tables_of_one_processor(int replicas)
    {
        // The stream arrives in three parts: a replica leaves while the first two are being processed and
        // rejoins before the third arrives, so both happen while the stream is still running.
        using var kafka = RecordedStream.NewCluster();
        var database = await postgres.CreateDatabaseAsync(cancellationToken: TestContext.Current.CancellationToken);
        var group = $"scale-out-{replicas}";
        var settings = RecordedStream.SmallBatchSettings(group);
        RecordedStream.Publish(kafka, part: 0, parts: 3);
        var hosts = await Task.WhenAll(Enumerable.Range(0, replicas).Select(_ => ProcessorHost.StartAsync(kafka.BootstrapServers, database, settings)));
        try
        {
            await WaitForCommittedAsync(database, group, stream.MessageCount / 6);

            // Leaving gracefully revokes its partitions, which commits what it holds; the others take them over.
            RecordedStream.Publish(kafka, part: 1, parts: 3);
            await hosts[0].DisposeAsync();

            await WaitForCommittedAsync(database, group, stream.MessageCount / 2);
            hosts[0] = await ProcessorHost.StartAsync(kafka.BootstrapServers, database, settings);
            RecordedStream.Publish(kafka, part: 2, parts: 3);

            await Tables.WaitForEverythingCommittedAsync(database, kafka, group);
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }
        }

        Tables.AssertSame(stream.Reference, await Tables.SnapshotAsync(database));
    }

    private static Task WaitForCommittedAsync(string database, string group, long count) =>
        Eventually.Until(
            () => Tables.CommittedCountAsync(database, group),
            committed => committed >= count,
            Tables.ProcessingTimeout,
            $"group {group} to commit {count} messages",
            TestContext.Current.CancellationToken);
}
