using System.Diagnostics.Tracing;
using System.Globalization;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;

namespace CryptoPipeline.Benchmarks.IngestLoad;

/// <summary>
/// The <c>System.Runtime</c> event counters of another .NET process, once a second over EventPipe (what
/// <c>dotnet-counters</c> reads): the GC heap as the runtime itself reports it, which <c>/proc</c> cannot tell apart
/// from the rest of the process's memory.
/// </summary>
internal sealed class RuntimeCounters : IDisposable
{
    private const string GcHeapSize = "gc-heap-size";
    private const string GcCommitted = "gc-committed";
    private const string ExceptionCount = "exception-count";
    private const double Megabyte = 1_000_000;

    private readonly EventPipeSession _session;
    private readonly EventPipeEventSource _source;
    private readonly Task _reading;
    private readonly Lock _gate = new();
    private double _peakHeapMegabytes;
    private double _peakCommittedMegabytes;
    private double _lastHeapMegabytes;
    private double _exceptions;
    private int _samples;

    public RuntimeCounters(int processId)
    {
        var provider = new EventPipeProvider(
            "System.Runtime",
            EventLevel.Informational,
            keywords: 0xFFFFFFFF,
            arguments: new Dictionary<string, string> { ["EventCounterIntervalSec"] = "1" });
        _session = new DiagnosticsClient(processId).StartEventPipeSession(provider, requestRundown: false);
        _source = new EventPipeEventSource(_session.EventStream);
        _source.Dynamic.All += OnEvent;
        _reading = Task.Run(() => _source.Process());
    }

    /// <summary>Largest <c>gc-heap-size</c> seen (bytes in use on the GC heap after the last collection, and since).</summary>
    public long PeakHeapBytes
    {
        get
        {
            lock (_gate)
            {
                return (long)(_peakHeapMegabytes * Megabyte);
            }
        }
    }

    /// <summary>Largest <c>gc-committed</c> seen: memory the GC holds from the operating system.</summary>
    public long PeakCommittedBytes
    {
        get
        {
            lock (_gate)
            {
                return (long)(_peakCommittedMegabytes * Megabyte);
            }
        }
    }

    public long LastHeapBytes
    {
        get
        {
            lock (_gate)
            {
                return (long)(_lastHeapMegabytes * Megabyte);
            }
        }
    }

    /// <summary>Exceptions thrown in the process since the counters were attached.</summary>
    public long Exceptions
    {
        get
        {
            lock (_gate)
            {
                return (long)_exceptions;
            }
        }
    }

    public int Samples
    {
        get
        {
            lock (_gate)
            {
                return _samples;
            }
        }
    }

    public void Dispose()
    {
        try
        {
            _session.Stop();
        }
        catch (ServerNotAvailableException)
        {
            // The process has exited, which ends the session too.
        }

        _reading.Wait(TimeSpan.FromSeconds(10));
        _source.Dispose();
        _session.Dispose();
    }

    private void OnEvent(TraceEvent traceEvent)
    {
        if (traceEvent.EventName != "EventCounters"
            || traceEvent.PayloadValue(0) is not IDictionary<string, object> payload
            || payload["Payload"] is not IDictionary<string, object> fields
            || fields["Name"] is not string name
            || name is not (GcHeapSize or GcCommitted or ExceptionCount))
        {
            return;
        }

        if (name == ExceptionCount)
        {
            if (fields.TryGetValue("Increment", out var increment))
            {
                lock (_gate)
                {
                    _exceptions += Convert.ToDouble(increment, CultureInfo.InvariantCulture);
                }
            }

            return;
        }

        if (!fields.TryGetValue("Mean", out var mean))
        {
            return;
        }

        var megabytes = Convert.ToDouble(mean, CultureInfo.InvariantCulture);
        lock (_gate)
        {
            if (name == GcHeapSize)
            {
                _samples++;
                _lastHeapMegabytes = megabytes;
                _peakHeapMegabytes = Math.Max(_peakHeapMegabytes, megabytes);
            }
            else
            {
                _peakCommittedMegabytes = Math.Max(_peakCommittedMegabytes, megabytes);
            }
        }
    }
}
