using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace CryptoPipeline.Contracts;

/// <summary>
/// WIRE FORMAT of <see cref="Quote"/> on <c>quotes</c>, version 1. Compact JSON, <c>"v":1</c> first:
/// <code>
/// {"v":1,"ex":"binance-usdm","mkt":"usdm","sym":"BTCUSDT","bp":"28155.10","bq":"0.060","ap":"28155.20","aq":"3.793",
///  "uid":2710249422918,"ts":1680652800089000,"rcv":1680652800093000,"src":"live"}
/// </code>
/// <c>bp</c>/<c>bq</c> best bid price and quantity, <c>ap</c>/<c>aq</c> best ask (decimal strings, zero
/// quantity for an empty side), <c>uid</c> the exchange's update id and <c>ts</c> its time (epoch µs), both
/// optional: left out, or <c>null</c>, when the exchange sends none. The other fields are as in
/// <see cref="TradeJson"/>. Unknown fields are ignored.
/// </summary>
public static class QuoteJson
{
    private const int Ex = 0;
    private const int Mkt = 1;
    private const int Sym = 2;
    private const int Bp = 3;
    private const int Bq = 4;
    private const int Ap = 5;
    private const int Aq = 6;
    private const int Uid = 7;
    private const int Ts = 8;
    private const int Rcv = 9;
    private const int Src = 10;

    private static readonly WireFields Fields = new("ex", "mkt", "sym", "bp", "bq", "ap", "aq", "uid", "ts", "rcv", "src");
    private static readonly ulong Required = Fields.All & ~(WireFields.Bit(Uid) | WireFields.Bit(Ts));

    public static byte[] Serialize(Quote quote)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Write(buffer, quote);
        return buffer.WrittenSpan.ToArray();
    }

    /// <exception cref="ArgumentException">The quote breaks a rule a reader would reject it for.</exception>
    public static void Write(IBufferWriter<byte> output, Quote quote)
    {
        ArgumentNullException.ThrowIfNull(quote);
        if (Validate(quote) is { } error)
        {
            throw new ArgumentException($"Quote {quote.Key} cannot be written: {error}", nameof(quote));
        }

        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        WireWriter.WriteVersion(json);
        json.WriteString(Fields[Ex], quote.Exchange);
        json.WriteString(Fields[Mkt], quote.Market);
        json.WriteString(Fields[Sym], quote.Symbol);
        WireWriter.WriteDecimal(json, Fields[Bp], quote.BidPrice);
        WireWriter.WriteDecimal(json, Fields[Bq], quote.BidQuantity);
        WireWriter.WriteDecimal(json, Fields[Ap], quote.AskPrice);
        WireWriter.WriteDecimal(json, Fields[Aq], quote.AskQuantity);
        if (quote.UpdateId is { } updateId)
        {
            json.WriteNumber(Fields[Uid], updateId);
        }

        if (quote.Time is { } time)
        {
            WireWriter.WriteTime(json, Fields[Ts], time);
        }

        WireWriter.WriteTime(json, Fields[Rcv], quote.ReceivedAt);
        json.WriteString(Fields[Src], DataSources.Wire[quote.Source]);
        json.WriteEndObject();
    }

    /// <summary>Reads one message; on failure <paramref name="error"/> names the field and the value.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out Quote? quote, [NotNullWhen(false)] out string? error)
    {
        var reader = new WireReader(utf8, Fields);
        string exchange = "", market = "", symbol = "";
        decimal bidPrice = 0, bidQuantity = 0, askPrice = 0, askQuantity = 0;
        long? updateId = null;
        DateTimeOffset? time = null;
        DateTimeOffset received = default;
        var source = DataSource.Live;
        while (reader.NextField(out var field))
        {
            switch (field)
            {
                case Ex: exchange = reader.ReadString(field); break;
                case Mkt: market = reader.ReadString(field); break;
                case Sym: symbol = reader.ReadString(field); break;
                case Bp: bidPrice = reader.ReadDecimal(field); break;
                case Bq: bidQuantity = reader.ReadDecimal(field); break;
                case Ap: askPrice = reader.ReadDecimal(field); break;
                case Aq: askQuantity = reader.ReadDecimal(field); break;
                case Uid: updateId = reader.ReadNullableInt64(field); break;
                case Ts: time = reader.ReadNullableTime(field); break;
                case Rcv: received = reader.ReadTime(field); break;
                case Src: source = reader.ReadEnum(field, DataSources.Wire); break;
            }
        }

        quote = null;
        if (!reader.Complete(Required, out error))
        {
            return false;
        }

        var parsed = new Quote
        {
            Exchange = exchange,
            Market = market,
            Symbol = symbol,
            BidPrice = bidPrice,
            BidQuantity = bidQuantity,
            AskPrice = askPrice,
            AskQuantity = askQuantity,
            UpdateId = updateId,
            Time = time,
            ReceivedAt = received,
            Source = source,
        };
        error = Validate(parsed);
        if (error is not null)
        {
            return false;
        }

        quote = parsed;
        return true;
    }

    private static string? Validate(Quote quote) =>
        WireRules.Identifier(Fields.NameOf(Ex), quote.Exchange)
        ?? WireRules.Identifier(Fields.NameOf(Mkt), quote.Market)
        ?? WireRules.Identifier(Fields.NameOf(Sym), quote.Symbol)
        ?? WireRules.NotNegative(Fields.NameOf(Bp), quote.BidPrice)
        ?? WireRules.NotNegative(Fields.NameOf(Bq), quote.BidQuantity)
        ?? WireRules.NotNegative(Fields.NameOf(Ap), quote.AskPrice)
        ?? WireRules.NotNegative(Fields.NameOf(Aq), quote.AskQuantity)
        ?? WireRules.Time(Fields.NameOf(Ts), quote.Time)
        ?? WireRules.Time(Fields.NameOf(Rcv), quote.ReceivedAt)
        ?? WireRules.Defined(Fields.NameOf(Src), quote.Source, DataSources.Wire);
}
