using System.Globalization;

namespace CryptoPipeline.Benchmarks.PipelineLoad;

/// <summary>What drives one step of <c>pipeline-load</c>.</summary>
internal enum LoadKind
{
    /// <summary>The simulated market at the offered rate; end-to-end latency is measured.</summary>
    Rate,

    /// <summary>The simulated market offered far more than the pipeline takes: sustained throughput.</summary>
    Max,

    /// <summary>The recordings, symbols multiplied and looped, replayed at the offered rate; commit → SSE latency is measured.</summary>
    Replay,
}

/// <summary>The command line of <c>pipeline-load</c>.</summary>
internal sealed record LoadSettings
{
    public const string Usage = """
        Usage: pipeline-load [--symbols N,N,...] [--loads rate,max,replay] [--rate N,...] [--seconds N] [--warmup N]
                             [--kafka BOOTSTRAP] [--fsync on|off] [--partitions N]
          --symbols N,...   symbol counts to run each load with (default 10,50,500,2000)
          --loads K,...     rate: simulated market at --rate, end-to-end latency from ingest receive time to commit;
                            max: simulated market offered far above capacity, sustained trades/s;
                            replay: the Binance spot recordings, symbols multiplied and looped, at --rate,
                            with an SSE client measuring commit -> client latency (default rate,max,replay)
          --rate N,...      offered trades/s of the rate and replay loads, one step per rate (default 2000)
          --seconds N       measured seconds of each step (default 30)
          --warmup N        seconds after the first commit before measuring (default 10)
          --kafka B         a real Kafka's bootstrap servers instead of the embedded cluster in this process
          --fsync on|off    PostgreSQL fsync and synchronous_commit (default on)
          --partitions N    partitions of the embedded cluster's topics (default 6, the pipeline's default)
        Every step starts a fresh database and (embedded) Kafka, runs Ingest, Processor and Api as child processes
        configured by environment variables only, and stops them afterwards.
        """;

    public IReadOnlyList<int> Symbols { get; init; } = [10, 50, 500, 2_000];

    public IReadOnlyList<LoadKind> Loads { get; init; } = [LoadKind.Rate, LoadKind.Max, LoadKind.Replay];

    public IReadOnlyList<int> Rates { get; init; } = [2_000];

    public int Seconds { get; init; } = 30;

    public int Warmup { get; init; } = 10;

    public string? Kafka { get; init; }

    public bool Fsync { get; init; } = true;

    public int Partitions { get; init; } = 6;

    /// <summary>False with a null <paramref name="problem"/> when help was asked for.</summary>
    public static bool TryParse(string[] args, out LoadSettings settings, out string? problem)
    {
        settings = new LoadSettings();
        problem = null;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (name is "--help" or "-h")
            {
                return false;
            }

            if (i + 1 >= args.Length)
            {
                problem = $"{name} needs a value.";
                return false;
            }

            var value = args[++i];
            switch (name)
            {
                case "--symbols" when TryPositiveList(value, out var counts) && counts.All(c => c is >= 2 and <= 100_000):
                    settings = settings with { Symbols = counts };
                    break;
                case "--symbols":
                    problem = $"--symbols needs comma-separated counts from 2 to 100000, not '{value}'.";
                    return false;
                case "--loads" when TryLoads(value, out var loads):
                    settings = settings with { Loads = loads };
                    break;
                case "--loads":
                    problem = $"--loads needs a comma-separated list of rate, max and replay, not '{value}'.";
                    return false;
                case "--rate" when TryPositiveList(value, out var rates):
                    settings = settings with { Rates = rates };
                    break;
                case "--rate":
                    problem = $"--rate needs comma-separated positive trades/s, not '{value}'.";
                    return false;
                case "--seconds" when TryPositive(value, out var seconds):
                    settings = settings with { Seconds = seconds };
                    break;
                case "--warmup" when TryPositive(value, out var warmup):
                    settings = settings with { Warmup = warmup };
                    break;
                case "--partitions" when TryPositive(value, out var partitions):
                    settings = settings with { Partitions = partitions };
                    break;
                case "--seconds" or "--warmup" or "--partitions":
                    problem = $"{name} needs a positive whole number, not '{value}'.";
                    return false;
                case "--kafka" when !string.IsNullOrWhiteSpace(value):
                    settings = settings with { Kafka = value };
                    break;
                case "--fsync" when value is "on" or "off":
                    settings = settings with { Fsync = value == "on" };
                    break;
                case "--kafka" or "--fsync":
                    problem = $"{name} got '{value}': see the usage.";
                    return false;
                default:
                    problem = $"Unknown option {name}.";
                    return false;
            }
        }

        return true;
    }

    private static bool TryPositive(string text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value > 0;

    private static bool TryPositiveList(string text, out IReadOnlyList<int> values)
    {
        var parsed = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!TryPositive(part, out var value))
            {
                values = [];
                return false;
            }

            parsed.Add(value);
        }

        values = parsed;
        return parsed.Count > 0;
    }

    private static bool TryLoads(string text, out IReadOnlyList<LoadKind> loads)
    {
        var parsed = new List<LoadKind>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            LoadKind? kind = part switch
            {
                "rate" => LoadKind.Rate,
                "max" => LoadKind.Max,
                "replay" => LoadKind.Replay,
                _ => null,
            };
            if (kind is null)
            {
                loads = [];
                return false;
            }

            parsed.Add(kind.Value);
        }

        loads = parsed;
        return parsed.Count > 0;
    }
}
