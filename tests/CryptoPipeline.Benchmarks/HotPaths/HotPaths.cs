using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace CryptoPipeline.Benchmarks.HotPaths;

/// <summary>
/// The <c>hot-paths</c> command: BenchmarkDotNet micro-benchmarks of the per-message code, forwarded to
/// <see cref="BenchmarkSwitcher"/> (so <c>--filter</c>, <c>--list</c> and the rest of its options work).
/// </summary>
/// <remarks>
/// The benchmarks run in this process (<see cref="InProcessEmitToolchain"/>): BenchmarkDotNet's default toolchain
/// generates and builds a project of its own outside the repository, which would see neither the repository's
/// NuGet sources (the librdkafka fallback feed) nor the build's artifacts folder. The job is short (three warm-up
/// and three measured iterations) so that the whole set finishes in a few minutes on a shared machine; each class's
/// setup first brings its code to the JIT's final tier (<see cref="JitWarmUp"/>).
/// </remarks>
internal static class HotPaths
{
    private static readonly Type[] Benchmarks =
    [
        typeof(BinanceParsingBenchmarks),
        typeof(BitmexParsingBenchmarks),
        typeof(TradeWireBenchmarks),
        typeof(WindowingBenchmarks),
        typeof(CandleSinkBenchmarks),
    ];

    public static int Run(string[] args)
    {
        var job = Job.ShortRun
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithId("ShortRun-InProcess");
        var config = ManualConfig.Create(DefaultConfig.Instance)
            .AddJob(job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddDiagnoser(CpuTimeDiagnoser.Default)
            .AddColumn(StatisticColumn.OperationsPerSecond)
            .AddColumn([.. CpuTimeDiagnoser.Default.Columns])
            .WithArtifactsPath(Path.Combine(Path.GetTempPath(), "cryptopipeline-benchmarks"));

        // Without a filter the switcher asks on the console which benchmarks to run: run them all instead.
        var arguments = args.Any(a => a is "--filter" or "-f" or "--list" or "--help" or "-h" or "--version" or "--info")
            ? args
            : ["--filter", "*", .. args];
        Console.WriteLine($"// Load average at start: {File.ReadAllText("/proc/loadavg").Trim()}");
        var summaries = BenchmarkSwitcher.FromTypes(Benchmarks).Run(arguments, config).ToList();
        Console.WriteLine($"// Load average at end: {File.ReadAllText("/proc/loadavg").Trim()}");
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
