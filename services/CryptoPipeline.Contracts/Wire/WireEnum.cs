using System.Text.Json;

namespace CryptoPipeline.Contracts;

/// <summary>Fixed text for each value of an enum on the wire; never the C# member name, which may be renamed.</summary>
internal sealed class WireEnum<T>
    where T : struct, Enum
{
    private readonly T[] _values;
    private readonly JsonEncodedText[] _names;

    public WireEnum(params (T Value, string Name)[] entries)
    {
        _values = [.. entries.Select(e => e.Value)];
        _names = [.. entries.Select(e => JsonEncodedText.Encode(e.Name))];
        Expected = string.Join(", ", entries.Select(e => $"\"{e.Name}\""));
    }

    /// <summary>The accepted texts, for error messages.</summary>
    public string Expected { get; }

    public JsonEncodedText this[T value]
    {
        get
        {
            var index = Array.IndexOf(_values, value);
            return index >= 0
                ? _names[index]
                : throw new ArgumentOutOfRangeException(nameof(value), value, $"{typeof(T).Name} {value} has no wire text.");
        }
    }

    public string NameOf(T value) => this[value].Value;

    public bool IsDefined(T value) => Array.IndexOf(_values, value) >= 0;

    public bool TryParse(ReadOnlySpan<byte> utf8, out T value)
    {
        for (var i = 0; i < _names.Length; i++)
        {
            if (utf8.SequenceEqual(_names[i].EncodedUtf8Bytes))
            {
                value = _values[i];
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>Matches the string token the reader is on, escaped or not.</summary>
    public bool TryMatch(ref Utf8JsonReader reader, out T value)
    {
        for (var i = 0; i < _names.Length; i++)
        {
            if (reader.ValueTextEquals(_names[i].EncodedUtf8Bytes))
            {
                value = _values[i];
                return true;
            }
        }

        value = default;
        return false;
    }
}

internal static class DataSources
{
    public static readonly WireEnum<DataSource> Wire = new(
        (DataSource.Live, "live"),
        (DataSource.Replay, "replay"),
        (DataSource.Simulated, "simulated"),
        (DataSource.Backfill, "backfill"));
}
