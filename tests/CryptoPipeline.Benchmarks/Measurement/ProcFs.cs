using System.Globalization;
using System.Runtime.InteropServices;

namespace CryptoPipeline.Benchmarks.Measurement;

/// <summary>
/// What Linux's /proc says about processes and the machine: CPU time (user + system) of a process or of a process
/// and its children, peak resident memory (VmHWM), the machine's busy CPU time and its load average.
/// </summary>
internal static class ProcFs
{
    private const int ClockTicksName = 2; // _SC_CLK_TCK
    private static readonly double TicksPerSecond = Math.Max(1, SystemConfiguration(ClockTicksName));

    /// <summary>User + system CPU seconds of <paramref name="pid"/>; 0 once it is gone.</summary>
    public static double CpuSeconds(int pid) => Stat(pid) is { } stat ? (stat.User + stat.System) / TicksPerSecond : 0;

    /// <summary>
    /// CPU seconds of a server and its worker processes (PostgreSQL's postmaster and backends): its own time, the time
    /// of children it has reaped, and the time of children still running.
    /// </summary>
    public static double TreeCpuSeconds(int parent)
    {
        if (Stat(parent) is not { } root)
        {
            return 0;
        }

        var ticks = root.User + root.System + root.ChildrenUser + root.ChildrenSystem;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && Stat(pid) is { } child && child.ParentId == parent)
            {
                ticks += child.User + child.System;
            }
        }

        return ticks / TicksPerSecond;
    }

    /// <summary>Peak resident set size (VmHWM) in MiB; null once the process is gone.</summary>
    public static double? PeakResidentMebibytes(int pid) => Memory(pid) is { } memory ? memory.PeakResident / (1024.0 * 1024) : null;

    /// <summary>Resident set now and its peak so far (<c>VmRSS</c>, <c>VmHWM</c> of <c>/proc/&lt;pid&gt;/status</c>) in bytes; null once the process is gone.</summary>
    public static (long Resident, long PeakResident)? Memory(int pid)
    {
        long resident = 0, peak = 0;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    resident = Kibibytes(line) * 1024;
                }
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    peak = Kibibytes(line) * 1024;
                }
            }
        }
        catch (IOException)
        {
            return null;
        }

        return (resident, peak);
    }

    /// <summary>Busy and total CPU seconds of the whole machine (all cores, every process), from /proc/stat.</summary>
    public static (double Busy, double Total) MachineCpuSeconds()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        // user nice system idle iowait irq softirq steal (guest time is already inside user and nice).
        var total = fields.Take(8).Sum();
        var idle = fields[3] + fields[4];
        return ((total - idle) / TicksPerSecond, total / TicksPerSecond);
    }

    /// <summary>The 1, 5 and 15 minute load averages, as uptime prints them.</summary>
    public static string LoadAverage() =>
        string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    private static ProcessStat? Stat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // The command name (field 2) is in parentheses and may hold spaces: count fields after its last ')'.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        long Field(int number) => long.Parse(fields[number - 3], CultureInfo.InvariantCulture);
        return new ProcessStat((int)Field(4), Field(14), Field(15), Field(16), Field(17));
    }

    // "VmHWM:\t  172204 kB" → 172204
    private static long Kibibytes(string statusLine) =>
        long.Parse(statusLine.AsSpan(statusLine.IndexOf(':') + 1).Trim().TrimEnd("kB").Trim(), NumberStyles.None, CultureInfo.InvariantCulture);

    [DllImport("libc", EntryPoint = "sysconf")]
    private static extern long SystemConfiguration(int name);

    private readonly record struct ProcessStat(int ParentId, long User, long System, long ChildrenUser, long ChildrenSystem);
}
