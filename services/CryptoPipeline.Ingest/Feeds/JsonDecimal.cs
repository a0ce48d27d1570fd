using CryptoPipeline.Contracts;

namespace CryptoPipeline.Ingest.Feeds;

/// <summary>
/// Exact decimals from the text of JSON numbers, for exchanges that send prices as numbers (BitMEX, CoinGecko),
/// exponents included: <c>1.819e-05</c> is 0.00001819 exactly. The number is rewritten as plain decimal text and
/// read by <see cref="DecimalText"/>, so it never passes through <c>double</c> and a value a decimal cannot hold
/// exactly is refused rather than rounded.
/// </summary>
public static class JsonDecimal
{
    private const int MaxPlainLength = DecimalText.MaxLength;

    public static bool TryParse(ReadOnlySpan<byte> number, out decimal value)
    {
        value = 0;
        var i = 0;
        var negative = i < number.Length && number[i] == (byte)'-';
        if (negative)
        {
            i++;
        }

        var integerStart = i;
        while (i < number.Length && IsDigit(number[i]))
        {
            i++;
        }

        var integer = number[integerStart..i];
        var fraction = ReadOnlySpan<byte>.Empty;
        if (i < number.Length && number[i] == (byte)'.')
        {
            var fractionStart = ++i;
            while (i < number.Length && IsDigit(number[i]))
            {
                i++;
            }

            fraction = number[fractionStart..i];
            if (fraction.IsEmpty)
            {
                return false;
            }
        }

        var exponent = 0;
        if (i < number.Length && (number[i] | 0x20) == (byte)'e')
        {
            i++;
            var exponentNegative = i < number.Length && number[i] == (byte)'-';
            if (i < number.Length && number[i] is (byte)'-' or (byte)'+')
            {
                i++;
            }

            var exponentStart = i;
            while (i < number.Length && IsDigit(number[i]) && i - exponentStart < 4)
            {
                exponent = (exponent * 10) + (number[i] - '0');
                i++;
            }

            if (i == exponentStart)
            {
                return false;
            }

            exponent = exponentNegative ? -exponent : exponent;
        }

        if (integer.IsEmpty || i != number.Length)
        {
            return false;
        }

        // All digits in one run, with the decimal point moved by the exponent.
        Span<byte> digits = stackalloc byte[integer.Length + fraction.Length];
        integer.CopyTo(digits);
        fraction.CopyTo(digits[integer.Length..]);
        var pointAt = integer.Length + exponent;
        var firstNonZero = digits.IndexOfAnyExcept((byte)'0');
        if (firstNonZero < 0)
        {
            return DecimalText.TryParse("0"u8, out value);
        }

        Span<byte> plain = stackalloc byte[MaxPlainLength + 1];
        var length = 0;
        if (negative && !Append(plain, ref length, (byte)'-'))
        {
            return false;
        }

        if (pointAt <= 0)
        {
            // 0.000ddd
            if (!Append(plain, ref length, (byte)'0') || !Append(plain, ref length, (byte)'.'))
            {
                return false;
            }

            for (var z = 0; z < -pointAt; z++)
            {
                if (!Append(plain, ref length, (byte)'0'))
                {
                    return false;
                }
            }

            foreach (var digit in digits)
            {
                if (!Append(plain, ref length, digit))
                {
                    return false;
                }
            }
        }
        else
        {
            // Leading zeros of the integer part go; DecimalText accepts a single 0 only.
            var start = Math.Min(firstNonZero, pointAt - 1);
            for (var d = start; d < Math.Max(pointAt, digits.Length); d++)
            {
                if (d == pointAt && !Append(plain, ref length, (byte)'.'))
                {
                    return false;
                }

                if (!Append(plain, ref length, d < digits.Length ? digits[d] : (byte)'0'))
                {
                    return false;
                }
            }
        }

        return DecimalText.TryParse(plain[..length], out value);
    }

    private static bool Append(Span<byte> text, ref int length, byte character)
    {
        if (length == text.Length)
        {
            return false;
        }

        text[length++] = character;
        return true;
    }

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';
}
