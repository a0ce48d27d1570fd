using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using CryptoPipeline.Contracts;
using CryptoPipeline.FakeExchange.Binance;
using CryptoPipeline.FaultInjection.Tests.Infrastructure;
using CryptoPipeline.Testing;

namespace CryptoPipeline.FaultInjection.Tests.Scenarios;

/// <summary>
/// Scenario 6: floods of malformed messages mixed into the feed, at both doors: broken frames from the exchange
/// (Ingest counts and skips them, keeping its connection) and poison messages on <c>raw_trades</c> beside the real
/// trades (the processor sends each to <c>raw_trades.dlq</c> and goes on).
/// </summary>
[Collection(FaultScenarios.Name)]
public sealed class MalformedInputTests(PostgresFixture postgres)
{
    [Fact]
    public Task Floods_of_malformed_frames_and_poison_messages_are_skipped_and_every_trade_is_counted_once()
    {
        var poison = new ConcurrentBag<(int Partition, long Offset)>();
        return ScenarioRunner.RunAsync(
            "malformed flood",
            postgres,
            async context =>
            {
                // A round of its own: a new cluster, new offsets.
                poison.Clear();
                var repeat = context.Suite.IsFull ? 40 : 10;
                using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = context.Pipeline.Kafka.BootstrapServers }).Build();
                foreach (var point in context.FaultPoints())
                {
                    await context.Pipeline.WaitForProgressAsync(point, "the next flood", context.Cancellation);
                    var fault = await context.FaultStartingAsync();
                    var frames = 0;
                    var messages = 0;
                    for (var i = 0; i < repeat; i++)
                    {
                        foreach (var (feed, server) in context.Pipeline.Feeds)
                        {
                            foreach (var frame in BadFrames(server, context.Random))
                            {
                                await server.SendRawAsync(frame);
                                frames++;
                            }

                            foreach (var (key, value) in PoisonMessages(feed, server, context.Random))
                            {
                                var result = await producer.ProduceAsync(Topics.RawTrades, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(key), Value = value }, context.Cancellation);
                                poison.Add((result.Partition.Value, result.Offset.Value));
                                messages++;
                            }
                        }
                    }

                    ScenarioContext.Log($"flood at {point:P0} of the market: {frames} malformed frames from the exchanges, {messages} poison messages on {Topics.RawTrades}");
                    context.FaultOver(fault);
                }
            },
            moreChecks: context => Task.FromResult(DeadLettersProblems(context.Pipeline, [.. poison])));
    }

    /// <summary>Malformed frames made from a real trade frame of the recording: every kind Ingest must count and skip.</summary>
    private static IEnumerable<string> BadFrames(FakeBinanceServer server, Random random)
    {
        var trades = server.Recording.Messages.Where(m => m.Trade is not null).ToList();
        var original = Encoding.UTF8.GetString(trades[random.Next(trades.Count)].Json);
        string Mutate(Action<JsonObject> change)
        {
            var frame = JsonNode.Parse(original)!.AsObject();
            change(frame["data"]!.AsObject());
            return frame.ToJsonString();
        }

        yield return original[..(original.Length / 2)];
        yield return Mutate(d => d["p"] = decimal.Parse(d["p"]!.GetValue<string>(), CultureInfo.InvariantCulture));
        yield return Mutate(d => d.Remove("q"));
        yield return Mutate(d => d["t"] = -d["t"]!.GetValue<long>());
        yield return Mutate(d => d["p"] = "NaN");
        yield return Mutate(d => d["q"] = "-" + d["q"]!.GetValue<string>());
        yield return Mutate(d => d["T"] = d["T"]!.GetValue<long>() / 1000);
        yield return Mutate(d => d["s"] = "XRPUSDT");
        yield return Mutate(d => d["padding"] = new string('x', 70_000));
        yield return "not json at all";
        yield return "{}";
        yield return "[1,2,3]";
        yield return """{"stream":"btcusdt@trade","data":null}""";
        yield return "\u0001\u0002garbage\u0003";
    }

    /// <summary>Poison messages for the instrument's partition, made from one of its real trades: unparseable or invalid.</summary>
    private static IEnumerable<(string Key, byte[] Value)> PoisonMessages(MarketFeed feed, FakeBinanceServer server, Random random)
    {
        var symbols = server.Recording.Symbols.Order(StringComparer.Ordinal).ToList();
        var symbol = symbols[random.Next(symbols.Count)];
        var recorded = server.Recording.Trades(symbol)[random.Next(server.Recording.Trades(symbol).Count)];
        var trade = new Trade
        {
            Exchange = feed.Exchange,
            Market = feed.Market.IsFutures ? Markets.Usdm : Markets.Spot,
            Symbol = symbol,
            TradeId = recorded.Id,
            Price = Dataset.Decimal(recorded.Price),
            Quantity = Dataset.Decimal(recorded.Quantity),
            TradeTime = DateTimeOffset.FromUnixTimeMilliseconds(recorded.TimeMs),
            IsBuyerMaker = recorded.IsBuyerMaker,
            Kind = TradeKind.Market,
            ReceivedAt = DateTimeOffset.FromUnixTimeMilliseconds(recorded.TimeMs),
            Source = DataSource.Live,
        };
        var json = Encoding.UTF8.GetString(TradeJson.Serialize(trade));
        string Mutate(Action<JsonObject> change)
        {
            var message = JsonNode.Parse(json)!.AsObject();
            change(message);
            return message.ToJsonString();
        }

        string[] values =
        [
            "not json at all",
            json[..(json.Length / 2)],
            Mutate(m => m["px"] = "abc"),
            Mutate(m => m["qty"] = "-1"),
            Mutate(m => m.Remove("id")),
            Mutate(m => m["v"] = 99),
        ];
        return values.Select(v => (trade.Key, Encoding.UTF8.GetBytes(v)));
    }

    /// <summary>Every poison message is in the dead-letter topic, and nothing else is.</summary>
    private static IReadOnlyList<string> DeadLettersProblems(Pipeline pipeline, IReadOnlyCollection<(int Partition, long Offset)> poison)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = pipeline.Kafka.BootstrapServers,
            GroupId = "dlq-reader-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            EnablePartitionEof = true,
        }).Build();
        var dlq = Topics.DeadLetter(Topics.RawTrades);
        consumer.Assign(Enumerable.Range(0, Pipeline.Partitions).Select(p => new TopicPartitionOffset(dlq, p, Offset.Beginning)));
        var sources = new List<(int Partition, long Offset)>();
        var ended = new HashSet<int>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (ended.Count < Pipeline.Partitions && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is not { } result)
            {
                continue;
            }

            if (result.IsPartitionEOF)
            {
                ended.Add(result.Partition.Value);
                continue;
            }

            var headers = result.Message.Headers;
            sources.Add((
                int.Parse(Encoding.UTF8.GetString(headers.GetLastBytes("cp-source-partition")), CultureInfo.InvariantCulture),
                long.Parse(Encoding.UTF8.GetString(headers.GetLastBytes("cp-source-offset")), CultureInfo.InvariantCulture)));
        }

        consumer.Close();
        var problems = new List<string>();
        var missing = poison.Except(sources).ToList();
        if (missing.Count > 0)
        {
            problems.Add($"{missing.Count} of {poison.Count} poison messages are not in {dlq}, e.g. partition {missing[0].Partition} offset {missing[0].Offset}");
        }

        var unexpected = sources.Except(poison).ToList();
        if (unexpected.Count > 0)
        {
            problems.Add($"{unexpected.Count} messages in {dlq} that were not poison, e.g. {Topics.RawTrades} partition {unexpected[0].Partition} offset {unexpected[0].Offset}");
        }

        return problems;
    }
}
