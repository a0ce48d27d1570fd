using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace CryptoPipeline.Monitor.FunctionalTests.Infrastructure;

/// <summary>Listens to the instruments of one monitor's meter (other hosts in the run have meters of the same name).</summary>
internal sealed class MonitorMetrics : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, string> Tags)> _measurements = new();

    public MonitorMetrics(Meter meter)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter == meter)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, value, tags, _) => Record(i, value, tags));
        _listener.SetMeasurementEventCallback<int>((i, value, tags, _) => Record(i, value, tags));
        _listener.SetMeasurementEventCallback<double>((i, value, tags, _) => Record(i, value, tags));
        _listener.Start();
    }

    /// <summary>What the observable gauges report now, as "instrument tag=value,… = value" lines, sorted.</summary>
    public List<string> Observe(string instrument)
    {
        _measurements.Clear();
        _listener.RecordObservableInstruments();
        return Lines(instrument);
    }

    /// <summary>The sum of everything <paramref name="instrument"/> recorded with <paramref name="tag"/> = <paramref name="value"/>.</summary>
    public double Sum(string instrument, string tag, string value) =>
        _measurements.Where(m => m.Instrument == instrument && m.Tags.GetValueOrDefault(tag) == value).Sum(m => m.Value);

    public void Dispose() => _listener.Dispose();

    private List<string> Lines(string instrument) =>
        [.. _measurements.Where(m => m.Instrument == instrument)
            .Select(m => $"{string.Join(',', m.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}"))} = {m.Value}")
            .Order(StringComparer.Ordinal)];

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, tagValue) in tags)
        {
            copy[key] = Convert.ToString(tagValue, System.Globalization.CultureInfo.InvariantCulture) ?? "";
        }

        _measurements.Enqueue((instrument.Name, value, copy));
    }
}
