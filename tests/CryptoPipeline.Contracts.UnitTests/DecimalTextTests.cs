using System.Text;

namespace CryptoPipeline.Contracts.UnitTests;

public class DecimalTextTests
{
    [Theory]
    [InlineData("0.00100000")]
    [InlineData("61837.63000000")]
    [InlineData("28155.10")]
    [InlineData("0.001")]
    [InlineData("5")]
    [InlineData("0")]
    [InlineData("-1.50")]
    [InlineData("9999999999999999999")]
    [InlineData("0.9999999999999999999")]
    [InlineData("-10000000000000000000")]
    [InlineData("0.0000000000000000000000000001")]
    [InlineData("7.9228162514264337593543950335")]
    [InlineData("79228162514264337593543950335")]
    public void Parsing_keeps_the_scale_so_the_text_comes_back_unchanged(string text)
    {
        Assert.True(DecimalText.TryParse(Encoding.UTF8.GetBytes(text), out var fromUtf8));
        Assert.True(DecimalText.TryParse(text.AsSpan(), out var fromChars));

        Assert.Equal(text, DecimalText.ToText(fromUtf8));
        Assert.Equal(text, DecimalText.ToText(fromChars));
        Span<byte> written = stackalloc byte[DecimalText.MaxLength];
        Assert.True(DecimalText.TryFormat(fromUtf8, written, out var length));
        Assert.Equal(text, Encoding.UTF8.GetString(written[..length]));
    }

    [Theory]
    [InlineData("")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("1e5")]
    [InlineData("1E-5")]
    [InlineData("+1")]
    [InlineData("-")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData(".5")]
    [InlineData("5.")]
    [InlineData("00.5")]
    [InlineData("1,5")]
    [InlineData("1_000")]
    [InlineData("0x10")]
    [InlineData("١٢")]
    [InlineData("0.00000000000000000000000000001")]
    [InlineData("9999999999999999999999999999.9")]
    [InlineData("79228162514264337593543950336")]
    public void Text_that_is_not_an_exact_plain_decimal_is_rejected(string text)
    {
        Assert.False(DecimalText.TryParse(Encoding.UTF8.GetBytes(text), out _));
        Assert.False(DecimalText.TryParse(text.AsSpan(), out _));
    }
}
