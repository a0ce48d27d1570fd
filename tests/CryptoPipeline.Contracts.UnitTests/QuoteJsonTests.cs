using System.Text;

namespace CryptoPipeline.Contracts.UnitTests;

public class QuoteJsonTests
{
    private static readonly (string Name, string Json)[] ValidFields =
    [
        ("v", "1"),
        ("ex", "\"binance-usdm\""),
        ("mkt", "\"usdm\""),
        ("sym", "\"BTCUSDT\""),
        ("bp", "\"28155.10\""),
        ("bq", "\"0.060\""),
        ("ap", "\"28155.20\""),
        ("aq", "\"3.793\""),
        ("uid", "2710249422918"),
        ("ts", "1680652800089000"),
        ("rcv", "1680652800093412"),
        ("src", "\"live\""),
    ];

    private static readonly Quote Sample = new()
    {
        Exchange = Exchanges.BinanceUsdm,
        Market = Markets.Usdm,
        Symbol = "BTCUSDT",
        BidPrice = 28155.10m,
        BidQuantity = 0.060m,
        AskPrice = 28155.20m,
        AskQuantity = 3.793m,
        UpdateId = 2710249422918,
        Time = UnixMicroseconds.ToDateTimeOffset(1680652800089000),
        ReceivedAt = UnixMicroseconds.ToDateTimeOffset(1680652800093412),
        Source = DataSource.Live,
    };

    [Fact]
    public void Serialized_quote_has_the_documented_wire_format_with_v_first()
    {
        Assert.Equal(Encoding.UTF8.GetString(WireMessage.Build(ValidFields)), Encoding.UTF8.GetString(QuoteJson.Serialize(Sample)));
    }

    [Fact]
    public void Quote_survives_serialize_and_parse_with_scale_intact()
    {
        Assert.True(QuoteJson.TryParse(QuoteJson.Serialize(Sample), out var parsed, out var error), error);

        Assert.Equal(Sample, parsed);
        Assert.Equal(["28155.10", "0.060", "28155.20", "3.793"], new[] { parsed.BidPrice, parsed.BidQuantity, parsed.AskPrice, parsed.AskQuantity }.Select(DecimalText.ToText));
        Assert.Equal(0.10m, parsed.Spread);
    }

    [Fact]
    public void Quote_without_update_id_or_exchange_time_leaves_them_out_and_reads_back_null()
    {
        var quote = Sample with { UpdateId = null, Time = null };

        var json = QuoteJson.Serialize(quote);
        Assert.True(QuoteJson.TryParse(json, out var parsed, out var error), error);

        Assert.DoesNotContain("\"uid\"", Encoding.UTF8.GetString(json), StringComparison.Ordinal);
        Assert.DoesNotContain("\"ts\"", Encoding.UTF8.GetString(json), StringComparison.Ordinal);
        Assert.Equal(quote, parsed);
    }

    [Fact]
    public void Explicit_nulls_for_the_optional_fields_read_as_absent()
    {
        var message = WireMessage.Build(ValidFields.Select(f => f.Name is "uid" or "ts" ? (f.Name, "null") : f));

        Assert.True(QuoteJson.TryParse(message, out var parsed, out var error), error);

        Assert.Null(parsed.UpdateId);
        Assert.Null(parsed.Time);
    }

    [Fact]
    public void Empty_book_side_with_zero_price_and_quantity_is_a_valid_quote()
    {
        var quote = Sample with { BidPrice = 0.00000000m, BidQuantity = 0.00000000m };

        Assert.True(QuoteJson.TryParse(QuoteJson.Serialize(quote), out var parsed, out var error), error);

        Assert.Equal("0.00000000", DecimalText.ToText(parsed.BidPrice));
    }

    [Theory]
    [InlineData("bp", "\"-1.0\"", "bp must not be negative, got -1.0")]
    [InlineData("aq", "\"-3.793\"", "aq must not be negative, got -3.793")]
    [InlineData("ap", "\"Infinity\"", "ap must be a decimal string such as \"0.00100000\" (digits, optional leading '-' and '.', no exponent), got \"Infinity\"")]
    [InlineData("uid", "\"2710249422918\"", "uid must be a 64-bit integer, got \"2710249422918\"")]
    [InlineData("ts", "1680652800089.5", "ts must be a non-negative integer of epoch microseconds, got 1680652800089.5")]
    [InlineData("bq", null, "missing field bq")]
    [InlineData("src", null, "missing field src")]
    [InlineData("v", "0", "unsupported v=0")]
    public void Invalid_field_is_rejected_with_an_error_naming_it_and_its_value(string field, string? json, string expected)
    {
        Assert.False(QuoteJson.TryParse(WireMessage.With(ValidFields, field, json), out var quote, out var error));

        Assert.Null(quote);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void Writing_an_invalid_quote_throws_naming_the_field()
    {
        var thrown = Assert.Throws<ArgumentException>(() => QuoteJson.Serialize(Sample with { AskQuantity = -1m }));

        Assert.StartsWith("Quote binance-usdm:BTCUSDT cannot be written: aq must not be negative, got -1", thrown.Message, StringComparison.Ordinal);
    }
}
