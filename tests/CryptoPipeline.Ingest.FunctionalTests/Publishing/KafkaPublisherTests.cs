using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.FunctionalTests.Infrastructure;
using CryptoPipeline.Ingest.Publishing;
using CryptoPipeline.Ingest.Replay;
using CryptoPipeline.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace CryptoPipeline.Ingest.FunctionalTests.Publishing;

/// <summary>
/// The Kafka publisher inside a running service (whose only source is the replay of an empty file, so the tests
/// publish through <see cref="IMarketDataSink"/> themselves), against an embedded cluster with broker faults.
/// </summary>
public sealed class KafkaPublisherTests(PostgresFixture postgres) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly string _emptyRecording = Path.GetTempFileName();

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task With_every_broker_down_sources_wait_at_buffer_capacity_and_everything_arrives_in_order_once_brokers_return()
    {
        const int capacity = 100;
        const int total = 3 * capacity;
        using var kafka = new IngestKafka();
        using var host = await StartAsync(kafka, new() { ["Ingest:Publishing:BufferCapacity"] = capacity.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        var sink = host.Services.GetRequiredService<IMarketDataSink>();
        var publisher = host.Services.GetRequiredService<KafkaMarketDataPublisher>();

        Down(kafka);
        var accepted = 0;
        var source = Task.Run(async () =>
        {
            for (var id = 1; id <= total; id++)
            {
                await sink.PublishAsync(TradeNumber(id, symbol: id % 2 == 0 ? "BTCUSDT" : "ETHUSDT"), Cancellation);
                Interlocked.Increment(ref accepted);
            }
        }, Cancellation);

        await Eventually.Until(() => publisher.Buffered == capacity && Volatile.Read(ref accepted) == capacity, Timeout, "the buffer to fill", Cancellation);
        Assert.False(source.IsCompleted);
        var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Name == "kafka-publisher", Cancellation);
        Assert.Equal(HealthStatus.Degraded, health.Status);
        Assert.Contains("sources are held back", health.Entries["kafka-publisher"].Description, StringComparison.Ordinal);

        Up(kafka);
        await source.WaitAsync(Timeout, Cancellation);
        var trades = kafka.ReadExactly(Topics.RawTrades, total);
        await host.StopAsync(Cancellation);

        foreach (var symbol in trades.GroupBy(t => t.Message.Key))
        {
            var ids = symbol.OrderBy(t => t.Offset.Value).Select(t => IngestKafka.ParseTrade(t).TradeId).ToList();
            Assert.Equal(ids.Order(), ids);
            Assert.Equal(total / 2, ids.Distinct().Count());
        }

        Assert.Equal(0, publisher.Buffered);
    }

    [Fact]
    public async Task Messages_Kafka_does_not_take_within_the_delivery_timeout_are_counted_logged_and_reported_by_health()
    {
        using var kafka = new IngestKafka();
        using var host = await StartAsync(kafka, new() { ["Ingest:Publishing:DeliveryTimeout"] = "00:00:01" });
        var sink = host.Services.GetRequiredService<IMarketDataSink>();
        var publisher = host.Services.GetRequiredService<KafkaMarketDataPublisher>();

        Down(kafka);
        try
        {
            for (var id = 1; id <= 5; id++)
            {
                await sink.PublishAsync(TradeNumber(id), Cancellation);
            }

            await Eventually.Until(() => publisher.GetStatus().DeliveryFailures == 5, Timeout, "five delivery failures", Cancellation);
        }
        finally
        {
            Up(kafka);
        }

        var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Name == "kafka-publisher", Cancellation);
        await host.StopAsync(Cancellation);

        Assert.Equal(0, publisher.Buffered);
        Assert.Equal(HealthStatus.Degraded, health.Status);
        Assert.Contains("5 delivery failure(s)", health.Entries["kafka-publisher"].Description, StringComparison.Ordinal);
        Assert.Contains("raw_trades", health.Entries["kafka-publisher"].Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publishing_waits_for_missing_topics_and_reports_them_until_they_exist()
    {
        using var kafka = new IngestKafka(createTopics: false);
        using var host = await StartAsync(kafka, [], waitForReplay: false);
        var completion = host.Services.GetRequiredService<ReplayCompletion>();
        var health = host.Services.GetRequiredService<HealthCheckService>();

        // The embedded cluster cannot create topics, so the publisher keeps retrying and says why.
        await Eventually.Until(
            async () => (await health.CheckHealthAsync(r => r.Name == "kafka-publisher", Cancellation)).Entries["kafka-publisher"],
            entry => entry.Status == HealthStatus.Degraded && entry.Description!.Contains("Kafka topics not ready", StringComparison.Ordinal) && entry.Description.Contains(Topics.RawTrades, StringComparison.Ordinal),
            Timeout,
            "the publisher to report the missing topics",
            Cancellation);
        Assert.False(completion.Completion.IsCompleted);

        kafka.CreateTopics();
        await completion.Completion.WaitAsync(Timeout, Cancellation);
        Assert.Empty(kafka.ReadUntilEndOfInput(Topics.RawTrades));
        var healthy = await health.CheckHealthAsync(r => r.Name == "kafka-publisher", Cancellation);
        await host.StopAsync(Cancellation);

        Assert.Equal(HealthStatus.Healthy, healthy.Status);
    }

    public void Dispose() => File.Delete(_emptyRecording);

    internal static Trade TradeNumber(long id, string symbol = "BTCUSDT") => new()
    {
        Exchange = Exchanges.Binance,
        Market = Markets.Spot,
        Symbol = symbol,
        TradeId = id,
        Price = 60_000.01m,
        Quantity = 0.001m,
        TradeTime = DateTimeOffset.UnixEpoch.AddDays(20_000).AddMilliseconds(id),
        IsBuyerMaker = id % 3 == 0,
        Kind = TradeKind.Market,
        ReceivedAt = DateTimeOffset.UnixEpoch.AddDays(20_000).AddMilliseconds(id + 5),
        Source = DataSource.Live,
    };

    private static void Down(IngestKafka kafka)
    {
        for (var broker = 1; broker <= kafka.Cluster.BrokerCount; broker++)
        {
            kafka.Cluster.SetBrokerDown(broker);
        }
    }

    private static void Up(IngestKafka kafka)
    {
        for (var broker = 1; broker <= kafka.Cluster.BrokerCount; broker++)
        {
            kafka.Cluster.SetBrokerUp(broker);
        }
    }

    private async Task<IHost> StartAsync(IngestKafka kafka, Dictionary<string, string?> settings, bool waitForReplay = true)
    {
        settings["Ingest:Sources"] = "replay";
        settings["Ingest:Replay:Path"] = _emptyRecording;
        var host = await IngestTestHost.StartAsync(postgres, kafka, settings);
        if (waitForReplay)
        {
            // Its end-of-input markers are in Kafka: from here on the tests' own messages are all there is.
            await host.Services.GetRequiredService<ReplayCompletion>().Completion.WaitAsync(Timeout, Cancellation);
        }

        return host;
    }
}
