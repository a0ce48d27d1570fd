using System.Text;

namespace CryptoPipeline.Contracts.UnitTests;

public class TradeJsonTests
{
    private static readonly (string Name, string Json)[] ValidFields =
    [
        ("v", "1"),
        ("ex", "\"binance\""),
        ("mkt", "\"spot\""),
        ("sym", "\"BTCUSDT\""),
        ("id", "4359938008"),
        ("px", "\"93610.92000000\""),
        ("qty", "\"0.00104000\""),
        ("ts", "1735689659419631"),
        ("bm", "true"),
        ("kind", "\"MARKET\""),
        ("rcv", "1735689659420001"),
        ("src", "\"replay\""),
    ];

    private static readonly Trade Sample = new()
    {
        Exchange = Exchanges.Binance,
        Market = Markets.Spot,
        Symbol = "BTCUSDT",
        TradeId = 4359938008,
        Price = 93610.92000000m,
        Quantity = 0.00104000m,
        TradeTime = UnixMicroseconds.ToDateTimeOffset(1735689659419631),
        IsBuyerMaker = true,
        Kind = TradeKind.Market,
        ReceivedAt = UnixMicroseconds.ToDateTimeOffset(1735689659420001),
        Source = DataSource.Replay,
    };

    [Fact]
    public void Serialized_trade_has_the_documented_wire_format_with_v_first()
    {
        var json = Encoding.UTF8.GetString(TradeJson.Serialize(Sample));

        Assert.Equal(Encoding.UTF8.GetString(WireMessage.Build(ValidFields)), json);
    }

    [Fact]
    public void Trade_survives_serialize_and_parse_with_scale_and_microseconds_intact()
    {
        Assert.True(TradeJson.TryParse(TradeJson.Serialize(Sample), out var parsed, out var error), error);

        Assert.Equal(Sample, parsed);
        Assert.Equal("93610.92000000", DecimalText.ToText(parsed.Price));
        Assert.Equal("0.00104000", DecimalText.ToText(parsed.Quantity));
        Assert.Equal(1735689659419631, UnixMicroseconds.From(parsed.TradeTime));
        Assert.Equal(TimeSpan.Zero, parsed.TradeTime.Offset);
    }

    [Fact]
    public void Every_kind_and_source_survives_the_wire()
    {
        foreach (var kind in Enum.GetValues<TradeKind>())
        {
            foreach (var source in Enum.GetValues<DataSource>())
            {
                var trade = Sample with { Kind = kind, Source = source };

                Assert.True(TradeJson.TryParse(TradeJson.Serialize(trade), out var parsed, out var error), error);
                Assert.Equal(trade, parsed);
            }
        }
    }

    [Fact]
    public void Ticks_finer_than_a_microsecond_are_dropped_on_the_wire()
    {
        var trade = Sample with { ReceivedAt = Sample.ReceivedAt.AddTicks(7) };

        Assert.True(TradeJson.TryParse(TradeJson.Serialize(trade), out var parsed, out var error), error);

        Assert.Equal(Sample.ReceivedAt, parsed.ReceivedAt);
    }

    [Fact]
    public void Quote_quantity_is_the_exact_product_and_taker_side_follows_the_maker_flag()
    {
        Assert.Equal(97.35535680m, Sample.QuoteQuantity);
        Assert.Equal(TakerSide.Sell, Sample.TakerSide);
        Assert.Equal(TakerSide.Buy, (Sample with { IsBuyerMaker = false }).TakerSide);
        Assert.Equal("binance:BTCUSDT", Sample.Key);
    }

    [Fact]
    public void Fields_are_read_in_any_order_and_unknown_fields_are_ignored()
    {
        var fields = ValidFields.Reverse()
            .Append(("note", "\"added by a newer producer\""))
            .Prepend(("extra", "{\"nested\":[1,{\"px\":\"-1\"}],\"v\":2}"));

        Assert.True(TradeJson.TryParse(WireMessage.Build(fields), out var parsed, out var error), error);

        Assert.Equal(Sample, parsed);
    }

    [Fact]
    public void Escaped_characters_in_strings_are_understood()
    {
        var message = WireMessage.With(ValidFields, "px", "\"\\u0039\\u0033610.92000000\"");

        Assert.True(TradeJson.TryParse(message, out var parsed, out var error), error);

        Assert.Equal("93610.92000000", DecimalText.ToText(parsed.Price));
    }

    [Theory]
    [InlineData("px", "\"\"", "px must be a decimal string such as \"0.00100000\" (digits, optional leading '-' and '.', no exponent), got \"\"")]
    [InlineData("px", "\"NaN\"", "px must be a decimal string such as \"0.00100000\" (digits, optional leading '-' and '.', no exponent), got \"NaN\"")]
    [InlineData("px", "\"1e5\"", "px must be a decimal string such as \"0.00100000\" (digits, optional leading '-' and '.', no exponent), got \"1e5\"")]
    [InlineData("px", "93610.92", "px must be a decimal string such as \"0.00100000\" (digits, optional leading '-' and '.', no exponent), got 93610.92")]
    [InlineData("px", "\"-93610.92\"", "px must be positive, got -93610.92")]
    [InlineData("px", "\"0.00000000\"", "px must be positive, got 0.00000000")]
    [InlineData("qty", "\"0\"", "qty must be positive, got 0")]
    [InlineData("qty", "\"-0.001\"", "qty must be positive, got -0.001")]
    [InlineData("qty", "null", "qty must be a decimal string such as \"0.00100000\" (digits, optional leading '-' and '.', no exponent), got null")]
    [InlineData("id", "\"4359938008\"", "id must be a 64-bit integer, got \"4359938008\"")]
    [InlineData("id", "4359938008.5", "id must be a 64-bit integer, got 4359938008.5")]
    [InlineData("id", "99999999999999999999", "id must be a 64-bit integer, got 99999999999999999999")]
    [InlineData("ts", "-1", "ts must be a non-negative integer of epoch microseconds, got -1")]
    [InlineData("ts", "\"1735689659419631\"", "ts must be a non-negative integer of epoch microseconds, got \"1735689659419631\"")]
    [InlineData("rcv", "1.7e15", "rcv must be a non-negative integer of epoch microseconds, got 1.7e15")]
    [InlineData("bm", "\"true\"", "bm must be true or false, got \"true\"")]
    [InlineData("kind", "\"LIQUIDATION\"", "kind must be one of \"MARKET\", \"INSURANCE_FUND\", \"ADL\", \"NA\", got \"LIQUIDATION\"")]
    [InlineData("src", "\"LIVE\"", "src must be one of \"live\", \"replay\", \"simulated\", \"backfill\", got \"LIVE\"")]
    [InlineData("ex", "null", "ex must be a string, got null")]
    [InlineData("ex", "\"binance:spot\"", "ex must be a non-empty string without ':' or whitespace, got \"binance:spot\"")]
    [InlineData("mkt", "{\"spot\":true}", "mkt must be a string, got an object")]
    [InlineData("sym", "\"\"", "sym must be a non-empty string without ':' or whitespace, got \"\"")]
    [InlineData("sym", "\"BTC USDT\"", "sym must be a non-empty string without ':' or whitespace, got \"BTC USDT\"")]
    [InlineData("sym", "[\"BTCUSDT\"]", "sym must be a string, got an array")]
    [InlineData("px", null, "missing field px")]
    [InlineData("rcv", null, "missing field rcv")]
    [InlineData("v", null, "missing field v")]
    [InlineData("v", "2", "unsupported v=2")]
    [InlineData("v", "\"1\"", "v must be an integer, got \"1\"")]
    public void Invalid_field_is_rejected_with_an_error_naming_it_and_its_value(string field, string? json, string expected)
    {
        Assert.False(TradeJson.TryParse(WireMessage.With(ValidFields, field, json), out var trade, out var error));

        Assert.Null(trade);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void Unsupported_version_wins_over_field_errors_seen_before_it()
    {
        var fields = ValidFields.Skip(1).Select(f => f.Name == "px" ? (f.Name, "{\"amount\":1}") : f).Append(("v", "2"));

        Assert.False(TradeJson.TryParse(WireMessage.Build(fields), out _, out var error));

        Assert.Equal("unsupported v=2", error);
    }

    [Fact]
    public void First_invalid_field_is_reported_when_several_are_bad()
    {
        var message = WireMessage.With(ValidFields, "id", "\"x\"");
        var twiceBroken = Encoding.UTF8.GetString(message).Replace("\"93610.92000000\"", "\"x\"", StringComparison.Ordinal);

        Assert.False(TradeJson.TryParse(Encoding.UTF8.GetBytes(twiceBroken), out _, out var error));

        Assert.Equal("id must be a 64-bit integer, got \"x\"", error);
    }

    [Fact]
    public void Repeated_field_is_rejected()
    {
        var fields = ValidFields.Append(("px", "\"1.00\""));

        Assert.False(TradeJson.TryParse(WireMessage.Build(fields), out _, out var error));

        Assert.Equal("duplicate field px", error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"v\":1,\"ex\":\"binance\"")]
    [InlineData("{\"v\":1,}")]
    [InlineData("{\"v\":1} {\"v\":1}")]
    [InlineData("not json")]
    public void Malformed_json_is_rejected_as_such(string text)
    {
        Assert.False(TradeJson.TryParse(Encoding.UTF8.GetBytes(text), out _, out var error));

        Assert.StartsWith("malformed JSON: ", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[1]")]
    [InlineData("\"trade\"")]
    [InlineData("42")]
    public void Json_that_is_not_an_object_is_rejected(string text)
    {
        Assert.False(TradeJson.TryParse(Encoding.UTF8.GetBytes(text), out _, out var error));

        Assert.Equal("expected a JSON object", error);
    }

    [Fact]
    public void Writing_an_invalid_trade_throws_naming_the_trade_and_the_field()
    {
        var trade = Sample with { Quantity = -0.5m };

        var thrown = Assert.Throws<ArgumentException>(() => TradeJson.Serialize(trade));

        Assert.StartsWith("Trade binance:BTCUSDT #4359938008 cannot be written: qty must be positive, got -0.5", thrown.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ex", "")]
    [InlineData("sym", "BTC:USDT")]
    [InlineData("ts", "before the epoch")]
    [InlineData("kind", "undefined")]
    public void Writer_refuses_what_a_reader_would_reject(string field, string problem)
    {
        var trade = field switch
        {
            "ex" => Sample with { Exchange = problem },
            "sym" => Sample with { Symbol = problem },
            "ts" => Sample with { TradeTime = DateTimeOffset.UnixEpoch.AddTicks(-10) },
            _ => Sample with { Kind = (TradeKind)42 },
        };

        var thrown = Assert.Throws<ArgumentException>(() => TradeJson.Serialize(trade));

        Assert.Contains($": {field} must ", thrown.Message, StringComparison.Ordinal);
    }
}
