using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Kafka.FunctionalTests;

public sealed class TraceContextTests(EmbeddedKafkaFixture kafka) : IClassFixture<EmbeddedKafkaFixture>, IDisposable
{
    private readonly ActivitySource _source = new("CryptoPipeline.Kafka.FunctionalTests");
    private readonly ActivityListener _listener = new()
    {
        ShouldListenTo = source => source.Name == "CryptoPipeline.Kafka.FunctionalTests",
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };

    [Fact]
    public void Trace_context_travels_with_the_message_to_the_consumer()
    {
        ActivitySource.AddActivityListener(_listener);
        var topic = kafka.CreateTopic("traced", partitions: 1);
        using var publish = _source.StartActivity("publish", ActivityKind.Producer);
        Assert.NotNull(publish);
        publish.TraceStateString = "cryptopipeline=ingest";
        var message = TestTraffic.Numbered(0, 1);
        message.Headers = [];
        KafkaTraceContext.Inject(publish, message.Headers);

        using var producer = new ProducerBuilder<string, string>(kafka.Options.CreateProducerConfig()).Build();
        TestTraffic.ProduceAll(producer, topic, [message]);
        using var consumer = new ConsumerBuilder<string, string>(kafka.Options.CreateConsumerConfig(EmbeddedKafkaFixture.UniqueName("traced"))).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var received = TestTraffic.ConsumeExactly(consumer, 1).Single();
        consumer.Close();

        Assert.True(KafkaTraceContext.TryExtract(received.Message.Headers, out var parent));
        Assert.Equal(publish.TraceId, parent.TraceId);
        Assert.Equal(publish.SpanId, parent.SpanId);
        Assert.Equal(ActivityTraceFlags.Recorded, parent.TraceFlags);
        Assert.Equal("cryptopipeline=ingest", parent.TraceState);
        Assert.True(parent.IsRemote);
    }

    [Fact]
    public void Inject_replaces_the_context_a_forwarded_message_carried()
    {
        ActivitySource.AddActivityListener(_listener);
        var headers = new Headers
        {
            { KafkaTraceContext.TraceParentHeader, Encoding.ASCII.GetBytes("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01") },
            { KafkaTraceContext.TraceStateHeader, Encoding.ASCII.GetBytes("upstream=1") },
        };
        using var forward = _source.StartActivity("dead-letter");
        Assert.NotNull(forward);

        KafkaTraceContext.Inject(forward, headers);

        Assert.Single(headers, h => h.Key == KafkaTraceContext.TraceParentHeader);
        Assert.DoesNotContain(headers, h => h.Key == KafkaTraceContext.TraceStateHeader);
        Assert.True(KafkaTraceContext.TryExtract(headers, out var context));
        Assert.Equal(forward.TraceId, context.TraceId);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-a-traceparent")]
    [InlineData("00-00000000000000000000000000000000-b7ad6b7169203331-01")]
    public void Extract_finds_no_context_without_a_valid_traceparent(string? traceParent)
    {
        var headers = new Headers();
        if (traceParent is not null)
        {
            headers.Add(KafkaTraceContext.TraceParentHeader, Encoding.ASCII.GetBytes(traceParent));
        }

        Assert.False(KafkaTraceContext.TryExtract(headers, out _));
    }

    public void Dispose()
    {
        _listener.Dispose();
        _source.Dispose();
    }
}
