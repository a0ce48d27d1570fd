using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace CryptoPipeline.Contracts;

/// <summary>
/// WIRE FORMAT of <see cref="PriceTick"/> on <c>prices</c>, version 1. Compact JSON, <c>"v":1</c> first:
/// <code>
/// {"v":1,"ex":"binance","sym":"BTCUSDT","px":"74192.71000000","ts":1776211200000000,"rcv":1776211200000000,"src":"live"}
/// </code>
/// <c>px</c> the price (decimal string), <c>ts</c> the source's time for it and <c>rcv</c> the receive time
/// (epoch µs); the other fields are as in <see cref="TradeJson"/>. All fields are required; unknown fields
/// are ignored.
/// </summary>
public static class PriceTickJson
{
    private const int Ex = 0;
    private const int Sym = 1;
    private const int Px = 2;
    private const int Ts = 3;
    private const int Rcv = 4;
    private const int Src = 5;

    private static readonly WireFields Fields = new("ex", "sym", "px", "ts", "rcv", "src");

    public static byte[] Serialize(PriceTick tick)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        Write(buffer, tick);
        return buffer.WrittenSpan.ToArray();
    }

    /// <exception cref="ArgumentException">The tick breaks a rule a reader would reject it for.</exception>
    public static void Write(IBufferWriter<byte> output, PriceTick tick)
    {
        ArgumentNullException.ThrowIfNull(tick);
        if (Validate(tick) is { } error)
        {
            throw new ArgumentException($"Price tick {tick.Key} cannot be written: {error}", nameof(tick));
        }

        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        WireWriter.WriteVersion(json);
        json.WriteString(Fields[Ex], tick.Exchange);
        json.WriteString(Fields[Sym], tick.Symbol);
        WireWriter.WriteDecimal(json, Fields[Px], tick.Price);
        WireWriter.WriteTime(json, Fields[Ts], tick.Time);
        WireWriter.WriteTime(json, Fields[Rcv], tick.ReceivedAt);
        json.WriteString(Fields[Src], DataSources.Wire[tick.Source]);
        json.WriteEndObject();
    }

    /// <summary>Reads one message; on failure <paramref name="error"/> names the field and the value.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out PriceTick? tick, [NotNullWhen(false)] out string? error)
    {
        var reader = new WireReader(utf8, Fields);
        string exchange = "", symbol = "";
        decimal price = 0;
        DateTimeOffset time = default, received = default;
        var source = DataSource.Live;
        while (reader.NextField(out var field))
        {
            switch (field)
            {
                case Ex: exchange = reader.ReadString(field); break;
                case Sym: symbol = reader.ReadString(field); break;
                case Px: price = reader.ReadDecimal(field); break;
                case Ts: time = reader.ReadTime(field); break;
                case Rcv: received = reader.ReadTime(field); break;
                case Src: source = reader.ReadEnum(field, DataSources.Wire); break;
            }
        }

        tick = null;
        if (!reader.Complete(Fields.All, out error))
        {
            return false;
        }

        var parsed = new PriceTick
        {
            Exchange = exchange,
            Symbol = symbol,
            Price = price,
            Time = time,
            ReceivedAt = received,
            Source = source,
        };
        error = Validate(parsed);
        if (error is not null)
        {
            return false;
        }

        tick = parsed;
        return true;
    }

    private static string? Validate(PriceTick tick) =>
        WireRules.Identifier(Fields.NameOf(Ex), tick.Exchange)
        ?? WireRules.Identifier(Fields.NameOf(Sym), tick.Symbol)
        ?? WireRules.Positive(Fields.NameOf(Px), tick.Price)
        ?? WireRules.Time(Fields.NameOf(Ts), tick.Time)
        ?? WireRules.Time(Fields.NameOf(Rcv), tick.ReceivedAt)
        ?? WireRules.Defined(Fields.NameOf(Src), tick.Source, DataSources.Wire);
}
