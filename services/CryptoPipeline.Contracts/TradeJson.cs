using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace CryptoPipeline.Contracts;

/// <summary>
/// WIRE FORMAT of <see cref="Trade"/> on <c>raw_trades</c>, version 1. Compact JSON, <c>"v":1</c> first:
/// <code>
/// {"v":1,"ex":"binance","mkt":"spot","sym":"BTCUSDT","id":3735683259,"px":"61837.63000000","qty":"0.02000000",
///  "ts":1723161255342000,"bm":true,"kind":"MARKET","rcv":1723161254087896,"src":"live"}
/// </code>
/// <c>ex</c> exchange, <c>mkt</c> market, <c>sym</c> symbol, <c>id</c> trade id (JSON integer),
/// <c>px</c> price and <c>qty</c> quantity (decimal strings, scale kept), <c>ts</c> trade time and
/// <c>rcv</c> receive time (epoch microseconds), <c>bm</c> buyer is maker, <c>kind</c> one of
/// <c>MARKET</c>, <c>INSURANCE_FUND</c>, <c>ADL</c>, <c>NA</c>, <c>src</c> one of <c>live</c>,
/// <c>replay</c>, <c>simulated</c>, <c>backfill</c>. All fields are required; unknown fields are ignored.
/// </summary>
public static class TradeJson
{
    private const int Ex = 0;
    private const int Mkt = 1;
    private const int Sym = 2;
    private const int Id = 3;
    private const int Px = 4;
    private const int Qty = 5;
    private const int Ts = 6;
    private const int Bm = 7;
    private const int Kind = 8;
    private const int Rcv = 9;
    private const int Src = 10;

    private static readonly WireFields Fields = new("ex", "mkt", "sym", "id", "px", "qty", "ts", "bm", "kind", "rcv", "src");

    public static byte[] Serialize(Trade trade)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Write(buffer, trade);
        return buffer.WrittenSpan.ToArray();
    }

    /// <exception cref="ArgumentException">The trade breaks a rule a reader would reject it for.</exception>
    public static void Write(IBufferWriter<byte> output, Trade trade)
    {
        ArgumentNullException.ThrowIfNull(trade);
        if (Validate(trade) is { } error)
        {
            throw new ArgumentException($"Trade {trade.Key} #{trade.TradeId} cannot be written: {error}", nameof(trade));
        }

        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        WireWriter.WriteVersion(json);
        json.WriteString(Fields[Ex], trade.Exchange);
        json.WriteString(Fields[Mkt], trade.Market);
        json.WriteString(Fields[Sym], trade.Symbol);
        json.WriteNumber(Fields[Id], trade.TradeId);
        WireWriter.WriteDecimal(json, Fields[Px], trade.Price);
        WireWriter.WriteDecimal(json, Fields[Qty], trade.Quantity);
        WireWriter.WriteTime(json, Fields[Ts], trade.TradeTime);
        json.WriteBoolean(Fields[Bm], trade.IsBuyerMaker);
        json.WriteString(Fields[Kind], TradeKinds.Wire[trade.Kind]);
        WireWriter.WriteTime(json, Fields[Rcv], trade.ReceivedAt);
        json.WriteString(Fields[Src], DataSources.Wire[trade.Source]);
        json.WriteEndObject();
    }

    /// <summary>Reads one message; on failure <paramref name="error"/> names the field and the value.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out Trade? trade, [NotNullWhen(false)] out string? error)
    {
        var reader = new WireReader(utf8, Fields);
        string exchange = "", market = "", symbol = "";
        long id = 0;
        decimal price = 0, quantity = 0;
        DateTimeOffset time = default, received = default;
        var buyerMaker = false;
        var kind = TradeKind.Unknown;
        var source = DataSource.Live;
        while (reader.NextField(out var field))
        {
            switch (field)
            {
                case Ex: exchange = reader.ReadString(field); break;
                case Mkt: market = reader.ReadString(field); break;
                case Sym: symbol = reader.ReadString(field); break;
                case Id: id = reader.ReadInt64(field); break;
                case Px: price = reader.ReadDecimal(field); break;
                case Qty: quantity = reader.ReadDecimal(field); break;
                case Ts: time = reader.ReadTime(field); break;
                case Bm: buyerMaker = reader.ReadBoolean(field); break;
                case Kind: kind = reader.ReadEnum(field, TradeKinds.Wire); break;
                case Rcv: received = reader.ReadTime(field); break;
                case Src: source = reader.ReadEnum(field, DataSources.Wire); break;
            }
        }

        trade = null;
        if (!reader.Complete(Fields.All, out error))
        {
            return false;
        }

        var parsed = new Trade
        {
            Exchange = exchange,
            Market = market,
            Symbol = symbol,
            TradeId = id,
            Price = price,
            Quantity = quantity,
            TradeTime = time,
            IsBuyerMaker = buyerMaker,
            Kind = kind,
            ReceivedAt = received,
            Source = source,
        };
        error = Validate(parsed);
        if (error is not null)
        {
            return false;
        }

        trade = parsed;
        return true;
    }

    private static string? Validate(Trade trade) =>
        WireRules.Identifier(Fields.NameOf(Ex), trade.Exchange)
        ?? WireRules.Identifier(Fields.NameOf(Mkt), trade.Market)
        ?? WireRules.Identifier(Fields.NameOf(Sym), trade.Symbol)
        ?? WireRules.Positive(Fields.NameOf(Px), trade.Price)
        ?? WireRules.Positive(Fields.NameOf(Qty), trade.Quantity)
        ?? WireRules.Time(Fields.NameOf(Ts), trade.TradeTime)
        ?? WireRules.Defined(Fields.NameOf(Kind), trade.Kind, TradeKinds.Wire)
        ?? WireRules.Time(Fields.NameOf(Rcv), trade.ReceivedAt)
        ?? WireRules.Defined(Fields.NameOf(Src), trade.Source, DataSources.Wire);
}
