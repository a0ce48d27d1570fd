using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;

namespace CryptoPipeline.Contracts;

/// <summary>
/// Strict reader of one flat wire message. It walks the known fields in any order, skips unknown ones
/// (a newer producer may add fields within v1) and keeps the first problem as a message that names the
/// field and the value, which the processor puts on the dead-letter record.
/// An unsupported <c>v</c>, malformed JSON or a repeated field stop reading and win over field errors.
/// </summary>
internal ref struct WireReader
{
    public const int Version = 1;

    private const int MaxShownValueLength = 40;
    private static readonly JsonEncodedText VersionName = JsonEncodedText.Encode("v");

    private readonly WireFields _fields;
    private Utf8JsonReader _json;
    private ulong _seen;
    private bool _started;
    private bool _versionSeen;
    private bool _stopped;
    private string? _fatal;
    private string? _fieldError;

    public WireReader(ReadOnlySpan<byte> utf8, WireFields fields)
    {
        _json = new Utf8JsonReader(utf8);
        _fields = fields;
    }

    /// <summary>Moves to the value of the next known field; false at the end of the object or when reading stopped.</summary>
    public bool NextField(out int field)
    {
        field = -1;
        if (_stopped)
        {
            return false;
        }

        try
        {
            if (!_started)
            {
                _started = true;
                if (!_json.Read() || _json.TokenType != JsonTokenType.StartObject)
                {
                    return Stop("expected a JSON object");
                }
            }

            while (true)
            {
                // The previous field's value was an object or array of the wrong type: step over it.
                if (_json.CurrentDepth > 0 && _json.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    _json.Skip();
                }

                _json.Read();
                if (_json.TokenType == JsonTokenType.EndObject)
                {
                    // Anything after the closing brace makes Read throw, so trailing garbage is malformed JSON.
                    _json.Read();
                    _stopped = true;
                    return false;
                }

                if (_json.ValueTextEquals(VersionName.EncodedUtf8Bytes))
                {
                    _json.Read();
                    if (!ReadVersion())
                    {
                        return false;
                    }

                    continue;
                }

                var index = _fields.IndexOf(ref _json);
                _json.Read();
                if (index < 0)
                {
                    _json.Skip();
                    continue;
                }

                if ((_seen & WireFields.Bit(index)) != 0)
                {
                    return Stop($"duplicate field {_fields.NameOf(index)}");
                }

                _seen |= WireFields.Bit(index);
                field = index;
                return true;
            }
        }
        catch (JsonException e)
        {
            return Stop($"malformed JSON: {e.Message}");
        }
    }

    /// <summary>The verdict once <see cref="NextField"/> returned false: the first problem, or a missing required field.</summary>
    public readonly bool Complete(ulong requiredFields, [NotNullWhen(false)] out string? error)
    {
        error = _fatal ?? (_versionSeen ? _fieldError : "missing field v") ?? MissingField(requiredFields & ~_seen);
        return error is null;
    }

    public string ReadString(int field)
    {
        if (_json.TokenType == JsonTokenType.String)
        {
            return _json.GetString()!;
        }

        Fail(field, "must be a string");
        return "";
    }

    public decimal ReadDecimal(int field)
    {
        if (_json.TokenType == JsonTokenType.String && TryGetDecimal(out var value))
        {
            return value;
        }

        Fail(field, "must be a decimal string such as \"0.00100000\" (digits, optional leading '-' and '.', no exponent)");
        return 0;
    }

    public long ReadInt64(int field)
    {
        if (_json.TokenType == JsonTokenType.Number && _json.TryGetInt64(out var value))
        {
            return value;
        }

        Fail(field, "must be a 64-bit integer");
        return 0;
    }

    public long? ReadNullableInt64(int field) =>
        _json.TokenType == JsonTokenType.Null ? null : ReadInt64(field);

    public DateTimeOffset ReadTime(int field)
    {
        if (_json.TokenType == JsonTokenType.Number
            && _json.TryGetInt64(out var microseconds)
            && UnixMicroseconds.TryToDateTimeOffset(microseconds, out var time))
        {
            return time;
        }

        Fail(field, "must be a non-negative integer of epoch microseconds");
        return default;
    }

    public DateTimeOffset? ReadNullableTime(int field) =>
        _json.TokenType == JsonTokenType.Null ? null : ReadTime(field);

    public bool ReadBoolean(int field)
    {
        if (_json.TokenType is JsonTokenType.True or JsonTokenType.False)
        {
            return _json.GetBoolean();
        }

        Fail(field, "must be true or false");
        return false;
    }

    public T ReadEnum<T>(int field, WireEnum<T> names)
        where T : struct, Enum
    {
        if (_json.TokenType == JsonTokenType.String && names.TryMatch(ref _json, out var value))
        {
            return value;
        }

        Fail(field, $"must be one of {names.Expected}");
        return default;
    }

    private bool ReadVersion()
    {
        if (_versionSeen)
        {
            return Stop("duplicate field v");
        }

        _versionSeen = true;
        if (_json.TokenType != JsonTokenType.Number || !_json.TryGetInt32(out var version))
        {
            return Stop($"v must be an integer, got {DescribeValue()}");
        }

        return version == Version || Stop($"unsupported v={version}");
    }

    private bool TryGetDecimal(out decimal value)
    {
        if (!_json.ValueIsEscaped)
        {
            return DecimalText.TryParse(_json.ValueSpan, out value);
        }

        // Escapes only lengthen text, so anything longer than six bytes per character of the longest decimal is not one.
        if (_json.ValueSpan.Length > 6 * DecimalText.MaxLength)
        {
            value = 0;
            return false;
        }

        Span<byte> unescaped = stackalloc byte[_json.ValueSpan.Length];
        var length = _json.CopyString(unescaped);
        return DecimalText.TryParse(unescaped[..length], out value);
    }

    private void Fail(int field, string rule) =>
        _fieldError ??= $"{_fields.NameOf(field)} {rule}, got {DescribeValue()}";

    private bool Stop(string error)
    {
        _fatal = error;
        _stopped = true;
        return false;
    }

    private readonly string DescribeValue() => _json.TokenType switch
    {
        JsonTokenType.String => WireRules.Show(_json.GetString()),
        JsonTokenType.Number => Shorten(Encoding.UTF8.GetString(_json.ValueSpan)),
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.Null => "null",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        _ => _json.TokenType.ToString(),
    };

    private readonly string? MissingField(ulong missing)
    {
        if (missing == 0)
        {
            return null;
        }

        var field = System.Numerics.BitOperations.TrailingZeroCount(missing);
        return $"missing field {_fields.NameOf(field)}";
    }

    private static string Shorten(string text) =>
        text.Length <= MaxShownValueLength ? text : string.Concat(text.AsSpan(0, MaxShownValueLength), "…");
}
