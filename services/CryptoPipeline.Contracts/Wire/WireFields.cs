using System.Text.Json;

namespace CryptoPipeline.Contracts;

/// <summary>The field names of one message type: one list shared by its writer and its reader.</summary>
internal sealed class WireFields
{
    private readonly JsonEncodedText[] _names;

    public WireFields(params string[] names)
    {
        if (names.Length > 63)
        {
            throw new ArgumentException("At most 63 fields fit the seen-field mask.", nameof(names));
        }

        _names = [.. names.Select(n => JsonEncodedText.Encode(n))];
        All = (1UL << names.Length) - 1;
    }

    /// <summary>Bit mask with one bit per field.</summary>
    public ulong All { get; }

    public JsonEncodedText this[int field] => _names[field];

    public string NameOf(int field) => _names[field].Value;

    public static ulong Bit(int field) => 1UL << field;

    /// <summary>Index of the property name the reader is on, or -1 for a field this version does not know.</summary>
    public int IndexOf(ref Utf8JsonReader reader)
    {
        for (var i = 0; i < _names.Length; i++)
        {
            if (reader.ValueTextEquals(_names[i].EncodedUtf8Bytes))
            {
                return i;
            }
        }

        return -1;
    }
}
