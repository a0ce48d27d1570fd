using System.Text;
using System.Text.Json;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Contracts.UnitTests;

/// <summary>
/// Test-only reading of a few fields from the recorded Binance samples in shared/data; the feed's real
/// parser lives in Ingest. Values are taken as the exchange's text, never through double.
/// </summary>
internal static class RecordedBinance
{
    private const string WebSocketSamples = "binance/ws-samples/binance_ws_real_samples.json";

    /// <summary>
    /// The <c>data</c> payloads of one sample group with their local receive times, which the 2024
    /// recordings keep in nanoseconds (pass 1000) and the 2023 ones in microseconds (pass 1).
    /// </summary>
    public static IReadOnlyList<(JsonElement Data, DateTimeOffset ReceivedAt)> Messages(string group, long localTicksPerMicrosecond)
    {
        using var samples = JsonDocument.Parse(File.ReadAllBytes(SharedData.Path(WebSocketSamples)));
        return [.. samples.RootElement.GetProperty(group).GetProperty("msgs").EnumerateArray().Select(message =>
        {
            using var raw = JsonDocument.Parse(message.GetProperty("raw").GetString()!);
            var receivedAt = UnixMicroseconds.ToDateTimeOffset(message.GetProperty("local_ts").GetInt64() / localTicksPerMicrosecond);
            return (raw.RootElement.GetProperty("data").Clone(), receivedAt);
        })];
    }

    public static Trade Trade(JsonElement data, string exchange, string market, DateTimeOffset receivedAt)
    {
        var kind = TradeKind.Market;
        if (data.TryGetProperty("X", out var x))
        {
            Assert.True(TradeKinds.TryParse(Encoding.UTF8.GetBytes(x.GetString()!), out kind), $"unknown X {x}");
        }

        return new Trade
        {
            Exchange = exchange,
            Market = market,
            Symbol = data.GetProperty("s").GetString()!,
            TradeId = data.GetProperty("t").GetInt64(),
            Price = Decimal(data, "p"),
            Quantity = Decimal(data, "q"),
            TradeTime = DateTimeOffset.FromUnixTimeMilliseconds(data.GetProperty("T").GetInt64()),
            IsBuyerMaker = data.GetProperty("m").GetBoolean(),
            Kind = kind,
            ReceivedAt = receivedAt,
            Source = DataSource.Replay,
        };
    }

    public static Quote Quote(JsonElement data, string exchange, string market, DateTimeOffset receivedAt) => new()
    {
        Exchange = exchange,
        Market = market,
        Symbol = data.GetProperty("s").GetString()!,
        BidPrice = Decimal(data, "b"),
        BidQuantity = Decimal(data, "B"),
        AskPrice = Decimal(data, "a"),
        AskQuantity = Decimal(data, "A"),
        UpdateId = data.GetProperty("u").GetInt64(),
        Time = data.TryGetProperty("T", out var time) ? DateTimeOffset.FromUnixTimeMilliseconds(time.GetInt64()) : null,
        ReceivedAt = receivedAt,
        Source = DataSource.Replay,
    };

    public static decimal Decimal(JsonElement data, string property)
    {
        var text = data.GetProperty(property).GetString()!;
        Assert.True(DecimalText.TryParse(text.AsSpan(), out var value), $"{property}={text} is not a plain decimal");
        return value;
    }
}
