using System.Net.Sockets;
using CryptoPipeline.Ingest;
using CryptoPipeline.Ingest.Binance;
using CryptoPipeline.Ingest.Bitmex;
using CryptoPipeline.Ingest.Polling;
using CryptoPipeline.Standalone.CommandLine;

namespace CryptoPipeline.Standalone.Sources;

/// <summary>What Standalone feeds the pipeline with, and why.</summary>
/// <param name="Sources">The value of <c>Ingest:Sources</c>.</param>
/// <param name="Description">One line for the banner.</param>
/// <param name="Simulated">The data is the simulated market (labelled <c>simulated</c> in every table and on the dashboard).</param>
public sealed record SourceChoice(string Sources, string Description, bool Simulated)
{
    /// <summary>
    /// Live by default: the configured sources (or <c>binance</c>) are checked by opening a TCP connection to each
    /// one's endpoint. When none of the sources was chosen (no <c>--source</c>, no <c>Ingest:Sources</c>) and
    /// Binance cannot be reached, the simulated market runs instead and the configuration says so; a source that
    /// was chosen is kept, and keeps reconnecting, with a warning.
    /// </summary>
    public static async Task<SourceChoice> DecideAsync(
        IConfiguration configuration, StandaloneCommandLine commandLine, TimeSpan probeTimeout, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(commandLine);
        ArgumentNullException.ThrowIfNull(output);
        if (commandLine.ReplayPath is not null)
        {
            return new SourceChoice(IngestSources.Replay, $"replay of {Path.GetFullPath(commandLine.ReplayPath)} (labelled replay)", Simulated: false);
        }

        // Ingest's own reading of the list (comma-separated or an array), so both agree on what was configured.
        var configured = ConfigurationLists.Read(configuration.GetSection(IngestOptions.SectionName), nameof(IngestOptions.Sources));
        var chosen = commandLine.Source is not null || configured is not null;
        IReadOnlyList<string> list = commandLine.Source is { } source ? [source] : configured ?? [IngestSources.Binance];
        var sources = string.Join(",", list);

        var unreachable = new List<string>();
        foreach (var name in list)
        {
            if (Endpoint(configuration, name) is { } endpoint
                && await ProbeAsync(endpoint, probeTimeout, cancellationToken) is { } failure)
            {
                unreachable.Add($"{name} ({endpoint}: {failure})");
            }
        }

        if (unreachable.Count == 0)
        {
            var simulated = sources == IngestSources.Simulated;
            return new SourceChoice(sources, simulated ? "SIMULATED market — all data labelled 'simulated'" : $"{sources} (live)", simulated);
        }

        if (chosen)
        {
            await output.WriteLineAsync(
                $"WARNING: cannot reach {string.Join("; ", unreachable)}. The source was chosen explicitly, so Standalone does not " +
                "switch to the simulated market: the feed keeps reconnecting with backoff and its health check reports it. " +
                "Leave out --source (and Ingest:Sources) to fall back to the simulated market when the exchange is unreachable.");
            return new SourceChoice(sources, $"{sources} (live, NOT REACHABLE at start-up; reconnecting)", Simulated: false);
        }

        await output.WriteLineAsync(
            $"Cannot reach {string.Join("; ", unreachable)}. Running the SIMULATED market instead: its trades, candles and prices " +
            "are labelled 'simulated' (exchange 'simulated', source 'simulated') everywhere. Use --source binance to insist on the live feed.");
        return new SourceChoice(IngestSources.Simulated, "SIMULATED market (Binance unreachable) — all data labelled 'simulated'", Simulated: true);
    }

    /// <summary>The endpoint a live source connects to first, from its settings or their defaults; null for sources without one.</summary>
    private static Uri? Endpoint(IConfiguration configuration, string source)
    {
        var url = source switch
        {
            IngestSources.Binance => configuration[$"{BinanceSpotOptions.SectionName}:{nameof(BinanceOptions.WebSocketBaseUrl)}"] ?? new BinanceSpotOptions().WebSocketBaseUrl,
            IngestSources.BinanceUsdm => configuration[$"{BinanceUsdmOptions.SectionName}:{nameof(BinanceOptions.WebSocketBaseUrl)}"] ?? new BinanceUsdmOptions().WebSocketBaseUrl,
            IngestSources.Bitmex => configuration[$"{BitmexOptions.SectionName}:{nameof(BitmexOptions.Url)}"] ?? new BitmexOptions().Url,
            IngestSources.CoinGecko => configuration[$"{CoinGeckoOptions.SectionName}:{nameof(CoinGeckoOptions.BaseUrl)}"] ?? new CoinGeckoOptions().BaseUrl,
            IngestSources.BinanceRestPrices => configuration[$"{BinanceSpotOptions.SectionName}:{nameof(BinanceOptions.RestBaseUrl)}"] ?? new BinanceSpotOptions().RestBaseUrl,
            _ => null,
        };
        return Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri : null;
    }

    /// <summary>Null when a TCP connection to the endpoint opens within the timeout; otherwise why not.</summary>
    private static async Task<string?> ProbeAsync(Uri endpoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var port = endpoint.IsDefaultPort ? endpoint.Scheme is "wss" or "https" ? 443 : 80 : endpoint.Port;
        using var tcp = new TcpClient();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await tcp.ConnectAsync(endpoint.Host, port, deadline.Token);
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"no connection within {timeout.TotalSeconds:0.#} s";
        }
        catch (SocketException e)
        {
            return e.Message;
        }
    }
}
