using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Confluent.Kafka;
using CryptoPipeline.ServiceDefaults;
using CryptoPipeline.Windowing;

namespace CryptoPipeline.Processor.Telemetry;

/// <summary>
/// The processor's ActivitySource and Meter (<c>CryptoPipeline.Processor</c>). The consumer thread publishes
/// per-partition snapshots here (consumer lag, watermarks), so that the observable gauges never touch the
/// consumer or the windowing engine, which belong to that thread.
/// </summary>
public sealed class ProcessorTelemetry : ServiceTelemetry
{
    private readonly ConcurrentDictionary<TopicPartition, long> _consumerLag = new();
    private readonly ConcurrentDictionary<int, DateTimeOffset> _watermarks = new();
    private readonly TimeProvider _timeProvider;
    private readonly Counter<long> _trades;
    private readonly Counter<long> _deadLetters;
    private readonly Counter<long> _databaseRetries;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _commitDuration;
    private readonly Histogram<double> _endToEndLatency;

    public ProcessorTelemetry(IMeterFactory meterFactory, TimeProvider timeProvider)
        : base("Processor", meterFactory)
    {
        _timeProvider = timeProvider;
        _trades = Meter.CreateCounter<long>(
            "processor.trades", "{trade}",
            "Trades processed, by outcome: applied, late_applied (a final window updated), duplicate, excluded (not a market trade), too_late (dead-lettered).");
        _deadLetters = Meter.CreateCounter<long>(
            "processor.dead_letters", "{message}", "Messages sent to a dead-letter topic, by source topic and reason.");
        _databaseRetries = Meter.CreateCounter<long>(
            "processor.retries", "{attempt}", "Failed attempts to commit a batch or to resume from PostgreSQL; consumption is paused meanwhile.");
        _batchSize = Meter.CreateHistogram<int>(
            "processor.batch.size", "{message}", "Messages per committed micro-batch.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 10, 50, 100, 500, 1_000, 5_000, 10_000, 50_000] });
        _commitDuration = Meter.CreateHistogram<double>(
            "processor.commit.duration", "s", "Duration of a batch's PostgreSQL transaction.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });
        _endToEndLatency = Meter.CreateHistogram<double>(
            "processor.end_to_end.latency", "s", "From ingest receiving a trade to its candle's commit.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });
        Meter.CreateObservableGauge(
            "processor.consumer.lag", ObserveConsumerLag, "{message}", "Messages on a partition not yet committed: high watermark minus the next offset.");
        Meter.CreateObservableGauge(
            "processor.watermark.lag", ObserveWatermarkLag, "s", "Wall clock minus a raw_trades partition's watermark.");
    }

    public void TradesProcessed(TradeOutcome outcome, long count)
    {
        if (count > 0)
        {
            _trades.Add(count, new KeyValuePair<string, object?>("outcome", OutcomeName(outcome)));
        }
    }

    public void DeadLettered(string topic, string reason) =>
        _deadLetters.Add(1, new KeyValuePair<string, object?>("topic", topic), new KeyValuePair<string, object?>("reason", reason));

    public void RetryFailed(string stage) => _databaseRetries.Add(1, new KeyValuePair<string, object?>("stage", stage));

    public void BatchCommitted(int messages, TimeSpan commitDuration)
    {
        _batchSize.Record(messages);
        _commitDuration.Record(commitDuration.TotalSeconds);
    }

    public bool EndToEndLatencyEnabled => _endToEndLatency.Enabled;

    public void EndToEndLatency(TimeSpan latency) => _endToEndLatency.Record(latency.TotalSeconds);

    public void SetConsumerLag(TopicPartition partition, long lag) => _consumerLag[partition] = lag;

    public void SetWatermark(int partition, DateTimeOffset watermark) => _watermarks[partition] = watermark;

    /// <summary>The partition is no longer this processor's: stop reporting it.</summary>
    public void Forget(TopicPartition partition)
    {
        _consumerLag.TryRemove(partition, out _);
        if (partition.Topic == Contracts.Topics.RawTrades)
        {
            _watermarks.TryRemove(partition.Partition.Value, out _);
        }
    }

    /// <summary>A span for one micro-batch, continuing <paramref name="parent"/> and linked to the other messages' contexts.</summary>
    public Activity? StartBatch(ActivityContext parent, IEnumerable<ActivityLink>? links, int messages) =>
        ActivitySource.StartActivity(
            ActivityKind.Consumer,
            parent,
            [new("messaging.system", "kafka"), new("messaging.operation.type", "process"), new("messaging.batch.message_count", messages)],
            links,
            name: "process batch");

    private static string OutcomeName(TradeOutcome outcome) => outcome switch
    {
        TradeOutcome.Applied => "applied",
        TradeOutcome.LateApplied => "late_applied",
        TradeOutcome.Duplicate => "duplicate",
        TradeOutcome.Excluded => "excluded",
        TradeOutcome.TooLate => "too_late",
        _ => outcome.ToString(),
    };

    private IEnumerable<Measurement<long>> ObserveConsumerLag()
    {
        foreach (var (partition, lag) in _consumerLag)
        {
            yield return new Measurement<long>(
                lag,
                new KeyValuePair<string, object?>("topic", partition.Topic),
                new KeyValuePair<string, object?>("partition", partition.Partition.Value));
        }
    }

    private IEnumerable<Measurement<double>> ObserveWatermarkLag()
    {
        var now = _timeProvider.GetUtcNow();
        foreach (var (partition, watermark) in _watermarks)
        {
            yield return new Measurement<double>((now - watermark).TotalSeconds, new KeyValuePair<string, object?>("partition", partition));
        }
    }
}
