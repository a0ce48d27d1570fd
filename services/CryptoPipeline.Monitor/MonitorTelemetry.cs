using System.Diagnostics;
using System.Diagnostics.Metrics;
using CryptoPipeline.Monitor.Pipeline;
using CryptoPipeline.ServiceDefaults;

namespace CryptoPipeline.Monitor;

/// <summary>
/// The monitor's <see cref="System.Diagnostics.ActivitySource"/> and <see cref="Meter"/> (<c>CryptoPipeline.Monitor</c>)
/// and its instruments. The gauges show what this process measured in its latest pipeline check (or, for open
/// alerts, counted after its latest rule evaluation).
/// </summary>
public sealed class MonitorTelemetry : ServiceTelemetry
{
    public const string ServiceName = NamePrefix + "Monitor";

    private PipelineReport? _report;
    private IReadOnlyDictionary<(string Rule, string Severity), long> _openAlerts = new Dictionary<(string, string), long>();

    public MonitorTelemetry(IMeterFactory meterFactory)
        : base("Monitor", meterFactory)
    {
        JobRuns = Meter.CreateCounter<long>("cryptopipeline.monitor.job.runs", "{run}", "Finished job runs, by job and status (succeeded, failed, skipped).");
        JobDuration = Meter.CreateHistogram<double>("cryptopipeline.monitor.job.duration", "s", "How long job runs took, by job and status.");
        AlertEvents = Meter.CreateCounter<long>("cryptopipeline.monitor.alerts.events", "{event}", "Alerts raised and resolved, by rule, severity and event.");
        ReconciliationMismatches = Meter.CreateCounter<long>(
            "cryptopipeline.monitor.reconciliation.mismatches", "{mismatch}", "Differences from the exchange's klines, by exchange and kind (field, missing, unexpected).");
        WebhookDeliveries = Meter.CreateCounter<long>(
            "cryptopipeline.monitor.webhook.deliveries", "{event}", "Alert events sent to the webhook, by outcome (delivered, failed, dropped).");

        Meter.CreateObservableGauge("cryptopipeline.monitor.alerts.open", ObserveOpenAlerts, "{alert}", "Open alerts, by rule and severity.");
        Meter.CreateObservableGauge("cryptopipeline.monitor.consumer_lag", ObserveLag, "{message}", "Messages of a partition the consumer group has not processed yet.");
        Meter.CreateObservableGauge("cryptopipeline.monitor.freshness_seconds", ObserveFreshness, "s", "Seconds since an instrument's latest write (trade, quote, price or candle).");
        Meter.CreateObservableGauge("cryptopipeline.monitor.dead_letters", ObserveDeadLetters, "{message}", "Messages held in a dead-letter topic.");
        Meter.CreateObservableGauge("cryptopipeline.monitor.processor.up", ObserveProcessor, "1", "1 while the processor runs (or idles with nothing to consume), 0 while it is stalled or gone.");
    }

    public Counter<long> JobRuns { get; }

    public Histogram<double> JobDuration { get; }

    public Counter<long> AlertEvents { get; }

    public Counter<long> ReconciliationMismatches { get; }

    public Counter<long> WebhookDeliveries { get; }

    internal void RecordRun(string job, string status, TimeSpan duration)
    {
        var tags = new TagList { { "job", job }, { "status", status } };
        JobRuns.Add(1, tags);
        JobDuration.Record(duration.TotalSeconds, tags);
    }

    internal void PublishReport(PipelineReport report) => Volatile.Write(ref _report, report);

    internal void PublishOpenAlerts(IReadOnlyDictionary<(string Rule, string Severity), long> counts) => Volatile.Write(ref _openAlerts, counts);

    private IEnumerable<Measurement<long>> ObserveOpenAlerts() =>
        Volatile.Read(ref _openAlerts).Select(p => new Measurement<long>(p.Value, new KeyValuePair<string, object?>("rule", p.Key.Rule), new KeyValuePair<string, object?>("severity", p.Key.Severity)));

    private IEnumerable<Measurement<long>> ObserveLag() =>
        Volatile.Read(ref _report) is { } report
            ? report.Lag.Select(l => new Measurement<long>(
                l.Lag,
                new KeyValuePair<string, object?>("consumer_group", report.Processor.ConsumerGroup),
                new KeyValuePair<string, object?>("topic", l.Topic),
                new KeyValuePair<string, object?>("partition", l.Partition)))
            : [];

    private IEnumerable<Measurement<double>> ObserveFreshness() =>
        Volatile.Read(ref _report)?.Freshness
            .Where(f => f.AgeSeconds is not null && f.State != InstrumentFreshness.Retired)
            .Select(f => new Measurement<double>(
                f.AgeSeconds!.Value, new KeyValuePair<string, object?>("exchange", f.Exchange), new KeyValuePair<string, object?>("symbol", f.Symbol)))
        ?? [];

    private IEnumerable<Measurement<long>> ObserveDeadLetters() =>
        Volatile.Read(ref _report)?.DeadLetters.Select(d => new Measurement<long>(d.Messages, new KeyValuePair<string, object?>("topic", d.Topic))) ?? [];

    private IEnumerable<Measurement<int>> ObserveProcessor() =>
        Volatile.Read(ref _report)?.Processor is { } processor && processor.IsKnown
            ? [new Measurement<int>(processor.IsDown ? 0 : 1, new KeyValuePair<string, object?>("consumer_group", processor.ConsumerGroup))]
            : [];
}
