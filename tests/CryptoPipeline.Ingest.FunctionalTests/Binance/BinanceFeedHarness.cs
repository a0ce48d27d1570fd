using System.Diagnostics.Metrics;
using CryptoPipeline.FakeExchange.Binance;
using CryptoPipeline.Ingest.Binance;
using CryptoPipeline.Ingest.Feeds;
using CryptoPipeline.Ingest.Publishing;
using CryptoPipeline.Ingest.Recording;
using CryptoPipeline.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CryptoPipeline.Ingest.FunctionalTests.Binance;

/// <summary>
/// The Binance feed of the fake server's market, running in a host as Ingest runs it, publishing to a
/// <see cref="CollectingSink"/> and recording to a <see cref="RecordingJournal"/>.
/// </summary>
internal sealed class BinanceFeedHarness : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly IHost _host;
    private readonly MeterListener _listener = new();
    private readonly Dictionary<string, long> _messages = new(StringComparer.Ordinal);

    private BinanceFeedHarness(IHost host, FakeBinanceServer server, CollectingSink sink, RecordingJournal journal)
    {
        _host = host;
        Server = server;
        Sink = sink;
        Journal = journal;
        var meter = host.Services.GetRequiredService<IngestTelemetry>().Meter;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter == meter && instrument.Name == "cryptopipeline.ingest.messages")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == IngestTelemetry.KindTag)
                {
                    lock (_messages)
                    {
                        _messages[(string)tag.Value!] = _messages.GetValueOrDefault((string)tag.Value!) + value;
                    }
                }
            }
        });
        _listener.Start();
    }

    public FakeBinanceServer Server { get; }

    public CollectingSink Sink { get; }

    public RecordingJournal Journal { get; }

    public string Exchange => Server.Market.IsFutures ? "binance-usdm" : "binance";

    public BadInputLog BadInput => _host.Services.GetRequiredService<BadInputLog>();

    /// <summary>
    /// Starts the feed against <paramref name="server"/> for the symbols of its recording. <paramref name="settings"/>
    /// are keys of the market's section (<c>NoDataTimeout</c>, …); <paramref name="time"/> replaces the clock;
    /// <paramref name="recordingDirectory"/> becomes <c>Ingest:Recording:Directory</c>.
    /// </summary>
    public static async Task<BinanceFeedHarness> StartAsync(FakeBinanceServer server, Dictionary<string, string?>? settings = null, TimeProvider? time = null, string? recordingDirectory = null)
    {
        var section = server.Market.IsFutures ? BinanceUsdmOptions.SectionName : BinanceSpotOptions.SectionName;
        var values = new Dictionary<string, string?>
        {
            ["WebSocketBaseUrl"] = server.WebSocketBaseUrl,
            ["RestBaseUrl"] = server.RestBaseUrl,
            ["Symbols"] = string.Join(',', server.Recording.Symbols),
            ["ReconnectDelay"] = "00:00:00.050",
            ["MaxReconnectDelay"] = "00:00:01",
        };
        foreach (var (key, value) in settings ?? [])
        {
            values[key] = value;
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(values.Select(p => KeyValuePair.Create($"{section}:{p.Key}", p.Value)));
        builder.Configuration.AddInMemoryCollection([KeyValuePair.Create($"{RecordingOptions.SectionName}:{nameof(RecordingOptions.Directory)}", recordingDirectory)]);
        builder.Logging.AddProvider(new TestOutputLoggerProvider());
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        var sink = new CollectingSink();
        var journal = new RecordingJournal();
        builder.Services.AddSingleton<IMarketDataSink>(sink);
        builder.Services.AddSingleton<IIngestionJournal>(journal);
        builder.Services.AddFeedRecording(builder.Configuration);
        builder.Services.AddBinanceFeeds(builder.Configuration, new IngestOptions { Sources = [server.Market.IsFutures ? IngestSources.BinanceUsdm : IngestSources.Binance] });
        var host = builder.Build();
        var harness = new BinanceFeedHarness(host, server, sink, journal);
        await host.StartAsync(TestContext.Current.CancellationToken);
        return harness;
    }

    /// <summary>Messages of a kind (<c>trade</c>, <c>quote</c>, <c>ignored</c>, <c>bad</c>, …) the feed counted.</summary>
    public long MessagesOfKind(string kind)
    {
        lock (_messages)
        {
            return _messages.GetValueOrDefault(kind);
        }
    }

    /// <summary>Waits until the sink holds as many trades of each symbol as <paramref name="expected"/> says.</summary>
    public Task WaitForTradesAsync(IReadOnlyDictionary<string, int> expected) =>
        Eventually.Until(
            () => Task.FromResult(new TradeCounts([.. expected.Select(p => (p.Key, Sink.TradesOf(p.Key).Count, p.Value))])),
            counts => counts.Done,
            Patience,
            "the recorded trades (published/expected per symbol)",
            TestContext.Current.CancellationToken);

    /// <summary>Waits until the sink holds the trade <paramref name="tradeId"/> of <paramref name="symbol"/>.</summary>
    public Task WaitForTradeAsync(string symbol, long tradeId) =>
        Eventually.Until(() => Sink.TradesOf(symbol).Any(t => t.TradeId == tradeId), Patience, $"{symbol} trade {tradeId}", TestContext.Current.CancellationToken);

    public Task WaitUntilAsync(Func<bool> condition, string what) =>
        Eventually.Until(condition, Patience, what, TestContext.Current.CancellationToken);

    /// <summary>Stops the feed and the recorder, which has written every frame it saw once this returns.</summary>
    public Task StopAsync() => _host.StopAsync(TestContext.Current.CancellationToken);

    private sealed record TradeCounts(List<(string Symbol, int Published, int Expected)> Counts)
    {
        public bool Done => Counts.All(c => c.Published >= c.Expected);

        public override string ToString() => string.Join(", ", Counts.Select(c => $"{c.Symbol} {c.Published}/{c.Expected}"));
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _host.StopAsync(stop.Token);
        _host.Dispose();
        _listener.Dispose();
    }
}
