using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Analysers;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Validators;

namespace CryptoPipeline.Benchmarks.HotPaths;

/// <summary>
/// CPU time per operation beside BenchmarkDotNet's wall-clock times: the process's CPU time over the measured
/// iterations (<c>CLOCK_PROCESS_CPUTIME_ID</c>) divided by the operations they ran. On a machine that other work keeps
/// busy the wall-clock mean includes the time this process waited for a core; the CPU time does not, so it tells what
/// one operation costs a core (ops per CPU second is the throughput of one core). It includes every thread of the
/// process (the GC's too) and none of other processes (PostgreSQL's, for the sink).
/// </summary>
internal sealed class CpuTimeDiagnoser : IDiagnoser
{
    public static readonly CpuTimeDiagnoser Default = new();

    private readonly ConcurrentDictionary<BenchmarkCase, TimeSpan> _measured = new();
    private TimeSpan _start;

    public IEnumerable<string> Ids => [nameof(CpuTimeDiagnoser)];

    public IEnumerable<IExporter> Exporters => [];

    public IEnumerable<IAnalyser> Analysers => [];

    /// <summary>The CPU/op and Op/CPU-s columns; the config adds them (a diagnoser's own columns do not show in 0.14's summary).</summary>
    public IEnumerable<IColumn> Columns => [new CpuColumn(this, perOperation: true), new CpuColumn(this, perOperation: false)];

    public IColumnProvider GetColumnProvider() => new SimpleColumnProvider();

    public RunMode GetRunMode(BenchmarkCase benchmarkCase) => RunMode.NoOverhead;

    public void Handle(HostSignal signal, DiagnoserActionParameters parameters)
    {
        if (signal == HostSignal.BeforeActualRun)
        {
            _start = ProcessCpuTime();
        }
        else if (signal == HostSignal.AfterActualRun)
        {
            _measured[parameters.BenchmarkCase] = ProcessCpuTime() - _start;
        }
    }

    public IEnumerable<Metric> ProcessResults(DiagnoserResults results) => [];

    public void DisplayResults(ILogger logger)
    {
    }

    public IEnumerable<ValidationError> Validate(ValidationParameters validationParameters) => [];

    /// <summary>CPU nanoseconds per operation of the measured iterations, or null before they ran.</summary>
    private double? NanosecondsPerOperation(Summary summary, BenchmarkCase benchmarkCase)
    {
        var operations = summary[benchmarkCase]?.AllMeasurements
            .Where(m => m.IterationMode == IterationMode.Workload && m.IterationStage == IterationStage.Actual)
            .Sum(m => m.Operations) ?? 0;
        return operations > 0 && _measured.TryGetValue(benchmarkCase, out var cpu)
            ? cpu.Ticks * 100.0 / operations
            : null;
    }

    private static TimeSpan ProcessCpuTime()
    {
        const int ProcessCpuTimeClock = 2;
        if (clock_gettime(ProcessCpuTimeClock, out var time) != 0)
        {
            throw new InvalidOperationException($"clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed: errno {Marshal.GetLastPInvokeError()}.");
        }

        return TimeSpan.FromTicks((time.Seconds * TimeSpan.TicksPerSecond) + (time.Nanoseconds / 100));
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int clock_gettime(int clockId, out Timespec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    private sealed class CpuColumn(CpuTimeDiagnoser diagnoser, bool perOperation) : IColumn
    {
        public string Id => perOperation ? "CpuPerOp" : "OpsPerCpuSecond";

        public string ColumnName => perOperation ? "CPU/op" : "Op/CPU-s";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Metric;

        public int PriorityInCategory => perOperation ? -2 : -1;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => perOperation
            ? "CPU time of this process per operation over the measured iterations (not counting time spent waiting for a core)"
            : "Operations per CPU second: the throughput of one core";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) =>
            diagnoser.NanosecondsPerOperation(summary, benchmarkCase) is not { } nanoseconds ? "?"
            : perOperation ? Time(nanoseconds)
            : (1e9 / nanoseconds).ToString("N0", CultureInfo.InvariantCulture);

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public bool IsAvailable(Summary summary) => true;

        private static string Time(double nanoseconds) => nanoseconds switch
        {
            < 1e3 => string.Create(CultureInfo.InvariantCulture, $"{nanoseconds:N1} ns"),
            < 1e6 => string.Create(CultureInfo.InvariantCulture, $"{nanoseconds / 1e3:N2} us"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{nanoseconds / 1e6:N2} ms"),
        };
    }
}
