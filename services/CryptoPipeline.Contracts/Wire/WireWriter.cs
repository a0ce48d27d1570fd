using System.Text.Json;

namespace CryptoPipeline.Contracts;

/// <summary>Writes the parts every wire message shares: <c>"v":1</c> first, decimals as strings, times as epoch µs.</summary>
internal static class WireWriter
{
    private static readonly JsonEncodedText VersionName = JsonEncodedText.Encode("v");

    public static void WriteVersion(Utf8JsonWriter json) => json.WriteNumber(VersionName, WireReader.Version);

    public static void WriteDecimal(Utf8JsonWriter json, JsonEncodedText name, decimal value)
    {
        Span<byte> text = stackalloc byte[DecimalText.MaxLength];
        if (!DecimalText.TryFormat(value, text, out var length))
        {
            throw new InvalidOperationException($"Decimal {value} does not fit {DecimalText.MaxLength} bytes.");
        }

        json.WriteString(name, text[..length]);
    }

    public static void WriteTime(Utf8JsonWriter json, JsonEncodedText name, DateTimeOffset value) =>
        json.WriteNumber(name, UnixMicroseconds.From(value));
}
