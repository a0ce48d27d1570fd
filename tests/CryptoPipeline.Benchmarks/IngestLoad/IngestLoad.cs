using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using CryptoPipeline.Contracts;
using CryptoPipeline.EmbeddedKafka;
using CryptoPipeline.EmbeddedPostgres;
using CryptoPipeline.Kafka;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Benchmarks.IngestLoad;

/// <summary>
/// The <c>ingest-load</c> command: the real Ingest service, in a child process, against the embedded Kafka cluster
/// (in this process) and a private PostgreSQL (its ingestion journal).
/// <list type="bullet">
/// <item><b>publish</b>: the recorded Binance spot and USD-M feeds replayed as fast as possible through the
/// service's own parser and <c>KafkaMarketDataPublisher</c>: messages/s, and the service's CPU time per million
/// messages, which gives the throughput of one core.</item>
/// <item><b>memory</b>: the simulated market with 400 symbols at a realistic rate for a while: peak resident set
/// and peak GC heap of the service.</item>
/// </list>
/// </summary>
internal static partial class IngestLoad
{
    private const string Usage = """
        Usage: ingest-load [--part publish|memory|all] [--repeat N] [--seconds N] [--symbols N] [--rate R] [--brokers N] [--gzip]
          --part publish|memory|all  what to measure (default all)
          --repeat N    publish: each recording file is replayed N times over, back to back (default 5), so that
                        start-up and JIT warm-up weigh little against the steady state
          --seconds N   memory: how long the simulated market runs (default 60)
          --symbols N   memory: simulated symbols (default 400)
          --rate R      memory: average trades/s per symbol, Ingest:Simulation:TradesPerSecond (default 5, the service's default)
          --brokers N   brokers of the embedded Kafka cluster (default 3)
          --gzip        publish: replay the .gz recordings as they are, once (adds gunzip to the service's CPU);
                        by default they are decompressed first, so the service parses and publishes only
        Needs PostgreSQL's server binaries (apt-get install postgresql) and shared/data (CRYPTO_SHARED_DATA).
        """;

    private const double Mega = 1_000_000;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan ReplayTimeout = TimeSpan.FromMinutes(15);

    public static int Run(string[] args)
    {
        if (!Settings.TryParse(args, out var settings, out var problem))
        {
            (problem is null ? Console.Out : Console.Error).WriteLine(problem is null ? Usage : $"{problem}\n{Usage}");
            return problem is null ? 0 : 2;
        }

        return RunAsync(settings).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(Settings settings)
    {
        await using var postgres = await PrivatePostgresCluster.StartAsync(new PrivatePostgresOptions { Fsync = false });
        using var kafka = new EmbeddedKafkaCluster(settings.Brokers);
        var kafkaOptions = new KafkaOptions { BootstrapServers = kafka.BootstrapServers, ClientId = "ingest-load" };

        // The mock cluster has no CreateTopics API: the topics exist before the service looks for them.
        foreach (var topic in Topics.All)
        {
            kafka.CreateTopic(topic, kafkaOptions.Partitions);
        }

        Console.WriteLine(
            $"Ingest service (child process, server GC) -> embedded Kafka ({settings.Brokers} broker(s), {kafkaOptions.Partitions} partitions, " +
            $"librdkafka {Library.VersionString} mock cluster in this process); PostgreSQL {postgres.Port} (fsync off); " +
            $"{Environment.ProcessorCount} CPU(s); load average at start: {LoadAverage()}");
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__kafka"] = kafka.BootstrapServers,
            ["ConnectionStrings__cryptodb"] = postgres.ConnectionString,
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = null,
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__CryptoPipeline.Ingest.Replay"] = "Information",
            ["Logging__LogLevel__CryptoPipeline.Ingest.Simulation"] = "Information",
        };

        if (settings.Part is "publish" or "all")
        {
            await PublishAsync(settings, environment, kafkaOptions);
        }

        if (settings.Part is "memory" or "all")
        {
            await MemoryAsync(settings, environment, kafkaOptions);
        }

        Console.WriteLine($"Load average at the end: {LoadAverage()}");
        return 0;
    }

    private static async Task PublishAsync(Settings settings, Dictionary<string, string?> environment, KafkaOptions kafka)
    {
        var input = Directory.CreateTempSubdirectory("cryptopipeline-ingest-load-");
        try
        {
            Console.WriteLine();
            Console.WriteLine($"publish: recorded feeds replayed at speed max ({(settings.Gzip ? "gzip, as recorded, once" : $"decompressed beforehand, each file {settings.Repeat} times over")}), " +
                "every frame through BinanceStreamParser, trades and quotes through KafkaMarketDataPublisher (LZ4, idempotent, acks=all)");
            Console.WriteLine("| recording | frames read | trades | quotes | wall s | frames/s | published msgs/s | trades/s | Ingest CPU s | CPU s per 1M published | published msgs/s per core | same, 2nd half only | Kafka (this process) CPU s | Ingest peak RSS MB | exceptions in Ingest |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var (name, folder) in new[] { ("Binance spot (binance/spot-ws)", "binance/spot-ws"), ("Binance USD-M (binance/usdm-ws)", "binance/usdm-ws") })
            {
                var path = settings.Gzip ? SharedData.Path(folder) : Decompress(SharedData.Path(folder), input.CreateSubdirectory(Path.GetFileName(folder)).FullName, settings.Repeat);
                var result = await ReplayAsync(environment, path, kafka);
                Console.WriteLine(
                    $"| {name} | {result.Frames:N0} | {result.Trades:N0} | {result.Quotes:N0} | {result.Wall.TotalSeconds:N2} | " +
                    $"{result.Frames / result.Wall.TotalSeconds:N0} | {result.Published / result.Wall.TotalSeconds:N0} | {result.Trades / result.Wall.TotalSeconds:N0} | " +
                    $"{result.IngestCpu.TotalSeconds:N2} | {result.IngestCpu.TotalSeconds / (result.Published / Mega):N2} | " +
                    $"{result.Published / result.IngestCpu.TotalSeconds:N0} | {result.SteadyPerCore?.ToString("N0", CultureInfo.InvariantCulture) ?? "-"} | " +
                    $"{result.KafkaCpu.TotalSeconds:N2} | {result.PeakResident / Mega:N0} | {result.Exceptions?.ToString("N0", CultureInfo.InvariantCulture) ?? "?"} |");
            }
        }
        finally
        {
            input.Delete(recursive: true);
        }
    }

    private static async Task<ReplayResult> ReplayAsync(Dictionary<string, string?> environment, string path, KafkaOptions kafka)
    {
        var before = KafkaMessages(kafka);
        await using var ingest = IngestProcess.Start(new Dictionary<string, string?>(environment)
        {
            ["Ingest__Sources"] = "replay",
            ["Ingest__Replay__Path"] = path,
            ["Ingest__Replay__Speed"] = "max",
            ["Ingest__Replay__ProgressInterval"] = "00:00:01",
        });

        // The clock and both CPU readings start when the service logs that the replay begins, and stop when it logs
        // that the end of input is in Kafka: everything replayed has been acknowledged by then. The second half of
        // the run (from the first progress report past half of the bytes) is also measured on its own: the steady
        // state, once the JIT has optimized the hot code, counting what Kafka acknowledged within it.
        await ingest.WaitForLineAsync(StartTimeout, "Replaying ");
        using var counters = new RuntimeCounters(ingest.Id);
        var start = new Mark(TimeSpan.Zero, ingest.CpuTime, Process.GetCurrentProcess().TotalProcessorTime, before);
        var clock = Stopwatch.StartNew();
        Mark? half = null;
        string line;
        while (!(line = await ingest.WaitForLineAsync(ReplayTimeout, "% of the bytes", "Replay done:")).Contains("Replay done:", StringComparison.Ordinal))
        {
            if (half is null && ReplayPercent().Match(line) is { Success: true } progress
                && double.Parse(progress.Groups["percent"].Value, CultureInfo.InvariantCulture) >= 50)
            {
                half = new Mark(clock.Elapsed, ingest.CpuTime, Process.GetCurrentProcess().TotalProcessorTime, KafkaMessages(kafka));
            }
        }

        var end = new Mark(clock.Elapsed, ingest.CpuTime, Process.GetCurrentProcess().TotalProcessorTime, KafkaMessages(kafka));
        var summary = ReplayDone().Match(line);
        if (!summary.Success)
        {
            throw new InvalidOperationException($"Cannot read the replay's summary from: {line}");
        }

        var result = new ReplayResult(
            long.Parse(summary.Groups["messages"].Value, CultureInfo.InvariantCulture),
            long.Parse(summary.Groups["trades"].Value, CultureInfo.InvariantCulture),
            long.Parse(summary.Groups["quotes"].Value, CultureInfo.InvariantCulture),
            end.Wall,
            end.IngestCpu - start.IngestCpu,
            end.OwnCpu - start.OwnCpu,
            ingest.ReadMemory().PeakResident,
            half is null ? null : (end.Kafka - half.Kafka - EndMarkers(kafka)) / (end.IngestCpu - half.IngestCpu).TotalSeconds,
            counters.Samples > 0 ? counters.Exceptions : null);

        // Kafka's own count: every trade and quote, plus one end-of-input marker per partition of raw_trades, quotes and prices.
        if (end.Kafka - start.Kafka != result.Published + EndMarkers(kafka))
        {
            throw new InvalidOperationException($"Kafka holds {end.Kafka - start.Kafka:N0} new messages; the replay reported {result.Published:N0} published plus {EndMarkers(kafka)} end markers.");
        }

        return result;
    }

    private static async Task MemoryAsync(Settings settings, Dictionary<string, string?> environment, KafkaOptions kafka)
    {
        Console.WriteLine();
        Console.WriteLine($"memory: simulated market, {settings.Symbols} symbols at {settings.Rate:0.###} trades/s per symbol on average " +
            $"({settings.Symbols * settings.Rate:N0} trades/s and as many quotes in all), for {settings.Seconds} s");
        await using var ingest = IngestProcess.Start(new Dictionary<string, string?>(environment)
        {
            ["Ingest__Sources"] = "simulated",
            ["Ingest__Simulation__SymbolCount"] = settings.Symbols.ToString(CultureInfo.InvariantCulture),
            ["Ingest__Simulation__TradesPerSecond"] = settings.Rate.ToString(CultureInfo.InvariantCulture),
            ["Ingest__Simulation__Seed"] = "42",
        });
        await ingest.WaitForLineAsync(StartTimeout, "Simulating ");
        using var counters = new RuntimeCounters(ingest.Id);
        var before = KafkaMessages(kafka, Topics.RawTrades);
        var cpu = ingest.CpuTime;
        var clock = Stopwatch.StartNew();
        long peakResident = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(settings.Seconds))
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            peakResident = Math.Max(peakResident, ingest.ReadMemory().Resident);
        }

        var elapsed = clock.Elapsed;
        var usedCpu = ingest.CpuTime - cpu;
        var trades = KafkaMessages(kafka, Topics.RawTrades) - before;
        var (resident, peakSinceStart) = ingest.ReadMemory();
        if (counters.Samples == 0)
        {
            throw new InvalidOperationException("No System.Runtime counters arrived from the Ingest service over EventPipe.");
        }

        Console.WriteLine("| symbols | trades/s in Kafka | seconds | Ingest CPU (share of one core) | RSS at end MB | peak RSS while running MB | VmHWM MB (incl. start-up) | peak GC heap MB | GC heap at end MB | peak GC committed MB |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        Console.WriteLine(
            $"| {settings.Symbols} | {trades / elapsed.TotalSeconds:N0} | {elapsed.TotalSeconds:N0} | {usedCpu.TotalSeconds / elapsed.TotalSeconds:P0} | " +
            $"{resident / Mega:N0} | {peakResident / Mega:N0} | {peakSinceStart / Mega:N0} | {counters.PeakHeapBytes / Mega:N0} | " +
            $"{counters.LastHeapBytes / Mega:N0} | {counters.PeakCommittedBytes / Mega:N0} |");
    }

    /// <summary>
    /// How many messages the topics have ever taken (the sum of their partitions' high watermarks): the mock cluster
    /// drops the oldest beyond 100,000 per partition, but the offsets keep counting.
    /// </summary>
    private static long KafkaMessages(KafkaOptions kafka, params string[] topics)
    {
        var names = topics.Length > 0 ? topics : [Topics.RawTrades, Topics.Quotes, Topics.Prices];
        using var consumer = new ConsumerBuilder<byte[], byte[]>(kafka.CreateConsumerConfig("ingest-load-watermarks")).Build();
        var total = 0L;
        foreach (var topic in names)
        {
            for (var partition = 0; partition < kafka.Partitions; partition++)
            {
                total += consumer.QueryWatermarkOffsets(new TopicPartition(topic, partition), TimeSpan.FromSeconds(30)).High.Value;
            }
        }

        return total;
    }

    /// <summary>The end-of-input markers a replay writes: one per partition of raw_trades, quotes and prices.</summary>
    private static int EndMarkers(KafkaOptions kafka) => 3 * kafka.Partitions;

    /// <summary>
    /// Copies the folder's gzip recordings decompressed, each <paramref name="repeat"/> times over in one file, under the
    /// same names less <c>.gz</c> (the replay groups them into the same series). At speed max nothing waits on the
    /// recorded times, so a repeat that starts over in time is replayed like the first pass.
    /// </summary>
    private static string Decompress(string folder, string destination, int repeat)
    {
        foreach (var file in Directory.GetFiles(folder, "*.gz"))
        {
            var content = new MemoryStream();
            using (var source = new GZipStream(File.OpenRead(file), CompressionMode.Decompress))
            {
                source.CopyTo(content);
            }

            using var target = File.Create(Path.Combine(destination, Path.GetFileNameWithoutExtension(file)));
            for (var pass = 0; pass < repeat; pass++)
            {
                content.Position = 0;
                content.CopyTo(target);
            }
        }

        return destination;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    [GeneratedRegex(@"Replay done: (?<trades>\d+) trades and (?<quotes>\d+) quotes published from (?<messages>\d+) messages")]
    private static partial Regex ReplayDone();

    [GeneratedRegex(@"Replay (?<percent>[\d.]+)% of the bytes")]
    private static partial Regex ReplayPercent();

    /// <summary>Readings taken at one moment of a replay: elapsed time, CPU of the service and of this process, messages in Kafka.</summary>
    private sealed record Mark(TimeSpan Wall, TimeSpan IngestCpu, TimeSpan OwnCpu, long Kafka);

    /// <summary>One replay; <c>SteadyPerCore</c> is the messages Kafka acknowledged per CPU second of the service in the second half of the run.</summary>
    private sealed record ReplayResult(long Frames, long Trades, long Quotes, TimeSpan Wall, TimeSpan IngestCpu, TimeSpan KafkaCpu, long PeakResident, double? SteadyPerCore, long? Exceptions)
    {
        public long Published => Trades + Quotes;
    }

    private sealed record Settings(string Part = "all", int Repeat = 5, int Seconds = 60, int Symbols = 400, double Rate = 5, int Brokers = 3, bool Gzip = false)
    {
        public static bool TryParse(string[] args, out Settings settings, out string? problem)
        {
            settings = new Settings();
            problem = null;
            for (var i = 0; i < args.Length; i++)
            {
                var name = args[i];
                if (name is "--help" or "-h")
                {
                    return false;
                }

                if (name == "--gzip")
                {
                    settings = settings with { Gzip = true };
                    continue;
                }

                var value = i + 1 < args.Length ? args[++i] : "";
                switch (name)
                {
                    case "--part" when value is "publish" or "memory" or "all":
                        settings = settings with { Part = value };
                        break;
                    case "--repeat" when Positive(value) is { } repeat:
                        settings = settings with { Repeat = repeat };
                        break;
                    case "--seconds" when Positive(value) is { } seconds:
                        settings = settings with { Seconds = seconds };
                        break;
                    case "--symbols" when Positive(value) is { } symbols:
                        settings = settings with { Symbols = symbols };
                        break;
                    case "--brokers" when Positive(value) is { } brokers:
                        settings = settings with { Brokers = brokers };
                        break;
                    case "--rate" when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) && rate > 0:
                        settings = settings with { Rate = rate };
                        break;
                    case "--part" or "--repeat" or "--seconds" or "--symbols" or "--brokers" or "--rate":
                        problem = $"{name} does not take '{value}'.";
                        return false;
                    default:
                        problem = $"Unknown option '{name}'.";
                        return false;
                }
            }

            return true;
        }

        private static int? Positive(string text) =>
            int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : null;
    }
}
