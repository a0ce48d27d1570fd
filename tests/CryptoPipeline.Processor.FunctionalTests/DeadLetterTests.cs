using System.Text;
using Confluent.Kafka;
using CryptoPipeline.Contracts;
using CryptoPipeline.Processor.Consuming;
using CryptoPipeline.Processor.FunctionalTests.Infrastructure;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Processor.FunctionalTests;

/// <summary>Messages the processor cannot use go to <c>&lt;topic&gt;.dlq</c> with the reason, and the stream goes on (DESIGN.md §3, §5).</summary>
public sealed class DeadLetterTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Poison_and_too_late_messages_go_to_the_dead_letter_topics_with_the_reason_and_the_stream_continues()
    {
        using var kafka = new PipelineKafka();
        var database = await postgres.CreateDatabaseAsync(cancellationToken: TestContext.Current.CancellationToken);
        var trades = Recordings.SpotCsvTrades;
        var half = trades.Count / 2;
        var key = trades[0].Key;
        var validJson = Encoding.UTF8.GetString(TradeJson.Serialize(trades[0]));
        var negativePrice = Encoding.UTF8.GetBytes(validJson.Replace("\"px\":\"93610.92000000\"", "\"px\":\"-93610.92\"", StringComparison.Ordinal));
        Assert.NotEqual(Encoding.UTF8.GetBytes(validJson), negativePrice);
        var traced = new Headers { { "traceparent", Encoding.ASCII.GetBytes("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01") } };

        // A new trade id whose minute ended two days before the stream's watermark: beyond the 24 h bound.
        var ancient = trades[0] with { TradeId = 1, TradeTime = trades[0].TradeTime.AddDays(-2) };

        kafka.Publish(trades.Take(half));
        kafka.PublishRaw(Topics.RawTrades, key, Encoding.UTF8.GetBytes("{not json"), traced);
        kafka.PublishRaw(Topics.RawTrades, key, negativePrice);
        kafka.Publish([ancient]);
        kafka.PublishRaw(Topics.Quotes, key, Encoding.UTF8.GetBytes("{\"v\":1}"));
        kafka.Publish(trades.Skip(half));
        kafka.PublishEndOfInput();

        await using (await ProcessorHost.StartAsync(kafka.BootstrapServers, database))
        {
            await Tables.WaitForEverythingCommittedAsync(database, kafka);
        }

        var tradeLetters = kafka.ReadAll(Topics.DeadLetter(Topics.RawTrades), expected: 3, TimeSpan.FromSeconds(10));
        Assert.Equal(3, tradeLetters.Count);
        var notJson = tradeLetters.Single(m => Encoding.UTF8.GetString(m.Message.Value!) == "{not json");
        Assert.Equal(key, Encoding.UTF8.GetString(notJson.Message.Key!));
        Assert.Equal(DeadLetterHeaders.Unparseable, Header(notJson, DeadLetterHeaders.Reason));
        Assert.Equal(Topics.RawTrades, Header(notJson, DeadLetterHeaders.SourceTopic));
        Assert.NotNull(Header(notJson, DeadLetterHeaders.SourcePartition));
        Assert.NotNull(Header(notJson, DeadLetterHeaders.SourceOffset));
        Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", Header(notJson, "traceparent"));

        var badPrice = tradeLetters.Single(m => m.Message.Value!.SequenceEqual(negativePrice));
        Assert.Contains("px", Header(badPrice, DeadLetterHeaders.Error), StringComparison.Ordinal);

        var tooLate = tradeLetters.Single(m => Header(m, DeadLetterHeaders.Reason) == DeadLetterHeaders.TooLate);
        Assert.Equal(TradeJson.Serialize(ancient), tooLate.Message.Value);
        Assert.Contains("Processor:HardLatenessBound", Header(tooLate, DeadLetterHeaders.Error), StringComparison.Ordinal);

        var quoteLetter = Assert.Single(kafka.ReadAll(Topics.DeadLetter(Topics.Quotes), expected: 1, TimeSpan.FromSeconds(10)));
        Assert.Equal(DeadLetterHeaders.Unparseable, Header(quoteLetter, DeadLetterHeaders.Reason));

        // The trades after the poison were counted: the full minute still equals the exchange's kline,
        // and the too-late trade made no candle.
        var candles = await Tables.CandlesAsync(database, Exchanges.Binance, "BTCUSDT");
        var minute = Assert.Single(Recordings.FullMinutes(trades));
        var kline = Recordings.Klines(Recordings.SpotKlines).Single(k => k.OpenTime == minute);
        Assert.Equal(kline, ConformanceTests.AsKline(candles.Single(c => c.WindowStart == minute)));
        Assert.DoesNotContain(candles, c => c.WindowStart < Recordings.StartOfMinute(trades[0].TradeTime));
    }

    private static string? Header(ConsumeResult<byte[]?, byte[]?> message, string name) =>
        message.Message.Headers.TryGetLastBytes(name, out var value) ? Encoding.UTF8.GetString(value) : null;
}
