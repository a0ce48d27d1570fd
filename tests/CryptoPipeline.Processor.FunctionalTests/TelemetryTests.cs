using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using Confluent.Kafka;
using CryptoPipeline.Contracts;
using CryptoPipeline.Kafka;
using CryptoPipeline.Processor.FunctionalTests.Infrastructure;
using CryptoPipeline.Processor.Telemetry;
using CryptoPipeline.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CryptoPipeline.Processor.FunctionalTests;

/// <summary>Traces continue the producer's trace through the database commit; metrics describe the flow (DESIGN.md §3, issue 4).</summary>
public sealed class TelemetryTests(PostgresFixture postgres)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Batch_span_continues_the_producer_trace_through_the_commit_and_metrics_describe_the_flow()
    {
        using var kafka = new PipelineKafka();
        var database = await postgres.CreateDatabaseAsync(cancellationToken: Cancellation);
        var trades = Recordings.SpotCsvTrades;
        var producerTrace = ActivityTraceId.CreateRandom();
        var producerSpan = ActivitySpanId.CreateRandom();
        using var spans = new SpanCollector(producerTrace);

        await using var host = await ProcessorHost.StartAsync(kafka.BootstrapServers, database);
        using var metrics = new MetricCollector(host.App.Services.GetRequiredService<ProcessorTelemetry>().Meter);
        var headers = new Headers { { KafkaTraceContext.TraceParentHeader, Encoding.ASCII.GetBytes($"00-{producerTrace}-{producerSpan}-01") } };
        kafka.Publish(trades, headers);
        await Tables.WaitForEverythingCommittedAsync(database, kafka);

        var batches = spans.Stopped.Where(a => a.OperationName == "process batch").ToList();
        Assert.NotEmpty(batches);
        Assert.All(batches, batch =>
        {
            Assert.Equal(ActivityKind.Consumer, batch.Kind);
            Assert.Equal(producerSpan, batch.ParentSpanId);
        });
        var commits = spans.Stopped.Where(a => a.OperationName == "commit").ToList();
        Assert.Equal(batches.Select(b => b.SpanId.ToHexString()).Order(), commits.Select(c => c.ParentSpanId.ToHexString()).Order());

        Assert.Equal(trades.Count, metrics.Sum("processor.trades", ("outcome", "applied")));
        Assert.Equal(trades.Count, metrics.Count("processor.end_to_end.latency"));
        Assert.Equal(batches.Count, metrics.Count("processor.commit.duration"));
        Assert.Equal(trades.Count, metrics.Sum("processor.batch.size"));

        // The gauges: nothing left to consume, and the watermark trails the newest trade by the allowed lateness.
        var partition = kafka.EndOffsets.Keys.Single(p => p.Topic == Topics.RawTrades).Partition.Value;
        await Eventually.Until(
            () => Task.FromResult(metrics.Observe("processor.consumer.lag", ("topic", Topics.RawTrades), ("partition", partition))),
            lag => lag == 0,
            TimeSpan.FromSeconds(10),
            "consumer lag to reach 0",
            Cancellation);
        var watermarkLag = Assert.NotNull(metrics.Observe("processor.watermark.lag", ("partition", partition)));
        var expectedLag = DateTimeOffset.UtcNow - (trades.Max(t => t.TradeTime) - TimeSpan.FromSeconds(5));
        Assert.InRange(watermarkLag, expectedLag.TotalSeconds - 60, expectedLag.TotalSeconds + 1);
    }

    /// <summary>The processor's spans of one trace.</summary>
    private sealed class SpanCollector : IDisposable
    {
        private readonly ActivityListener _listener;
        private readonly ConcurrentQueue<Activity> _stopped = new();

        public SpanCollector(ActivityTraceId trace)
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == "CryptoPipeline.Processor",
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity =>
                {
                    if (activity.TraceId == trace)
                    {
                        _stopped.Enqueue(activity);
                    }
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public IReadOnlyCollection<Activity> Stopped => _stopped;

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>Measurements of one meter instance (other hosts in this test run have their own).</summary>
    private sealed class MetricCollector : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<(string Instrument, double Value, KeyValuePair<string, object?>[] Tags)> _measurements = new();

        public MetricCollector(Meter meter)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter == meter)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((i, v, t, _) => _measurements.Enqueue((i.Name, v, t.ToArray())));
            _listener.SetMeasurementEventCallback<int>((i, v, t, _) => _measurements.Enqueue((i.Name, v, t.ToArray())));
            _listener.SetMeasurementEventCallback<double>((i, v, t, _) => _measurements.Enqueue((i.Name, v, t.ToArray())));
            _listener.Start();
        }

        public double Sum(string instrument, params (string Key, object Value)[] tags) => Matching(instrument, tags).Sum(m => m.Value);

        public int Count(string instrument) => Matching(instrument, []).Count();

        /// <summary>The latest value an observable gauge reports for the tags; null while it reports none.</summary>
        public double? Observe(string instrument, params (string Key, object Value)[] tags)
        {
            _listener.RecordObservableInstruments();
            return Matching(instrument, tags).Select(m => (double?)m.Value).LastOrDefault();
        }

        public void Dispose() => _listener.Dispose();

        private IEnumerable<(string Instrument, double Value, KeyValuePair<string, object?>[] Tags)> Matching(string instrument, (string Key, object Value)[] tags) =>
            _measurements.Where(m => m.Instrument == instrument && tags.All(t => m.Tags.Any(tag => tag.Key == t.Key && Equals(tag.Value, t.Value))));
    }
}
