using CryptoPipeline.Contracts;
using CryptoPipeline.FakeExchange.Binance;
using CryptoPipeline.Ingest.FunctionalTests.Binance;
using CryptoPipeline.Ingest.Replay;

namespace CryptoPipeline.Ingest.FunctionalTests.Recording;

/// <summary><c>Ingest:Recording:Directory</c> records the live Binance feed in the format the replay source reads.</summary>
public sealed class LiveRecordingTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("ingest-live-recording-").FullName;

    [Fact]
    public async Task A_recorded_live_session_replays_to_the_trades_the_feed_published()
    {
        await using var server = await FakeBinanceServer.StartAsync(FakeBinanceMarket.Spot, Recordings.Spot2024);
        await using var feed = await BinanceFeedHarness.StartAsync(server, recordingDirectory: _folder);
        await feed.WaitForTradesAsync(Recordings.TradeCounts(server.Recording));
        await feed.StopAsync();
        var live = feed.Sink.Trades;

        var series = Assert.Single(ReplayFile.Resolve(_folder, "*", exchange: null));
        Assert.All(series, file => Assert.StartsWith("binance_", file.Name, StringComparison.Ordinal));
        var progress = new ReplayProgress();
        var replayed = new ReplaySeries(series, symbols: [], progress, feed.BadInput, TimeProvider.System, maxLineBytes: 1 << 20)
            .Read().Select(r => r.Trade).OfType<Trade>().ToList();

        Assert.Equal(Comparable(live), Comparable(replayed));
        Assert.All(replayed, t => Assert.Equal(DataSource.Replay, t.Source));
        Assert.Equal(0, progress.Skipped);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>The trade as both paths must agree on it: the receive time as recorded (µs), the source apart.</summary>
    private static List<Trade> Comparable(IEnumerable<Trade> trades) =>
        [.. trades
            .Select(t => t with { Source = DataSource.Live, ReceivedAt = t.ReceivedAt.AddTicks(-(t.ReceivedAt.Ticks % 10)) })
            .OrderBy(t => t.Symbol, StringComparer.Ordinal)
            .ThenBy(t => t.TradeId)];
}
