using CryptoPipeline.Ingest;
using CryptoPipeline.Ingest.Replay;

namespace CryptoPipeline.Standalone.CommandLine;

/// <summary>
/// The friendly options on top of normal configuration. Each one only writes configuration keys, so everything they do
/// can also be written as <c>--Key=value</c>, an environment variable or appsettings.json; every other argument
/// (<c>--urls</c>, <c>--Ingest:Simulation:SymbolCount=50</c>, …) goes to the host's own command-line configuration.
/// </summary>
public sealed class StandaloneCommandLine
{
    /// <summary>The sources <c>--source</c> accepts: the live feeds and the simulated market.</summary>
    public static IReadOnlyList<string> Sources { get; } =
        [IngestSources.Binance, IngestSources.BinanceUsdm, IngestSources.Bitmex, IngestSources.CoinGecko, IngestSources.Simulated];

    public const string Usage = """
        Usage: CryptoPipeline.Standalone [options] [--Key=value ...]

        Runs the whole pipeline in one process: Ingest, Processor, Monitor, Api and dashboard, on an embedded Kafka
        cluster and a private PostgreSQL unless ConnectionStrings__kafka / ConnectionStrings__cryptodb are set.

          --source <name>         binance | binance-usdm | bitmex | coingecko | simulated. Default: binance, falling
                                  back to the simulated market (labelled) when Binance cannot be reached.
          --symbols <a,b,...>     symbols for the source (BTCUSDT,ETHUSDT; XBTUSD for bitmex; bitcoin for coingecko).
          --replay <file|folder>  replays recorded feeds or data.binance.vision trade CSVs instead of a live source.
          --speed <speed>         replay speed: max (default), realtime or a multiple such as 10x.
          --exit-when-done        with --replay: waits until every replayed trade is committed and every candle is
                                  final, prints a summary and exits (0 on success).
          --urls <urls>           where the dashboard and the APIs listen (default http://localhost:5000).
          -h, --help              this text.

        Any setting can be given as --Section:Key=value (see README.md, Configuration).
        """;

    private StandaloneCommandLine()
    {
    }

    /// <summary>Configuration written by the friendly options (keys as in appsettings.json).</summary>
    public Dictionary<string, string?> Settings { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Arguments for the host: everything that is not a friendly option.</summary>
    public List<string> HostArguments { get; } = [];

    /// <summary>The source <c>--source</c> named; null when it was not given.</summary>
    public string? Source { get; private set; }

    public string? ReplayPath { get; private set; }

    public bool ExitWhenDone { get; private set; }

    public bool HelpRequested { get; private set; }

    /// <summary>What is wrong with the command line, one message per mistake naming the option and value.</summary>
    public List<string> Errors { get; } = [];

    public static StandaloneCommandLine Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var line = new StandaloneCommandLine();
        string? symbols = null;
        string? speed = null;
        for (var i = 0; i < args.Count; i++)
        {
            var (name, inlineValue) = Split(args[i]);
            switch (name)
            {
                case "-h" or "--help" or "-?":
                    line.HelpRequested = true;
                    break;
                case "--exit-when-done":
                    line.ExitWhenDone = true;
                    break;
                case "--source":
                    line.Source = line.Value(name, inlineValue, args, ref i)?.ToLowerInvariant();
                    break;
                case "--symbols":
                    symbols = line.Value(name, inlineValue, args, ref i);
                    break;
                case "--replay":
                    line.ReplayPath = line.Value(name, inlineValue, args, ref i);
                    break;
                case "--speed":
                    speed = line.Value(name, inlineValue, args, ref i);
                    break;
                default:
                    line.HostArguments.Add(args[i]);
                    break;
            }
        }

        line.Apply(symbols, speed);
        return line;
    }

    private void Apply(string? symbols, string? speed)
    {
        if (Source is not null && !Sources.Contains(Source))
        {
            Errors.Add($"--source '{Source}' is not a source: use one of {string.Join(", ", Sources)}.");
        }

        if (ReplayPath is not null && Source is not null)
        {
            Errors.Add($"--replay and --source {Source} exclude each other: a replay is its own source.");
        }

        if (ReplayPath is not null && !File.Exists(ReplayPath) && !Directory.Exists(ReplayPath))
        {
            Errors.Add($"--replay '{ReplayPath}' is neither a file nor a folder.");
        }

        if (speed is not null && ReplayPath is null)
        {
            Errors.Add("--speed only applies to --replay.");
        }

        if (speed is not null && !ReplaySpeed.TryParse(speed, out _))
        {
            Errors.Add($"--speed '{speed}' is invalid: use max, realtime or a multiple such as 10x or 0.5x.");
        }

        if (ExitWhenDone && ReplayPath is null)
        {
            Errors.Add("--exit-when-done needs --replay: a live source never ends.");
        }

        if (ReplayPath is not null)
        {
            Settings["Ingest:Sources"] = IngestSources.Replay;
            Settings["Ingest:Replay:Path"] = Path.GetFullPath(ReplayPath);
            Settings["Ingest:Replay:Speed"] = speed ?? "max";
            Set("Ingest:Replay:Symbols", symbols);
        }
        else if (Source is not null)
        {
            Settings["Ingest:Sources"] = Source;
        }

        if (ReplayPath is null && symbols is not null)
        {
            foreach (var key in SymbolKeys(Source))
            {
                Settings[key] = symbols;
            }
        }
    }

    /// <summary>Where a source reads its symbols; without <c>--source</c>, the default and its fallback.</summary>
    private static string[] SymbolKeys(string? source) => source switch
    {
        IngestSources.Bitmex => ["Ingest:Bitmex:Symbols"],
        IngestSources.CoinGecko => ["Ingest:CoinGecko:Ids"],
        IngestSources.BinanceUsdm => ["Ingest:Binance:Usdm:Symbols", "Ingest:Symbols"],
        _ => ["Ingest:Binance:Spot:Symbols", "Ingest:Symbols"],
    };

    private void Set(string key, string? value)
    {
        if (value is not null)
        {
            Settings[key] = value;
        }
    }

    private string? Value(string name, string? inlineValue, IReadOnlyList<string> args, ref int i)
    {
        if (inlineValue is not null)
        {
            return inlineValue;
        }

        if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
        {
            return args[++i];
        }

        Errors.Add($"{name} needs a value.");
        return null;
    }

    private static (string Name, string? Value) Split(string argument)
    {
        var equals = argument.IndexOf('=', StringComparison.Ordinal);
        return argument.StartsWith("--", StringComparison.Ordinal) && equals > 0
            ? (argument[..equals], argument[(equals + 1)..])
            : (argument, null);
    }
}
