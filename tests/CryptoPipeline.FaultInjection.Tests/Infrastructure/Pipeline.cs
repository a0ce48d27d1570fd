using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using CryptoPipeline.Contracts;
using CryptoPipeline.EmbeddedKafka;
using CryptoPipeline.FakeExchange.Binance;
using CryptoPipeline.Testing;
using Npgsql;

namespace CryptoPipeline.FaultInjection.Tests.Infrastructure;

/// <summary>Where Ingest takes the recordings from.</summary>
internal enum IngestMode
{
    /// <summary>Live, from fake Binance servers replaying them over WebSocket and REST (the <c>binance</c>, <c>binance-usdm</c> sources).</summary>
    Live,

    /// <summary>From the files, with Ingest's <c>replay</c> source, which marks the end of input when done.</summary>
    Replay,
}

/// <summary>
/// The whole pipeline with real processes: fake Binance servers replaying the recordings (in this process), an
/// embedded three-broker Kafka cluster (in this process, so it outlives every killed service), the Ingest and
/// Processor executables as child processes, and PostgreSQL. Scenarios kill, stop and restart the pieces;
/// this class starts them the way an orchestrator would (environment variables only) and reads the progress.
/// </summary>
internal sealed class Pipeline : IAsyncDisposable
{
    public const string Group = "processor";
    public const int Brokers = 3;
    public const int Partitions = 6;
    private const int MaxLogChars = 6_000;

    private static readonly string ServicesDirectory = Path.Combine(AppContext.BaseDirectory, "services");
    private readonly List<string> _finishedLogs = [];
    private readonly List<MarketObserver> _observers = [];
    private readonly IConsumer<byte[], byte[]> _watermarks;
    private string? _replayFolder;

    private Pipeline(Dataset dataset, IngestMode mode, string database, IReadOnlyList<(MarketFeed, FakeBinanceServer)> feeds, EmbeddedKafkaCluster kafka)
    {
        Dataset = dataset;
        Mode = mode;
        Database = database;
        Feeds = feeds;
        Kafka = kafka;
        // Quiet: the brokers going down is the point of some scenarios, not news.
        _watermarks = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = kafka.BootstrapServers, GroupId = "fault-watermarks" })
            .SetLogHandler((_, _) => { })
            .Build();
    }

    public Dataset Dataset { get; }

    public IngestMode Mode { get; }

    /// <summary>Connection string of the pipeline's database.</summary>
    public string Database { get; }

    /// <summary>The fake exchanges Ingest reads in <see cref="IngestMode.Live"/>; none when it replays the files.</summary>
    public IReadOnlyList<(MarketFeed Feed, FakeBinanceServer Server)> Feeds { get; }

    public EmbeddedKafkaCluster Kafka { get; }

    public ServiceProcess? Ingest { get; private set; }

    public ServiceProcess? Processor { get; private set; }

    /// <summary>Replay speed (a multiple of the recorded pace; null: as fast as possible).</summary>
    public double? Speed { get; private init; }

    /// <summary>Starts the exchanges (live mode) and Kafka (with the pipeline's topics); the services start separately.</summary>
    public static async Task<Pipeline> StartAsync(Dataset dataset, IngestMode mode, string database, double? speed)
    {
        var feeds = new List<(MarketFeed, FakeBinanceServer)>();
        foreach (var feed in mode == IngestMode.Live ? dataset.Feeds : [])
        {
            feeds.Add((feed, await FakeBinanceServer.StartAsync(new FakeBinanceServerOptions { Market = feed.Market, Recordings = feed.Recordings, Speed = speed })));
        }

        var kafka = new EmbeddedKafkaCluster(Brokers);
        kafka.SetGroupInitialRebalanceDelay(TimeSpan.FromMilliseconds(100));
        foreach (var topic in Topics.All)
        {
            kafka.CreateTopic(topic, Partitions);
        }

        return new Pipeline(dataset, mode, database, feeds, kafka) { Speed = speed };
    }

    /// <summary>Starts Ingest and the Processor, and once the market has opened (Ingest subscribed), an observer that keeps it moving.</summary>
    public async Task StartServicesAsync(CancellationToken cancellationToken)
    {
        StartProcessor();
        StartIngest();

        // Live: each market opens when Ingest subscribes; from then on an observer keeps it moving.
        foreach (var (_, server) in Feeds)
        {
            await Eventually.Until(
                () => Task.FromResult(server.ReplayPosition),
                position => position > 0 || Ingest!.HasExited,
                TimeSpan.FromSeconds(120),
                $"Ingest to subscribe to {server.Market.RestPrefix}'s streams",
                cancellationToken);
            Assert.False(Ingest!.HasExited, $"Ingest exited at start-up:\n{Ingest.Output}");
            _observers.Add(MarketObserver.Start(server));
        }
    }

    public void StartIngest()
    {
        var environment = CommonEnvironment();
        if (Mode == IngestMode.Replay)
        {
            environment["Ingest__Sources"] = "replay";
            environment["Ingest__Replay__Path"] = ReplayFolder();
            environment["Ingest__Replay__Speed"] = Speed is { } speed ? string.Create(CultureInfo.InvariantCulture, $"{speed}x") : "max";
            Ingest = ServiceProcess.Start(Path.Combine(ServicesDirectory, "ingest", "CryptoPipeline.Ingest.dll"), environment);
            return;
        }

        environment["Ingest__Sources"] = string.Join(',', Feeds.Select(f => f.Feed.Source));
        foreach (var (feed, server) in Feeds)
        {
            environment[feed.Section + "__WebSocketBaseUrl"] = server.WebSocketBaseUrl;
            environment[feed.Section + "__RestBaseUrl"] = server.RestBaseUrl;
            environment[feed.Section + "__Symbols"] = string.Join(',', server.Recording.Symbols.Order(StringComparer.Ordinal));
        }

        Ingest = ServiceProcess.Start(Path.Combine(ServicesDirectory, "ingest", "CryptoPipeline.Ingest.dll"), environment);
    }

    public void StartProcessor()
    {
        var environment = CommonEnvironment();
        environment["Processor__ConsumerGroup"] = Group;

        // Small batches: many commits, so many points for a fault to fall between.
        environment["Processor__MaxBatchMessages"] = "200";

        // A killed member keeps its partitions until its session times out: keep that short.
        environment["Kafka__SessionTimeoutMs"] = "3000";
        Processor = ServiceProcess.Start(Path.Combine(ServicesDirectory, "processor", "CryptoPipeline.Processor.dll"), environment);
    }

    /// <summary>SIGKILL: no shutdown code runs, nothing is flushed, the consumer does not leave its group.</summary>
    public async Task KillIngestAsync()
    {
        await KillAsync("ingest", Ingest);
        Ingest = null;
    }

    /// <inheritdoc cref="KillIngestAsync"/>
    public async Task KillProcessorAsync()
    {
        await KillAsync("processor", Processor);
        Processor = null;
    }

    /// <summary>Trades counted in the candles so far (the sum of <c>trade_count</c>).</summary>
    public async Task<long> CountedTradesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await PipelineTables.OpenAsync(Database, cancellationToken);
        await using var command = new NpgsqlCommand("SELECT coalesce(sum(trade_count), 0)::bigint FROM trades_1min_agg", connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The sum of the offsets the processor committed with its candles.</summary>
    public async Task<long> CommittedAsync(CancellationToken cancellationToken) =>
        (await PipelineTables.CommittedOffsetsAsync(Database, Group, cancellationToken)).Values.Sum();

    /// <summary>
    /// How far the market has got, from 0 to 1: live, the share of its recorded messages the exchange furthest on has
    /// sent (so that faults before 1 fall while every market still trades: the recordings differ in length);
    /// replayed, the share of the recordings' trades the candles count.
    /// </summary>
    public async Task<double> ProgressAsync(CancellationToken cancellationToken)
    {
        if (Mode == IngestMode.Live)
        {
            return Feeds.Max(f => (double)f.Server.ReplayPosition / f.Server.Recording.Messages.Count);
        }

        return await Tolerant(() => CountedTradesAsync(cancellationToken), 0) / (double)Dataset.ExpectedTradeCount;
    }

    /// <summary>Waits until the market has got to <paramref name="progress"/> (see <see cref="ProgressAsync"/>).</summary>
    public async Task WaitForProgressAsync(double progress, string why, CancellationToken cancellationToken)
    {
        await Eventually.Until(
            () => ProgressAsync(cancellationToken),
            reached => reached >= progress || Ingest?.HasExited == true || Processor?.HasExited == true,
            TimeSpan.FromSeconds(180),
            $"the market to get {progress:P0} of the way ({why})",
            cancellationToken);
        AssertRunning();
    }

    /// <summary>The end of every partition the processor consumes, now.</summary>
    public Dictionary<(string Topic, int Partition), long> EndOffsets()
    {
        var ends = new Dictionary<(string, int), long>();
        foreach (var topic in new[] { Topics.RawTrades, Topics.Quotes, Topics.Prices })
        {
            for (var partition = 0; partition < Partitions; partition++)
            {
                ends[(topic, partition)] = _watermarks.QueryWatermarkOffsets(new TopicPartition(topic, partition), TimeSpan.FromSeconds(5)).High.Value;
            }
        }

        return ends;
    }

    /// <summary>Per instrument, the highest trade id of the market's trades that have happened so far (sent or skipped); null when replaying files.</summary>
    public Dictionary<(string Exchange, string Symbol), long>? MarketPosition()
    {
        if (Mode == IngestMode.Replay)
        {
            return null;
        }

        var position = new Dictionary<(string, string), long>();
        foreach (var (feed, server) in Feeds)
        {
            var passed = server.ReplayPosition;
            foreach (var symbol in server.Recording.Symbols)
            {
                var trades = server.Recording.Trades(symbol).Where(t => t.MessageIndex < passed).ToList();
                position[(feed.Exchange, symbol)] = trades.Count == 0 ? long.MinValue : trades.Max(t => t.Id);
            }
        }

        return position;
    }

    /// <summary>The trade ids the candles have counted, per instrument, as sorted ranges [first, last].</summary>
    public async Task<Dictionary<(string Exchange, string Symbol), List<(long First, long Last)>>> CountedIdsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await PipelineTables.OpenAsync(Database, cancellationToken);
        await using var command = new NpgsqlCommand("SELECT exchange, symbol, trade_ids::text FROM trades_1min_agg WHERE trade_ids IS NOT NULL", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var counted = new Dictionary<(string, string), List<(long, long)>>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var key = (reader.GetString(0), reader.GetString(1));
            if (!counted.TryGetValue(key, out var ranges))
            {
                counted[key] = ranges = [];
            }

            ranges.AddRange(ParseRanges(reader.GetString(2)));
        }

        foreach (var ranges in counted.Values)
        {
            ranges.Sort();
        }

        return counted;
    }

    /// <summary>Whether every expected trade up to <paramref name="upTo"/> (per instrument) is counted.</summary>
    public async Task<bool> CountsEverythingUpToAsync(IReadOnlyDictionary<(string Exchange, string Symbol), long> upTo, CancellationToken cancellationToken)
    {
        var counted = await CountedIdsAsync(cancellationToken);
        foreach (var feed in Dataset.Feeds)
        {
            foreach (var (symbol, trades) in feed.ExpectedTrades)
            {
                var limit = upTo.GetValueOrDefault((feed.Exchange, symbol), long.MinValue);
                var ranges = counted.GetValueOrDefault((feed.Exchange, symbol)) ?? [];
                if (trades.Keys.TakeWhile(id => id <= limit).Any(id => !Contains(ranges, id)))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// Waits until the recordings are over, every trade of them is counted and the processor has committed
    /// everything Kafka holds. Returns false at the deadline instead of failing: the audit then says what is missing.
    /// </summary>
    public async Task<bool> WaitForCompletionAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await WaitForCompletionOrFailAsync(timeout, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private async Task WaitForCompletionOrFailAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var everything = Dataset.Feeds.SelectMany(f => f.ExpectedTrades.Select(t => ((f.Exchange, t.Key), t.Value.Keys.Max()))).ToDictionary();
        await Eventually.Until(
            async () => Feeds.All(f => f.Server.ReplayFinished.IsCompleted)
                && await Tolerant(() => CountsEverythingUpToAsync(everything, cancellationToken), false)
                && await Tolerant(() => CommittedEverythingAsync(cancellationToken), false),
            done => done,
            timeout,
            "the recordings to end and every trade to be counted",
            cancellationToken);
    }

    /// <summary>Whether the processor's committed offsets reach the end of every partition it consumes.</summary>
    public Task<bool> CommittedEverythingAsync(CancellationToken cancellationToken) => CommittedAsync(EndOffsets(), cancellationToken);

    /// <summary>Whether the processor's committed offsets reach <paramref name="ends"/>.</summary>
    public async Task<bool> CommittedAsync(IReadOnlyDictionary<(string Topic, int Partition), long> ends, CancellationToken cancellationToken)
    {
        var committed = await PipelineTables.CommittedOffsetsAsync(Database, Group, cancellationToken);
        return ends.All(end => end.Value == 0 || committed.GetValueOrDefault(end.Key) >= end.Value);
    }

    /// <summary>The tail of every service process's output, for a failure message.</summary>
    public string Logs()
    {
        var logs = new List<string>(_finishedLogs);
        if (Ingest is not null)
        {
            logs.Add(Describe("ingest (current)", Ingest));
        }

        if (Processor is not null)
        {
            logs.Add(Describe("processor (current)", Processor));
        }

        return string.Join("\n", logs);
    }

    public void AssertRunning()
    {
        Assert.False(Ingest?.HasExited == true, $"Ingest exited on its own:\n{Logs()}");
        Assert.False(Processor?.HasExited == true, $"The processor exited on its own:\n{Logs()}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in new[] { Ingest, Processor })
        {
            if (process is not null)
            {
                await process.DisposeAsync();
            }
        }

        foreach (var observer in _observers)
        {
            await observer.DisposeAsync();
        }

        foreach (var (_, server) in Feeds)
        {
            await server.DisposeAsync();
        }

        _watermarks.Dispose();
        Kafka.Dispose();
        if (_replayFolder is not null)
        {
            Directory.Delete(_replayFolder, recursive: true);
        }
    }

    /// <summary>Runs <paramref name="probe"/>, taking a database or broker that is away as <paramref name="whenAway"/>.</summary>
    public static async Task<T> Tolerant<T>(Func<Task<T>> probe, T whenAway)
    {
        try
        {
            return await probe();
        }
        catch (Exception e) when (e is NpgsqlException or KafkaException or TimeoutException or InvalidOperationException)
        {
            return whenAway;
        }
    }

    /// <summary>Parses an <c>int8multirange</c>'s text, <c>{[a,b),[c,d)}</c>, into inclusive ranges.</summary>
    public static IEnumerable<(long First, long Last)> ParseRanges(string text)
    {
        foreach (var range in text.Trim('{', '}').Split("),", StringSplitOptions.RemoveEmptyEntries))
        {
            var bounds = range.Trim('[', ')', ' ').Split(',');
            yield return (long.Parse(bounds[0], CultureInfo.InvariantCulture), long.Parse(bounds[1], CultureInfo.InvariantCulture) - 1);
        }
    }

    public static bool Contains(List<(long First, long Last)> ranges, long id)
    {
        var low = 0;
        var high = ranges.Count - 1;
        while (low <= high)
        {
            var middle = low + ((high - low) / 2);
            if (ranges[middle].Last < id)
            {
                low = middle + 1;
            }
            else if (ranges[middle].First > id)
            {
                high = middle - 1;
            }
            else
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A folder of links to the dataset's recordings: Ingest replays a folder's files as series merged by time.</summary>
    private string ReplayFolder()
    {
        if (_replayFolder is null)
        {
            _replayFolder = Directory.CreateTempSubdirectory("cryptopipeline-faults-replay-").FullName;
            foreach (var file in Dataset.Feeds.SelectMany(f => f.Recordings))
            {
                File.CreateSymbolicLink(Path.Combine(_replayFolder, Path.GetFileName(file)), SharedData.Path(file));
            }
        }

        return _replayFolder;
    }

    private Dictionary<string, string?> CommonEnvironment() => new()
    {
        ["ConnectionStrings__kafka"] = Kafka.BootstrapServers,
        ["ConnectionStrings__cryptodb"] = Database,
        ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
        ["DOTNET_ENVIRONMENT"] = "Production",
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["Logging__LogLevel__Default"] = "Warning",
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = null,
    };

    private async Task KillAsync(string name, ServiceProcess? process)
    {
        ArgumentNullException.ThrowIfNull(process);
        Assert.False(process.HasExited, $"{name} had exited on its own before the kill:\n{Logs()}");
        process.Signal(ServiceProcess.Sigkill);
        await process.WaitForExitAsync(TimeSpan.FromSeconds(30));
        _finishedLogs.Add(Describe(name + " (killed)", process));
        await process.DisposeAsync();
    }

    private static string Describe(string name, ServiceProcess process)
    {
        var output = process.Output;
        return $"--- {name}, pid {process.Id}:\n{(output.Length > MaxLogChars ? "…" + output[^MaxLogChars..] : output)}";
    }

    /// <summary>A stopwatch reading, for recovery times.</summary>
    public static long Now() => Stopwatch.GetTimestamp();
}
