using System.Diagnostics;
using System.Runtime;

namespace CryptoPipeline.Benchmarks.HotPaths;

/// <summary>
/// Brings a benchmark's code to the JIT's final tier before BenchmarkDotNet measures it, as the services' code is in
/// their steady state. Tiered compilation recompiles a method optimized (with Dynamic PGO, after an instrumented tier)
/// on a background thread once it has been called often enough; on a busy machine that thread gets little CPU, and a
/// benchmark's short warm-up can end with the hot code still unoptimized (runs then differ several times over). So the
/// workload runs a few rounds, each followed by a wait until the JIT has compiled nothing for a while.
/// </summary>
internal static class JitWarmUp
{
    private const int Rounds = 4;
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(30);

    public static void Run(Action workload)
    {
        for (var round = 0; round < Rounds; round++)
        {
            workload();
            WaitUntilJitQuiet();
        }
    }

    private static void WaitUntilJitQuiet()
    {
        var deadline = Stopwatch.StartNew();
        var compiled = JitInfo.GetCompiledMethodCount();
        var quietSince = Stopwatch.StartNew();
        while (quietSince.Elapsed < Quiet && deadline.Elapsed < MaxWait)
        {
            Thread.Sleep(50);
            var now = JitInfo.GetCompiledMethodCount();
            if (now != compiled)
            {
                compiled = now;
                quietSince.Restart();
            }
        }
    }
}
