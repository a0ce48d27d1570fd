using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.FunctionalTests.Infrastructure;
using CryptoPipeline.Ingest.Replay;
using CryptoPipeline.Kafka;
using CryptoPipeline.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CryptoPipeline.Ingest.FunctionalTests.Replay;

/// <summary>The recorded Binance feeds of shared/data replayed through the service into an embedded Kafka cluster.</summary>
public sealed class RecordedFeedReplayTests(PostgresFixture postgres)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Spot_recordings_of_two_symbols_arrive_complete_in_order_once_with_end_markers_on_every_partition()
    {
        using var kafka = new IngestKafka();
        using var host = await IngestTestHost.StartAsync(postgres, kafka, new()
        {
            ["Ingest:Sources"] = "replay",
            ["Ingest:Replay:Path"] = SharedData.Path("binance/spot-ws"),
            ["Ingest:Replay:Pattern"] = "spot_*_2024080*.gz",
        });

        var summary = await host.Services.GetRequiredService<ReplayCompletion>().Completion.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        var trades = kafka.ReadUntilEndOfInput(Topics.RawTrades);
        var quotes = kafka.ReadUntilEndOfInput(Topics.Quotes);
        var prices = kafka.ReadUntilEndOfInput(Topics.Prices);
        await host.StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal(4, summary.Files);
        AssertContiguousPerKey(trades, new()
        {
            ["binance:BTCUSDT"] = (3735683259, 3735703162),
            ["binance:ETHUSDT"] = (1520538925, 1520553439),
        });
        Assert.Equal(summary.Trades, trades.Count);
        Assert.All(trades.Select(IngestKafka.ParseTrade), t => Assert.Equal((DataSource.Replay, Markets.Spot), (t.Source, t.Market)));
        Assert.All(trades, t => Assert.True(KafkaTraceContext.TryExtract(t.Message.Headers, out _), "every message carries a traceparent"));

        // Quotes and prices get their markers too, so the processor finalizes every partition it reads.
        Assert.Equal(summary.Quotes, quotes.Count);
        Assert.Empty(prices);
    }

    [Fact]
    public async Task Futures_recording_in_microseconds_keeps_trade_kinds_and_arrives_complete()
    {
        using var kafka = new IngestKafka();
        using var host = await IngestTestHost.StartAsync(postgres, kafka, new()
        {
            ["Ingest:Sources"] = "replay",
            ["Ingest:Replay:Path"] = SharedData.Path("binance/usdm-ws"),
            ["Ingest:Replay:Pattern"] = "usdm_btcusdt_2023*.dat.gz",
            ["Ingest:Symbols"] = "BTCUSDT",
        });

        await host.Services.GetRequiredService<ReplayCompletion>().Completion.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        var trades = kafka.ReadUntilEndOfInput(Topics.RawTrades);
        await host.StopAsync(TestContext.Current.CancellationToken);

        AssertContiguousPerKey(trades, new() { ["binance-usdm:BTCUSDT"] = (3535186032, 3535198966) });
        var parsed = trades.Select(IngestKafka.ParseTrade).ToList();
        Assert.All(parsed, t => Assert.Equal(Markets.Usdm, t.Market));
        Assert.Contains(parsed, t => t.Kind == TradeKind.InsuranceFund);

        // The receive times are the recording's µs; the trade times come from the payload in ms.
        Assert.All(parsed, t => Assert.Equal(0, t.TradeTime.Ticks % TimeSpan.TicksPerMillisecond));
        Assert.Contains(parsed, t => t.ReceivedAt.Ticks % TimeSpan.TicksPerMillisecond != 0);
    }

    internal static void AssertContiguousPerKey(List<Confluent.Kafka.ConsumeResult<string, byte[]>> messages, Dictionary<string, (long First, long Last)> expected)
    {
        var byKey = messages.GroupBy(m => m.Message.Key).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(expected.Keys.Order(), byKey.Keys.Order());
        foreach (var (key, (first, last)) in expected)
        {
            var keyed = byKey[key];
            Assert.Single(keyed.Select(m => m.Partition.Value).Distinct());
            var ids = keyed.OrderBy(m => m.Offset.Value).Select(m => IngestKafka.ParseTrade(m).TradeId).ToList();
            Assert.Equal(first, ids[0]);
            Assert.Equal(last, ids[^1]);
            Assert.True(ids.Zip(ids.Skip(1)).All(p => p.Second == p.First + 1), $"{key}: trade ids are not contiguous and increasing in partition order.");
        }
    }
}
