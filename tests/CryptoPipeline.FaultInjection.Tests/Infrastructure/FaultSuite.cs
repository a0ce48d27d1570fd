namespace CryptoPipeline.FaultInjection.Tests.Infrastructure;

/// <summary>
/// How hard the suite pushes: the short version runs in the normal test run (each scenario once, over a small
/// recording, at a fast pace); <c>CRYPTO_FAULTS=full</c> runs more rounds with more faults over the whole
/// recordings and writes the report table. <c>CRYPTO_FAULTS_SEED</c> fixes the seed of every scenario's first
/// round (round n uses seed + n), to replay a failure.
/// </summary>
internal sealed record FaultSuite(string Mode, int Rounds, int FaultsPerRound, double Speed, Dataset Dataset, TimeSpan CompletionTimeout)
{
    public const string ModeVariable = "CRYPTO_FAULTS";
    public const string SeedVariable = "CRYPTO_FAULTS_SEED";
    public const string ReportVariable = "CRYPTO_FAULTS_REPORT";

    public static FaultSuite Current { get; } = Create();

    public bool IsFull => Mode == "full";

    /// <summary>The seed of a scenario's round: <c>CRYPTO_FAULTS_SEED</c> + round when set, else a fresh random one.</summary>
    public static int Seed(int round) =>
        int.TryParse(Environment.GetEnvironmentVariable(SeedVariable), out var seed) ? unchecked(seed + round) : Random.Shared.Next();

    private static FaultSuite Create()
    {
        var mode = Environment.GetEnvironmentVariable(ModeVariable)?.Trim().ToLowerInvariant();
        return mode switch
        {
            null or "" or "short" => new FaultSuite("short", Rounds: 1, FaultsPerRound: 2, Speed: 40, Dataset.Short, TimeSpan.FromSeconds(90)),
            "full" => new FaultSuite("full", Rounds: 3, FaultsPerRound: 4, Speed: 20, Dataset.Full, TimeSpan.FromSeconds(240)),
            _ => throw new InvalidOperationException($"{ModeVariable}='{mode}' is not a mode: use short (the default) or full."),
        };
    }
}
