using Confluent.Kafka;
using CryptoPipeline.Contracts;
using CryptoPipeline.FakeExchange.Bitmex;
using CryptoPipeline.Ingest.Feeds;
using CryptoPipeline.Ingest.FunctionalTests.Infrastructure;
using CryptoPipeline.Ingest.Publishing;
using CryptoPipeline.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CryptoPipeline.Ingest.FunctionalTests.Bitmex;

/// <summary>The BitMEX feed against a fake BitMEX replaying the real 2021-07-22 recording, into embedded Kafka.</summary>
public sealed class BitmexFeedTests(PostgresFixture postgres)
{
    private const string Symbols = "XRPU21,UNIUSDT,XBTUSD,ADAUSDT,SOLUSDT,TRXU21,EOSUSDT,TRXUSDT,BCHUSD,MATICUSDT";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_recorded_trade_is_published_once_after_a_dropped_connection_repeats_the_partials()
    {
        await using var bitmex = await FakeBitmexServer.StartAsync(dropFirstConnectionAfter: 40);
        var rows = bitmex.TradeRows();
        using var kafka = new IngestKafka();
        using var host = await IngestTestHost.StartAsync(postgres, kafka, new()
        {
            ["Ingest:Sources"] = "bitmex",
            ["Ingest:Bitmex:Url"] = bitmex.Url,
            ["Ingest:Bitmex:Symbols"] = Symbols,
            ["Ingest:Bitmex:ReconnectDelay"] = "00:00:00.010",
        });

        // The second connection replays everything; once it is all sent and published, Kafka holds each trade once.
        var publisher = host.Services.GetRequiredService<KafkaMarketDataPublisher>();
        await Eventually.Until(() => bitmex.Connections == 2 && bitmex.FramesSent == 40 + bitmex.Frames.Count, Timeout, "the reconnect and the full replay", Cancellation);
        var trades = kafka.ReadExactly(Topics.RawTrades, rows.Count);
        await Eventually.Until(() => publisher.Buffered == 0, Timeout, "the publisher to drain", Cancellation);
        Assert.Equal(rows.Count, TotalMessages(kafka, Topics.RawTrades));
        await host.StopAsync(Cancellation);

        var parsed = trades.Select(IngestKafka.ParseTrade).ToList();
        Assert.Equal(rows.Count, parsed.Select(t => t.TradeId).Distinct().Count());
        var xbt = rows.First(r => r.GetProperty("symbol").GetString() == "XBTUSD");
        var published = Assert.Single(parsed, t => t.TradeId == Ingest.Bitmex.BitmexParser.TradeIdOf(xbt.GetProperty("timestamp").GetDateTimeOffset(), xbt.GetProperty("trdMatchID").GetGuid()));
        Assert.Equal((Exchanges.Bitmex, Markets.Perpetual, "XBTUSD"), (published.Exchange, published.Market, published.Symbol));
        Assert.Equal(xbt.GetProperty("price").GetRawText(), DecimalText.ToText(published.Price));
        Assert.Equal(xbt.GetProperty("size").GetInt64(), published.Quantity);
        Assert.Contains(parsed, t => t.Symbol == "XRPU21" && t.Price == 0.00001819m);
        Assert.Equal(2, bitmex.Subscriptions.Count);
        Assert.Contains("\"trade:XBTUSD\"", bitmex.Subscriptions[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_frames_and_rows_are_counted_by_kind_and_skipped_while_the_feed_goes_on()
    {
        string Row(string fields) => $$"""{"table":"trade","action":"insert","data":[{{{fields}}}]}""";
        const string good = "\"timestamp\":\"2021-07-22T22:36:11.685Z\",\"symbol\":\"XBTUSD\",\"side\":\"Buy\",\"size\":100,\"price\":32180.5,\"trdMatchID\":\"6e70bebe-235e-08a6-d11b-e1042bf1f2ed\"";
        string[] prelude =
        [
            "{not json",
            "[1,2,3]",
            """{"table":"orderBookL2","action":"update","data":[]}""",
            Row(good.Replace("32180.5", "-1", StringComparison.Ordinal)),
            Row(good.Replace("32180.5", "\"NaN\"", StringComparison.Ordinal)),
            Row(good.Replace("\"size\":100", "\"size\":0", StringComparison.Ordinal)),
            Row(good.Replace("2021-07-22T22:36:11.685Z", "1970-01-01T00:00:01.000Z", StringComparison.Ordinal)),
            Row(good.Replace("XBTUSD", "DOGEUSD", StringComparison.Ordinal)),
            Row(good.Replace(",\"side\":\"Buy\"", "", StringComparison.Ordinal)),
            Row(good.Replace("6e70bebe-235e-08a6-d11b-e1042bf1f2ed", "not-a-guid", StringComparison.Ordinal)),
            "{\"table\":\"trade\",\"action\":\"insert\",\"data\":[\"" + new string('x', 70_000) + "\"]}",
        ];
        await using var bitmex = await FakeBitmexServer.StartAsync(prelude);
        using var kafka = new IngestKafka();
        using var host = await IngestTestHost.StartAsync(postgres, kafka, new()
        {
            ["Ingest:Sources"] = "bitmex",
            ["Ingest:Bitmex:Url"] = bitmex.Url,
            ["Ingest:Bitmex:Symbols"] = Symbols,
            ["Ingest:Bitmex:MaxMessageBytes"] = "65536",
        });

        var rows = bitmex.TradeRows();
        kafka.ReadExactly(Topics.RawTrades, rows.Count);
        var badInput = host.Services.GetRequiredService<BadInputLog>();
        await host.StopAsync(Cancellation);

        Assert.Equal(
            new Dictionary<string, long>
            {
                [BadInputKinds.MalformedJson] = 1,
                [BadInputKinds.WrongType] = 1,
                [BadInputKinds.UnknownMessage] = 1,
                [BadInputKinds.InvalidPrice] = 2,
                [BadInputKinds.InvalidQuantity] = 1,
                [BadInputKinds.AbsurdTimestamp] = 1,
                [BadInputKinds.UnknownSymbol] = 1,
                [BadInputKinds.MissingField] = 1,
                [BadInputKinds.InvalidTradeId] = 1,
                [BadInputKinds.OversizedFrame] = 1,
            },
            badInput.Snapshot().Where(p => p.Key.Exchange == Exchanges.Bitmex).ToDictionary(p => p.Key.Kind, p => p.Value));
    }

    private static long TotalMessages(IngestKafka kafka, string topic)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = kafka.BootstrapServers, GroupId = "watermarks" }).Build();
        return Enumerable.Range(0, IngestKafka.Partitions)
            .Sum(p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), Timeout).High.Value);
    }
}
