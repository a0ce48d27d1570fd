using System.Text;

namespace CryptoPipeline.Contracts.UnitTests;

public class PriceTickJsonTests
{
    private static readonly (string Name, string Json)[] ValidFields =
    [
        ("v", "1"),
        ("ex", "\"coingecko\""),
        ("sym", "\"bitcoin-usd\""),
        ("px", "\"5005.73\""),
        ("ts", "1554854400000000"),
        ("rcv", "1554854400123456"),
        ("src", "\"simulated\""),
    ];

    private static readonly PriceTick Sample = new()
    {
        Exchange = Exchanges.CoinGecko,
        Symbol = "bitcoin-usd",
        Price = 5005.73m,
        Time = UnixMicroseconds.ToDateTimeOffset(1554854400000000),
        ReceivedAt = UnixMicroseconds.ToDateTimeOffset(1554854400123456),
        Source = DataSource.Simulated,
    };

    [Fact]
    public void Serialized_price_tick_has_the_documented_wire_format_with_v_first()
    {
        Assert.Equal(Encoding.UTF8.GetString(WireMessage.Build(ValidFields)), Encoding.UTF8.GetString(PriceTickJson.Serialize(Sample)));
    }

    [Fact]
    public void Price_tick_survives_serialize_and_parse()
    {
        Assert.True(PriceTickJson.TryParse(PriceTickJson.Serialize(Sample), out var parsed, out var error), error);

        Assert.Equal(Sample, parsed);
        Assert.Equal("coingecko:bitcoin-usd", parsed.Key);
    }

    [Theory]
    [InlineData("px", "\"0\"", "px must be positive, got 0")]
    [InlineData("px", "\"-5005.73\"", "px must be positive, got -5005.73")]
    [InlineData("px", "\"5,005.73\"", "px must be a decimal string such as \"0.00100000\" (digits, optional leading '-' and '.', no exponent), got \"5,005.73\"")]
    [InlineData("sym", "\"bitcoin:usd\"", "sym must be a non-empty string without ':' or whitespace, got \"bitcoin:usd\"")]
    [InlineData("ts", null, "missing field ts")]
    [InlineData("v", "2", "unsupported v=2")]
    public void Invalid_field_is_rejected_with_an_error_naming_it_and_its_value(string field, string? json, string expected)
    {
        Assert.False(PriceTickJson.TryParse(WireMessage.With(ValidFields, field, json), out var tick, out var error));

        Assert.Null(tick);
        Assert.Equal(expected, error);
    }
}
