using System.Globalization;
using System.Text;

namespace CryptoPipeline.FaultInjection.Tests.Infrastructure;

/// <summary>One round of a scenario: its seed, how many faults it injected, what the audit found and the recovery times.</summary>
internal sealed record RoundResult(string Scenario, int Seed, int Faults, AuditResult Audit, IReadOnlyList<RecoveryTime> Recoveries, TimeSpan Duration);

/// <summary>
/// The report table of a run (scenario, rounds, trades, lost, duplicated, recovery times), rewritten after every
/// round to <c>CRYPTO_FAULTS_REPORT</c> or a file in the temp folder, whose path the tests print.
/// </summary>
internal static class FaultReport
{
    private static readonly Lock Gate = new();
    private static readonly List<RoundResult> Rounds = [];
    private static readonly DateTimeOffset Started = DateTimeOffset.UtcNow;

    public static string Path { get; } = Environment.GetEnvironmentVariable(FaultSuite.ReportVariable) is { Length: > 0 } configured
        ? System.IO.Path.GetFullPath(configured)
        : System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cryptopipeline-faults", $"report-{FaultSuite.Current.Mode}.md");

    /// <summary>Says where the report is at the end of the run (on the test host's standard error, which <c>dotnet test</c> shows).</summary>
    public sealed class Printer : IDisposable
    {
        public void Dispose()
        {
            lock (Gate)
            {
                if (Rounds.Count > 0)
                {
                    Console.Error.WriteLine($"Fault-injection report ({FaultSuite.Current.Mode}, {Rounds.Count} rounds): {Path}");
                }
            }
        }
    }

    public static void Add(RoundResult round)
    {
        lock (Gate)
        {
            Rounds.Add(round);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            File.WriteAllText(Path, Render());
        }
    }

    private static string Render()
    {
        var suite = FaultSuite.Current;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"# Fault-injection report ({suite.Mode})\n\n");
        text.Append(CultureInfo.InvariantCulture, $"Started {Started:yyyy-MM-dd HH:mm:ss} UTC on {Environment.MachineName} ({Environment.ProcessorCount} cores); ");
        text.Append(CultureInfo.InvariantCulture, $"data {suite.Dataset.Name} at {suite.Speed}x the recorded pace; {suite.FaultsPerRound} faults per round.\n\n");
        text.Append("| scenario | rounds | faults | trades | lost | duplicated | first commit p50 / max | caught up p50 / max | run time | seeds | result |\n");
        text.Append("|---|---:|---:|---:|---:|---:|---|---|---:|---|---|\n");
        foreach (var scenario in Rounds.GroupBy(r => r.Scenario))
        {
            var rounds = scenario.ToList();
            var recoveries = rounds.SelectMany(r => r.Recoveries).ToList();
            var failed = rounds.Count(r => r.Audit.Problems.Count > 0);
            text.Append(CultureInfo.InvariantCulture,
                $"| {scenario.Key} | {rounds.Count} | {rounds.Sum(r => r.Faults)} | {rounds.Sum(r => r.Audit.ExpectedTrades)} | {rounds.Sum(r => r.Audit.Lost)} | {rounds.Sum(r => r.Audit.Duplicated)} " +
                $"| {Percentiles(recoveries.Select(r => r.FirstCommit))} | {Percentiles(recoveries.Select(r => r.CaughtUp))} | {rounds.Sum(r => r.Duration.TotalSeconds):0} s " +
                $"| {string.Join(", ", rounds.Select(r => r.Seed))} | {(failed == 0 ? "pass" : $"FAIL ({failed} of {rounds.Count})")} |\n");
        }

        text.Append("\nRecovery times run from the moment the fault was injected; \"never\" counts the faults after which it did not happen within the deadline.\n");
        foreach (var round in Rounds.Where(r => r.Audit.Problems.Count > 0))
        {
            text.Append(CultureInfo.InvariantCulture, $"\n## {round.Scenario}, seed {round.Seed}\n\n");
            foreach (var problem in round.Audit.Problems.Take(20))
            {
                text.Append("- ").Append(problem.Replace("\n", "\n  ", StringComparison.Ordinal)).Append('\n');
            }
        }

        return text.ToString();
    }

    private static string Percentiles(IEnumerable<TimeSpan?> times)
    {
        var all = times.ToList();
        var reached = all.Where(t => t is not null).Select(t => t!.Value.TotalSeconds).Order().ToList();
        var never = all.Count - reached.Count;
        var text = reached.Count == 0 ? "–" : string.Create(CultureInfo.InvariantCulture, $"{reached[(reached.Count - 1) / 2]:0.0} s / {reached[^1]:0.0} s");
        return never == 0 ? text : $"{text} ({never} never)";
    }
}
