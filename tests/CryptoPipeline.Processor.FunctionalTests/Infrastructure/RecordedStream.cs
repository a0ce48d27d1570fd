using CryptoPipeline.Contracts;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Processor.FunctionalTests.Infrastructure;

/// <summary>
/// Several real recordings published once to an embedded cluster (trades of three instruments, quotes and
/// polled-like prices, with end-of-input marks), and the tables one uninterrupted processor makes of them:
/// the reference that crashed, scaled-out and database-starved runs must reproduce row by row.
/// </summary>
public sealed class RecordedStream(PostgresFixture postgres) : IAsyncLifetime
{
    public const string Collection = "Recorded stream";

    /// <summary>Settings of every run over this stream: the raw history on, so it is compared too.</summary>
    public static readonly Dictionary<string, string?> Settings = new()
    {
        ["Processor:RawTradeHistory:Enabled"] = "true",
        ["Processor:RawTradeHistory:RetentionDays"] = "3650",
    };

    // Oldest recording first: on a partition shared by two instruments the later one moves the watermark on,
    // as time does, instead of making the other's trades too late.
    private static readonly Lazy<IReadOnlyList<object>> Messages = new(() =>
    [
        .. Recordings.UsdmTrades,
        .. Recordings.UsdmQuotes.Where((_, i) => i % 10 == 0),
        .. Recordings.UsdmMarkPrices,
        .. Recordings.SpotEthTrades,
        .. Recordings.SpotCsvTrades,
    ]);

    private PipelineKafka? _kafka;
    private Dictionary<string, List<string>>? _reference;

    internal PipelineKafka Kafka => _kafka ?? throw new InvalidOperationException("The stream is not published yet.");

    internal Dictionary<string, List<string>> Reference => _reference ?? throw new InvalidOperationException("The reference run has not finished.");

    /// <summary>Messages published to the topics the processor consumes.</summary>
    public long MessageCount => Kafka.EndOffsets.Where(p => !p.Key.Topic.EndsWith(".dlq", StringComparison.Ordinal)).Sum(p => p.Value);

    /// <summary>Settings of a run over this stream with small batches (many commits, so many points to crash at), plus <paramref name="more"/>.</summary>
    public static Dictionary<string, string?> SmallBatchSettings(string group, params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?>(Settings)
        {
            ["Processor:ConsumerGroup"] = group,
            ["Processor:MaxBatchMessages"] = "200",
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }

    public async ValueTask InitializeAsync()
    {
        _kafka = NewCluster();
        Publish(_kafka, part: 0, parts: 1);

        var database = await postgres.CreateDatabaseAsync();
        var settings = new Dictionary<string, string?>(Settings) { ["Processor:ConsumerGroup"] = "reference" };
        await using (await ProcessorHost.StartAsync(_kafka.BootstrapServers, database, settings))
        {
            await Tables.WaitForEverythingCommittedAsync(database, _kafka, "reference");
        }

        _reference = await Tables.SnapshotAsync(database);
    }

    /// <summary>A cluster shaped like the stream's, for a test that publishes the stream itself, in parts.</summary>
    internal static PipelineKafka NewCluster() => new(partitions: 6);

    /// <summary>
    /// Publishes the <paramref name="part"/>-th of <paramref name="parts"/> equal slices of the stream, in the
    /// stream's order, and the end-of-input marks after the last: all parts make the same partitions as the
    /// stream, so the same tables.
    /// </summary>
    internal static void Publish(PipelineKafka kafka, int part, int parts)
    {
        var messages = Messages.Value;
        var from = messages.Count * part / parts;
        var to = messages.Count * (part + 1) / parts;
        kafka.Publish(messages.Skip(from).Take(to - from));
        if (part == parts - 1)
        {
            kafka.PublishEndOfInput(Topics.RawTrades);
            kafka.PublishEndOfInput(Topics.Prices);
        }
    }

    public ValueTask DisposeAsync()
    {
        _kafka?.Dispose();
        return ValueTask.CompletedTask;
    }
}

[CollectionDefinition(RecordedStream.Collection)]
public sealed class RecordedStreamCollection : ICollectionFixture<RecordedStream>;
