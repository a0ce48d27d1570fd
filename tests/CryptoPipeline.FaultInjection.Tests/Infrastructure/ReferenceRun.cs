using System.Collections.Concurrent;
using CryptoPipeline.Testing;

namespace CryptoPipeline.FaultInjection.Tests.Infrastructure;

/// <summary>
/// The tables an uninterrupted run of the same pipeline makes of a dataset (no faults, the recordings replayed as
/// fast as Ingest takes them), once per test run and Ingest mode: what every faulted run must end with, row by row.
/// </summary>
internal static class ReferenceRun
{
    private static readonly ConcurrentDictionary<string, Lazy<Task<Dictionary<string, List<string>>>>> Runs = new(StringComparer.Ordinal);

    public static Task<Dictionary<string, List<string>>> TablesAsync(Dataset dataset, IngestMode mode, PostgresFixture postgres) =>
        Runs.GetOrAdd($"{dataset.Name} {mode}", _ => new Lazy<Task<Dictionary<string, List<string>>>>(() => RunAsync(dataset, mode, postgres))).Value;

    private static async Task<Dictionary<string, List<string>>> RunAsync(Dataset dataset, IngestMode mode, PostgresFixture postgres)
    {
        var database = await postgres.CreateDatabaseAsync();
        await using var pipeline = await Pipeline.StartAsync(dataset, mode, database, speed: null);
        await pipeline.StartServicesAsync(CancellationToken.None);
        var completed = await pipeline.WaitForCompletionAsync(FaultSuite.Current.CompletionTimeout, CancellationToken.None);
        var audit = await CandleAudit.RunAsync(pipeline, reference: null, CancellationToken.None);
        if (!completed || audit.Problems.Count > 0)
        {
            throw new InvalidOperationException(
                $"The uninterrupted reference run over {dataset.Name} ({mode}) is not exact ({(completed ? "completed" : "did not complete")}):\n" +
                string.Join("\n", audit.Problems) + "\n" + pipeline.Logs());
        }

        return await PipelineTables.SnapshotAsync(database, CandleAudit.ComparedTables, CandleAudit.IgnoredColumns);
    }
}
