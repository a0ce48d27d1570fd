using System.Globalization;

namespace CryptoPipeline.Contracts;

/// <summary>
/// Exact decimal text: <c>-?digits[.digits]</c>, nothing else, with the scale kept
/// (<c>"0.00100000"</c> parses to a decimal that prints <c>"0.00100000"</c>). Exponents, NaN, Infinity,
/// signs other than a leading minus, separators, whitespace and values a decimal cannot hold exactly are
/// rejected, so no price ever takes a detour through <c>double</c> or gets rounded silently.
/// </summary>
public static class DecimalText
{
    /// <summary>Bound on the text of any decimal (sign, point, up to 29 digits or a leading zero and 28); longer input is rejected unread.</summary>
    public const int MaxLength = 32;

    private const int MaxScale = 28;

    /// <summary>Any 19 decimal digits are below 2^64.</summary>
    private const int MaxUInt64Digits = 19;

    public static bool TryParse(ReadOnlySpan<byte> utf8, out decimal value)
    {
        value = 0;
        if (utf8.Length is 0 or > MaxLength || !IsPlainDecimal(utf8, out var scale))
        {
            return false;
        }

        if (TryParseShort(utf8, scale, out value))
        {
            return true;
        }

        // A decimal holds 96 bits of mantissa: when the digits do not fit, parsing rounds and the scale
        // drops, which is how a value that is not exactly representable shows itself.
        return decimal.TryParse(utf8, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value)
            && value.Scale == scale;
    }

    public static bool TryParse(ReadOnlySpan<char> text, out decimal value)
    {
        value = 0;
        if (text.Length is 0 or > MaxLength)
        {
            return false;
        }

        Span<byte> utf8 = stackalloc byte[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] > 0x7F)
            {
                return false;
            }

            utf8[i] = (byte)text[i];
        }

        return TryParse(utf8, out value);
    }

    /// <summary>Writes the value with its full scale as UTF-8; needs at most <see cref="MaxLength"/> bytes.</summary>
    public static bool TryFormat(decimal value, Span<byte> utf8Destination, out int bytesWritten) =>
        value.TryFormat(utf8Destination, out bytesWritten, default, CultureInfo.InvariantCulture);

    public static string ToText(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Up to 19 digits fit a <see langword="ulong"/> exactly, so the decimal is built straight from its digits and
    /// scale: every price and quantity the exchanges send, at a fraction of the general parser's cost (it runs for
    /// each field of each message). Longer text, and negative zero, are left to <see cref="decimal.TryParse(ReadOnlySpan{byte}, NumberStyles, IFormatProvider, out decimal)"/>.
    /// </summary>
    private static bool TryParseShort(ReadOnlySpan<byte> plainDecimal, int scale, out decimal value)
    {
        value = 0;
        var negative = plainDecimal[0] == (byte)'-';
        var digits = plainDecimal[(negative ? 1 : 0)..];
        if (digits.Length - (scale > 0 ? 1 : 0) > MaxUInt64Digits)
        {
            return false;
        }

        ulong mantissa = 0;
        foreach (var character in digits)
        {
            if (character != (byte)'.')
            {
                mantissa = (mantissa * 10) + (ulong)(character - '0');
            }
        }

        if (negative && mantissa == 0)
        {
            return false;
        }

        value = new decimal(unchecked((int)mantissa), unchecked((int)(mantissa >> 32)), 0, negative, (byte)scale);
        return true;
    }

    private static bool IsPlainDecimal(ReadOnlySpan<byte> text, out int scale)
    {
        scale = 0;
        var i = text[0] == (byte)'-' ? 1 : 0;
        var integerStart = i;
        while (i < text.Length && IsDigit(text[i]))
        {
            i++;
        }

        var integerDigits = i - integerStart;
        if (integerDigits == 0 || (integerDigits > 1 && text[integerStart] == (byte)'0'))
        {
            return false;
        }

        if (i == text.Length)
        {
            return true;
        }

        if (text[i] != (byte)'.')
        {
            return false;
        }

        var fractionStart = ++i;
        while (i < text.Length && IsDigit(text[i]))
        {
            i++;
        }

        scale = i - fractionStart;
        return i == text.Length && scale is > 0 and <= MaxScale;
    }

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';
}
