using System.Globalization;
using CryptoPipeline.Benchmarks.Measurement;
using CryptoPipeline.EmbeddedPostgres;
using Npgsql;

namespace CryptoPipeline.Benchmarks.PipelineLoad;

/// <summary>
/// The whole pipeline under load, each service in its own process as deployed: Ingest (simulated market or replayed
/// recordings) → Kafka (the embedded cluster in this process, or a real one) → Processor → PostgreSQL (a private
/// cluster) → Api with a live-stream client. Prints, per load and symbol count, the sustained trades/s committed,
/// end-to-end and commit → SSE latency, and each process's CPU per million trades and peak memory.
/// </summary>
internal static class PipelineLoad
{
    public static int Run(string[] args)
    {
        if (!LoadSettings.TryParse(args, out var settings, out var problem))
        {
            (problem is null ? Console.Out : Console.Error).WriteLine(problem is null ? LoadSettings.Usage : $"{problem}\n{LoadSettings.Usage}");
            return problem is null ? 0 : 2;
        }

        return RunAsync(settings).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(LoadSettings settings)
    {
        if (!OperatingSystem.IsLinux())
        {
            Console.Error.WriteLine("pipeline-load reads each process's CPU time and peak memory from /proc: it runs on Linux only.");
            return 2;
        }

        var work = Path.Combine(Path.GetTempPath(), $"pipeline-load-{Guid.NewGuid():N}");
        // PostgreSQL runs as its own user when this runs as root: it must be able to reach its data directory.
        Directory.CreateDirectory(work, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        try
        {
            await using var postgres = await StartPostgresAsync(Path.Combine(work, "postgres"), settings.Fsync);
            var recordings = settings.Loads.Contains(LoadKind.Replay) ? RecordedMarket.Load() : null;
            PrintHeader(settings, postgres, recordings);

            var step = new PipelineStep(settings, postgres, work);
            var results = new List<StepResult>();
            var number = 0;
            foreach (var symbols in settings.Symbols)
            {
                foreach (var (load, rate) in settings.Loads.SelectMany(l => l == LoadKind.Max ? new[] { (l, 0) } : settings.Rates.Select(r => (l, r))))
                {
                    Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {Name(load)}, {symbols} symbols (load average {ProcFs.LoadAverage()}) ...");
                    var result = await step.RunAsync(load, symbols, rate, ++number, recordings);
                    results.Add(result);
                    Console.Error.WriteLine(
                        $"[{DateTime.UtcNow:HH:mm:ss}]   {result.CommittedPerSecond:N0} trades/s committed, e2e p99 {Milliseconds(result.EndToEnd?.P99)}, " +
                        $"commit->SSE p99 {Milliseconds(result.CommitToStream?.P99)}");
                }
            }

            PrintTables(results);
            Console.WriteLine();
            Console.WriteLine($"Load average at the end: {ProcFs.LoadAverage()}");
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// A private cluster with <c>track_commit_timestamp</c> on (a server setting, set once and applied by a restart), so
    /// that every row's commit time is known without a column of its own.
    /// </summary>
    private static async Task<PrivatePostgresCluster> StartPostgresAsync(string dataDirectory, bool fsync)
    {
        var options = new PrivatePostgresOptions { DataDirectory = dataDirectory, Fsync = fsync };
        await using (var first = await PrivatePostgresCluster.StartAsync(options))
        {
            await using var connection = new NpgsqlConnection(first.GetConnectionString("postgres"));
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("ALTER SYSTEM SET track_commit_timestamp = on", connection);
            await command.ExecuteNonQueryAsync();
        }

        return await PrivatePostgresCluster.StartAsync(options);
    }

    private static void PrintHeader(LoadSettings settings, PrivatePostgresCluster postgres, RecordedMarket? recordings)
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim();
        Console.WriteLine($"pipeline-load: {Environment.ProcessorCount} CPU(s) ({cpu}), .NET {Environment.Version}, load average {ProcFs.LoadAverage()} at the start");
        Console.WriteLine(settings.Kafka is null
            ? $"Kafka: embedded cluster in this process (librdkafka mock, 3 brokers, {settings.Partitions} partitions, fresh per step)"
            : $"Kafka: {settings.Kafka} (real cluster; the processor starts at the end of raw_trades)");
        Console.WriteLine(
            $"PostgreSQL: private cluster {postgres.BinariesDirectory}, fsync and synchronous_commit {(settings.Fsync ? "on" : "off")}, " +
            "track_commit_timestamp on, a fresh database per step");
        Console.WriteLine(
            $"Each step: warm-up {settings.Warmup} s after the first commit, then {settings.Seconds} s measured; " +
            $"rate and replay offer {string.Join(", ", settings.Rates.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))} trades/s, " +
            "max offers 100,000 trades/s per symbol");
        if (recordings is not null)
        {
            Console.WriteLine(
                $"Replay: Binance spot BTCUSDT + ETHUSDT recordings ({recordings.Trades:N0} trades, {recordings.Quotes:N0} best bid/ask, " +
                $"{recordings.Span.TotalSeconds:0} s), one copy per symbol, looped");
        }

        Console.WriteLine();
    }

    private static void PrintTables(List<StepResult> results)
    {
        Console.WriteLine();
        Console.WriteLine("Throughput and latency (ms)");
        Console.WriteLine();
        Console.WriteLine("| load | symbols | offered trades/s | committed trades/s | produced trades/s | lag at end (trades) | " +
            "ingest→commit p50 | p95 | p99 | max | commit→SSE p50 | p95 | p99 | max | load avg |");
        Console.WriteLine("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|");
        foreach (var r in results)
        {
            Console.WriteLine(
                $"| {Name(r.Load)} | {r.Symbols:N0} | {r.OfferedPerSecond:N0} | {r.CommittedPerSecond:N0} | {r.ProducedPerSecond:N0} | {r.LagAtEnd:N0} | " +
                $"{Milliseconds(r.EndToEnd?.P50)} | {Milliseconds(r.EndToEnd?.P95)} | {Milliseconds(r.EndToEnd?.P99)} | {Milliseconds(r.EndToEnd?.Max)} | " +
                $"{Milliseconds(r.CommitToStream?.P50)} | {Milliseconds(r.CommitToStream?.P95)} | {Milliseconds(r.CommitToStream?.P99)} | " +
                $"{Milliseconds(r.CommitToStream?.Max)} | {r.LoadAverage.Split(',')[0]} |");
        }

        var names = results[0].Usage.Select(u => u.Name).ToList();
        Console.WriteLine();
        Console.WriteLine("CPU seconds per million committed trades, cores busy, peak resident memory (VmHWM, MiB)");
        Console.WriteLine();
        Console.WriteLine($"| load | symbols | {string.Join(" | ", names.Select(n => "CPU " + n))} | CPU total | cores busy: ours / machine | " +
            $"{string.Join(" | ", names.Take(3).Select(n => "VmHWM " + n))} |");
        Console.WriteLine($"|---|--:|{string.Concat(names.Select(_ => "--:|"))}--:|--:|{string.Concat(names.Take(3).Select(_ => "--:|"))}");
        foreach (var r in results)
        {
            var cpu = r.Usage.Select(u => r.CpuPerMillion(u.CpuSeconds).ToString("0.0", CultureInfo.InvariantCulture));
            var memory = r.Usage.Take(3).Select(u => u.PeakMebibytes?.ToString("0", CultureInfo.InvariantCulture) ?? "—");
            Console.WriteLine(
                $"| {Name(r.Load)} | {r.Symbols:N0} | {string.Join(" | ", cpu)} | {r.CpuPerMillion(r.Usage.Sum(u => u.CpuSeconds)):0.0} | " +
                $"{r.OursBusyCores:0.00} / {r.MachineBusyCores:0.00} | {string.Join(" | ", memory)} |");
        }

        foreach (var r in results.Where(r => r.Note is not null || r.Skipped != 0))
        {
            Console.WriteLine();
            Console.Write($"{Name(r.Load)}, {r.Symbols:N0} symbols: {r.Note}");
            Console.WriteLine(r.Skipped == 0
                ? ""
                : $"{(r.Note is null ? "" : "; ")}{r.Skipped:N0} trades consumed but not counted (dropped by the embedded broker's retention before the processor read them, or duplicates)");
        }
    }

    private static string Name(LoadKind load) => load switch
    {
        LoadKind.Rate => "simulated @ rate",
        LoadKind.Max => "simulated @ max",
        _ => "replay @ rate",
    };

    private static string Milliseconds(double? value) => value is { } ms ? ms.ToString("0", CultureInfo.InvariantCulture) : "—";
}
