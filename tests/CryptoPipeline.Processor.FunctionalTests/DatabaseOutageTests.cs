using System.Diagnostics.Metrics;
using System.Net;
using CryptoPipeline.Database.Migrations;
using CryptoPipeline.EmbeddedPostgres;
using CryptoPipeline.Processor.FunctionalTests.Infrastructure;
using CryptoPipeline.Processor.Telemetry;
using CryptoPipeline.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CryptoPipeline.Processor.FunctionalTests;

/// <summary>PostgreSQL unavailable: consumption pauses and resumes from the stored offsets, losing and doubling nothing.</summary>
[Collection(RecordedStream.Collection)]
public sealed class DatabaseOutageTests(RecordedStream stream) : IDisposable
{
    // Directly below the temp folder: PostgreSQL's own user must be able to reach it.
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "cryptopipeline-outage-" + Guid.NewGuid().ToString("N"));

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Postgres_stopped_mid_stream_loses_nothing_and_counts_nothing_twice_once_it_returns()
    {
        const string Group = "outage";
        var options = new PrivatePostgresOptions { DataDirectory = _dataDirectory, Fsync = false };
        var database = await PrivatePostgresCluster.StartAsync(options, cancellationToken: Cancellation);
        options.Port = database.Port;
        var connectionString = database.ConnectionString;
        await new DatabaseMigrator().MigrateAsync(connectionString, Cancellation);

        // The stream goes on while PostgreSQL is down: its second part is published then.
        using var kafka = RecordedStream.NewCluster();
        RecordedStream.Publish(kafka, part: 0, parts: 2);
        await using var host = await ProcessorHost.StartAsync(kafka.BootstrapServers, connectionString, RecordedStream.SmallBatchSettings(Group));
        using var retries = new RetryCounter(host.App.Services.GetRequiredService<ProcessorTelemetry>().Meter);
        await Eventually.Until(
            () => Tables.CommittedCountAsync(connectionString, Group),
            committed => committed >= stream.MessageCount / 4,
            Tables.ProcessingTimeout,
            "a quarter of the stream to be committed",
            Cancellation);

        await database.DisposeAsync();
        RecordedStream.Publish(kafka, part: 1, parts: 2);
        await Eventually.Until(
            () => host.Client.GetAsync("/health", Cancellation),
            response => response.StatusCode == HttpStatusCode.ServiceUnavailable,
            TimeSpan.FromSeconds(30),
            "readiness to fail while PostgreSQL is down",
            Cancellation);

        // Down "for a while": until the processor has failed and retried with backoff a few times.
        await Eventually.Until(() => retries.Count >= 3, TimeSpan.FromSeconds(30), "three failed attempts to reach PostgreSQL", Cancellation);

        await using (await PrivatePostgresCluster.StartAsync(options, cancellationToken: Cancellation))
        {
            await Tables.WaitForEverythingCommittedAsync(connectionString, kafka, Group);
            var health = await host.Client.GetAsync("/health", Cancellation);
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Tables.AssertSame(stream.Reference, await Tables.SnapshotAsync(connectionString));
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    /// <summary>Counts the processor's <c>processor.retries</c> measurements (failed attempts while PostgreSQL is away).</summary>
    private sealed class RetryCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _count;

        public RetryCounter(Meter meter)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter == meter && instrument.Name == "processor.retries")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _count, value));
            _listener.Start();
        }

        public long Count => Interlocked.Read(ref _count);

        public void Dispose() => _listener.Dispose();
    }
}
