using System.Text;
using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.Feeds;

namespace CryptoPipeline.Ingest.UnitTests.Feeds;

public sealed class JsonDecimalTests
{
    [Theory]
    [InlineData("5005.73", "5005.73")]
    [InlineData("20474", "20474")]
    [InlineData("1.819e-05", "0.00001819")]
    [InlineData("1.2E-5", "0.000012")]
    [InlineData("1E+3", "1000")]
    [InlineData("123.450e1", "1234.50")]
    [InlineData("0.001e3", "1")]
    [InlineData("10.5e-1", "1.05")]
    [InlineData("-0.5", "-0.5")]
    [InlineData("0", "0")]
    [InlineData("7015.11823787848", "7015.11823787848")]
    public void Json_numbers_convert_exactly_from_their_text(string json, string expected)
    {
        Assert.True(JsonDecimal.TryParse(Encoding.ASCII.GetBytes(json), out var value));
        Assert.Equal(expected, DecimalText.ToText(value));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1e")]
    [InlineData("1.")]
    [InlineData(".5")]
    [InlineData("NaN")]
    [InlineData("1e-40")]
    [InlineData("1e+40")]
    [InlineData("0.1234567890123456789012345678901")]
    public void Numbers_a_decimal_cannot_hold_exactly_are_refused(string json) =>
        Assert.False(JsonDecimal.TryParse(Encoding.ASCII.GetBytes(json), out _));
}
