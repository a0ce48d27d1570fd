using System.Diagnostics;
using CryptoPipeline.Testing;

namespace CryptoPipeline.FaultInjection.Tests.Infrastructure;

/// <summary>What a scenario's fault injection gets: the running pipeline, its seeded random source and the suite's settings.</summary>
internal sealed class ScenarioContext(Pipeline pipeline, Random random, FaultSuite suite, CancellationToken cancellationToken)
{
    private readonly List<Task<RecoveryTime>> _recoveries = [];

    public Pipeline Pipeline { get; } = pipeline;

    public Random Random { get; } = random;

    public FaultSuite Suite { get; } = suite;

    public CancellationToken Cancellation { get; } = cancellationToken;

    public int Faults => _recoveries.Count;

    internal IReadOnlyList<Task<RecoveryTime>> Recoveries => _recoveries;

    /// <summary>
    /// <see cref="FaultSuite.FaultsPerRound"/> random points of the run (shares of the market's way, see
    /// <see cref="Pipeline.ProgressAsync"/>), one inside each of as many equal slices of the first 80 % of the
    /// recordings, so there is always a stream to recover into.
    /// </summary>
    public IReadOnlyList<double> FaultPoints()
    {
        var count = Suite.FaultsPerRound;
        return [.. Enumerable.Range(0, count).Select(i => 0.8 * (i + 0.1 + (0.8 * Random.NextDouble())) / count)];
    }

    /// <summary>A random duration between <paramref name="min"/> and <paramref name="max"/>.</summary>
    public TimeSpan Between(TimeSpan min, TimeSpan max) => min + ((max - min) * Random.NextDouble());

    /// <summary>Call just before injecting a fault: notes the time and how far the processor had committed.</summary>
    public async Task<FaultStart> FaultStartingAsync() =>
        new(Pipeline.Now(), await Pipeline.Tolerant(() => Pipeline.CommittedAsync(Cancellation), -1L));

    /// <summary>Starts measuring the recovery from <paramref name="fault"/>, which is now over.</summary>
    public void FaultOver(FaultStart fault) =>
        _recoveries.Add(RecoveryTime.MeasureAsync(Pipeline, fault, Suite.CompletionTimeout, Cancellation));

    public static void Log(string line) => TestContext.Current.TestOutputHelper?.WriteLine($"[{DateTime.Now:HH:mm:ss.fff}] {line}");
}

/// <summary>
/// Runs a scenario's rounds: a fresh pipeline per round, the scenario's faults, then the audit of the tables
/// against the recordings, the official klines and the uninterrupted reference run. Every round is reported;
/// the test fails, naming the seed and what differed, when any round is not exact.
/// </summary>
internal static class ScenarioRunner
{
    public static async Task RunAsync(
        string scenario,
        PostgresFixture postgres,
        Func<ScenarioContext, Task> injectFaults,
        IngestMode mode = IngestMode.Live,
        Func<CancellationToken, Task<(string ConnectionString, IAsyncDisposable? Owner)>>? database = null,
        Func<ScenarioContext, Task<IReadOnlyList<string>>>? moreChecks = null)
    {
        var suite = FaultSuite.Current;
        var cancellation = TestContext.Current.CancellationToken;
        var failures = new List<string>();
        var reference = await ReferenceRun.TablesAsync(suite.Dataset, mode, postgres);
        for (var round = 0; round < suite.Rounds; round++)
        {
            var seed = FaultSuite.Seed(round);
            ScenarioContext.Log($"{scenario}: round {round + 1} of {suite.Rounds} ({suite.Mode}), seed {seed} ({FaultSuite.SeedVariable}={seed} repeats it)");
            var clock = Stopwatch.StartNew();
            var (connectionString, owner) = database is null ? (await postgres.CreateDatabaseAsync(cancellationToken: cancellation), null) : await database(cancellation);
            try
            {
                await using var pipeline = await Pipeline.StartAsync(suite.Dataset, mode, connectionString, suite.Speed);
                await pipeline.StartServicesAsync(cancellation);
                var context = new ScenarioContext(pipeline, new Random(seed), suite, cancellation);
                await injectFaults(context);
                var completed = await pipeline.WaitForCompletionAsync(suite.CompletionTimeout, cancellation);
                var recoveries = await Task.WhenAll(context.Recoveries);
                var audit = await CandleAudit.RunAsync(pipeline, reference, cancellation);
                if (moreChecks is not null && await moreChecks(context) is { Count: > 0 } more)
                {
                    audit = audit with { Problems = [.. audit.Problems, .. more] };
                }

                if (!completed && audit.Problems.Count == 0)
                {
                    audit = audit with { Problems = ["the pipeline did not finish (every trade counted, every offset committed) in time"] };
                }

                FaultReport.Add(new RoundResult(scenario, seed, context.Faults, audit, recoveries, clock.Elapsed));
                ScenarioContext.Log(
                    $"{scenario}, seed {seed}: {context.Faults} faults, {audit.ExpectedTrades} trades, {audit.Lost} lost, {audit.Duplicated} counted twice, " +
                    $"recovery (first commit / caught up) {string.Join(", ", recoveries.Select(Describe))}; {clock.Elapsed.TotalSeconds:0} s. Report: {FaultReport.Path}");
                if (audit.Problems.Count > 0)
                {
                    failures.Add($"{scenario}, seed {seed}: {audit.Lost} of {audit.ExpectedTrades} trades lost, {audit.Duplicated} counted twice\n" +
                        string.Join("\n", audit.Problems.Take(30)) + "\n" + pipeline.Logs());
                }
            }
            finally
            {
                if (owner is not null)
                {
                    await owner.DisposeAsync();
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    private static string Describe(RecoveryTime time) => $"{Seconds(time.FirstCommit)}/{Seconds(time.CaughtUp)}";

    private static string Seconds(TimeSpan? time) => time is { } t ? $"{t.TotalSeconds:0.0}s" : "never";
}
