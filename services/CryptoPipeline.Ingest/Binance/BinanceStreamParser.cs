using System.Text.Json;
using CryptoPipeline.Contracts;

namespace CryptoPipeline.Ingest.Binance;

/// <summary>
/// Parses combined-stream frames, <c>{"stream":"btcusdt@trade","data":{…}}</c>, and SUBSCRIBE answers with
/// <see cref="Utf8JsonReader"/>: spot and futures <c>@trade</c> (current layout and the older one with
/// <c>b</c>/<c>a</c> order ids), spot <c>@bookTicker</c> (no time) and futures <c>@bookTicker</c> (with
/// <c>T</c>/<c>E</c>). Every other stream is <see cref="BinanceFrameKind.Ignored"/>; anything invalid comes back
/// as <see cref="BinanceFrameKind.Bad"/> naming the defect. Prices and quantities are read from the exchange's
/// strings as exact decimals. Holds nothing mutable, so connections may share one.
/// </summary>
/// <remarks>
/// A live feed knows its symbols and rejects others as <see cref="BinanceBadInput.UnknownSymbol"/>; a replay of a
/// recording passes <see langword="null"/> to take every symbol in it, and <see cref="DataSource.Replay"/> as the
/// source the trades and quotes carry.
/// </remarks>
internal sealed class BinanceStreamParser
{
    /// <summary>Epoch milliseconds below 10^12 (before September 2001) are not Binance times but garbage or seconds.</summary>
    public const long MinEpochMilliseconds = 1_000_000_000_000;

    /// <summary>How far past the local clock an exchange time may lie before it is absurd.</summary>
    public static readonly TimeSpan MaxClockLead = TimeSpan.FromDays(1);

    private const int MaxSymbolLength = 32;

    private readonly BinanceMarket _market;
    private readonly DataSource _source;
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>>? _symbols;

    /// <param name="market">The market whose layouts to read and whose exchange and market the messages name.</param>
    /// <param name="symbols">The symbols to accept; <see langword="null"/> accepts any well-formed symbol.</param>
    /// <param name="source">The source the parsed trades and quotes carry.</param>
    public BinanceStreamParser(BinanceMarket market, IEnumerable<string>? symbols, DataSource source = DataSource.Live)
    {
        _market = market;
        _source = source;
        if (symbols is not null)
        {
            var known = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var symbol in symbols)
            {
                known[symbol] = symbol;
            }

            _symbols = known.GetAlternateLookup<ReadOnlySpan<char>>();
        }
    }

    public BinanceFrame Parse(ReadOnlySpan<byte> utf8, DateTimeOffset receivedAt)
    {
        try
        {
            return ParseEnvelope(utf8, receivedAt);
        }
        catch (JsonException e)
        {
            return BinanceFrame.Bad(BinanceBadInput.MalformedJson, e.Message);
        }
    }

    private enum StreamKind
    {
        None,
        Trade,
        Quote,
        Other,
    }

    private BinanceFrame ParseEnvelope(ReadOnlySpan<byte> utf8, DateTimeOffset receivedAt)
    {
        var reader = new Utf8JsonReader(utf8);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return BinanceFrame.Bad(BinanceBadInput.WrongType, "the frame is not a JSON object");
        }

        var kind = StreamKind.None;
        BinanceFrame? data = null;
        var deferredData = default(Utf8JsonReader);
        var dataDeferred = false;
        long? id = null;
        var isResponse = false;
        string? error = null;

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("stream"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    return BinanceFrame.Bad(BinanceBadInput.WrongType, "stream is not a string");
                }

                kind = Classify(reader.ValueSpan);
                if (kind == StreamKind.Other)
                {
                    // Nothing of an unused stream is read: depth updates run to kilobytes.
                    return BinanceFrame.Ignored(reader.GetString()!);
                }
            }
            else if (reader.ValueTextEquals("data"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    return BinanceFrame.Bad(BinanceBadInput.WrongType, "data is not an object");
                }

                if (kind is StreamKind.Trade or StreamKind.Quote)
                {
                    data = ParseData(ref reader, kind, receivedAt);
                }
                else
                {
                    // The stream name usually comes first; when it does not, come back to the data once it is known.
                    deferredData = reader;
                    dataDeferred = true;
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                id = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value) ? value : null;
            }
            else if (reader.ValueTextEquals("result"u8))
            {
                reader.Read();
                reader.Skip();
                isResponse = true;
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                error = ReadError(ref reader);
                isResponse = true;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        // Reads past the closing brace: trailing garbage throws here, as malformed JSON.
        reader.Read();

        if (kind == StreamKind.None)
        {
            return isResponse && id is { } responseId
                ? BinanceFrame.Response(responseId, error)
                : BinanceFrame.Bad(BinanceBadInput.MissingField, "the frame has no stream");
        }

        if (data is null && dataDeferred)
        {
            data = ParseData(ref deferredData, kind, receivedAt);
        }

        return data ?? BinanceFrame.Bad(BinanceBadInput.MissingField, "the frame has no data");
    }

    private static StreamKind Classify(ReadOnlySpan<byte> stream)
    {
        var at = stream.IndexOf((byte)'@');
        if (at <= 0)
        {
            return StreamKind.Other;
        }

        var type = stream[(at + 1)..];
        return type.SequenceEqual("trade"u8) ? StreamKind.Trade
            : type.SequenceEqual("bookTicker"u8) ? StreamKind.Quote
            : StreamKind.Other;
    }

    private static string ReadError(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : reader.TokenType.ToString();
            reader.Skip();
            return text ?? "";
        }

        string? code = null;
        string? message = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isCode = reader.ValueTextEquals("code"u8);
            var isMessage = reader.ValueTextEquals("msg"u8);
            reader.Read();
            if (isCode && reader.TokenType == JsonTokenType.Number)
            {
                code = reader.TryGetInt64(out var number) ? number.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
            }
            else if (isMessage && reader.TokenType == JsonTokenType.String)
            {
                message = reader.GetString();
            }
            else
            {
                reader.Skip();
            }
        }

        return $"code {code ?? "?"}: {message ?? "no message"}";
    }

    private BinanceFrame ParseData(ref Utf8JsonReader reader, StreamKind kind, DateTimeOffset receivedAt) =>
        kind == StreamKind.Trade ? ParseTrade(ref reader, receivedAt) : ParseQuote(ref reader, receivedAt);

    private BinanceFrame ParseTrade(ref Utf8JsonReader reader, DateTimeOffset receivedAt)
    {
        string? symbol = null;
        long? tradeId = null;
        decimal? price = null;
        decimal? quantity = null;
        DateTimeOffset? time = null;
        bool? buyerIsMaker = null;
        TradeKind? tradeKind = _market.IsFutures ? null : TradeKind.Market;

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = FieldName(ref reader);
            reader.Read();
            BinanceFrame? bad = name switch
            {
                (byte)'s' => ReadSymbol(ref reader, out symbol),
                (byte)'t' => ReadTradeId(ref reader, out tradeId),
                (byte)'p' => ReadDecimal(ref reader, "p", BinanceBadInput.InvalidPrice, positive: true, out price),
                (byte)'q' => ReadDecimal(ref reader, "q", BinanceBadInput.InvalidQuantity, positive: true, out quantity),
                (byte)'T' => ReadTime(ref reader, "T", receivedAt, out time),
                (byte)'m' => ReadBoolean(ref reader, "m", out buyerIsMaker),
                (byte)'X' when _market.IsFutures => ReadKind(ref reader, out tradeKind),
                _ => Skip(ref reader),
            };
            if (bad is { } defect)
            {
                return defect;
            }
        }

        if (symbol is null || tradeId is null || price is null || quantity is null || time is null || buyerIsMaker is null || tradeKind is null)
        {
            return MissingField(symbol is null ? "s" : tradeId is null ? "t" : price is null ? "p" : quantity is null ? "q" : time is null ? "T" : buyerIsMaker is null ? "m" : "X");
        }

        return BinanceFrame.ForTrade(new Trade
        {
            Exchange = _market.Exchange,
            Market = _market.Market,
            Symbol = symbol,
            TradeId = tradeId.Value,
            Price = price.Value,
            Quantity = quantity.Value,
            TradeTime = time.Value,
            IsBuyerMaker = buyerIsMaker.Value,
            Kind = tradeKind.Value,
            ReceivedAt = receivedAt,
            Source = _source,
        });
    }

    private BinanceFrame ParseQuote(ref Utf8JsonReader reader, DateTimeOffset receivedAt)
    {
        string? symbol = null;
        long? updateId = null;
        decimal? bidPrice = null;
        decimal? bidQuantity = null;
        decimal? askPrice = null;
        decimal? askQuantity = null;
        DateTimeOffset? time = null;

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = FieldName(ref reader);
            reader.Read();
            BinanceFrame? bad = name switch
            {
                (byte)'s' => ReadSymbol(ref reader, out symbol),
                (byte)'u' => ReadUpdateId(ref reader, out updateId),
                (byte)'b' => ReadDecimal(ref reader, "b", BinanceBadInput.InvalidPrice, positive: false, out bidPrice),
                (byte)'B' => ReadDecimal(ref reader, "B", BinanceBadInput.InvalidQuantity, positive: false, out bidQuantity),
                (byte)'a' => ReadDecimal(ref reader, "a", BinanceBadInput.InvalidPrice, positive: false, out askPrice),
                (byte)'A' => ReadDecimal(ref reader, "A", BinanceBadInput.InvalidQuantity, positive: false, out askQuantity),
                (byte)'T' => ReadTime(ref reader, "T", receivedAt, out time),
                _ => Skip(ref reader),
            };
            if (bad is { } defect)
            {
                return defect;
            }
        }

        if (symbol is null || updateId is null || bidPrice is null || bidQuantity is null || askPrice is null || askQuantity is null)
        {
            return MissingField(symbol is null ? "s" : updateId is null ? "u" : bidPrice is null ? "b" : bidQuantity is null ? "B" : askPrice is null ? "a" : "A");
        }

        return BinanceFrame.ForQuote(new Quote
        {
            Exchange = _market.Exchange,
            Market = _market.Market,
            Symbol = symbol,
            BidPrice = bidPrice.Value,
            BidQuantity = bidQuantity.Value,
            AskPrice = askPrice.Value,
            AskQuantity = askQuantity.Value,
            UpdateId = updateId,
            Time = time,
            ReceivedAt = receivedAt,
            Source = _source,
        });
    }

    /// <summary>Binance's payload fields are single characters; any longer name is one this parser skips.</summary>
    private static byte FieldName(ref Utf8JsonReader reader) =>
        reader.ValueSpan.Length == 1 && !reader.ValueIsEscaped ? reader.ValueSpan[0] : (byte)0;

    private static BinanceFrame MissingField(string name) => BinanceFrame.Bad(BinanceBadInput.MissingField, $"field {name} is missing");

    private static BinanceFrame? Skip(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return null;
    }

    private BinanceFrame? ReadSymbol(ref Utf8JsonReader reader, out string? symbol)
    {
        symbol = null;
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return BinanceFrame.Bad(BinanceBadInput.WrongType, "field s is not a string");
        }

        var utf8 = reader.ValueSpan;
        Span<char> chars = stackalloc char[MaxSymbolLength];
        if (reader.ValueIsEscaped || utf8.Length > MaxSymbolLength || Ascii(utf8, chars) is not { } length)
        {
            return BinanceFrame.Bad(BinanceBadInput.UnknownSymbol, $"symbol '{reader.GetString()}' is not a symbol");
        }

        if (_symbols is not { } known)
        {
            var any = new string(chars[..length]);
            if (!IngestOptionsValidator.IsSymbol(any))
            {
                return BinanceFrame.Bad(BinanceBadInput.UnknownSymbol, $"symbol '{any}' is not a symbol");
            }

            symbol = any;
            return null;
        }

        return known.TryGetValue(chars[..length], out symbol) ? null
            : BinanceFrame.Bad(BinanceBadInput.UnknownSymbol, $"symbol '{reader.GetString()}' is not subscribed");
    }

    private static int? Ascii(ReadOnlySpan<byte> utf8, Span<char> chars)
    {
        for (var i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] > 0x7F)
            {
                return null;
            }

            chars[i] = (char)utf8[i];
        }

        return utf8.Length;
    }

    private static BinanceFrame? ReadTradeId(ref Utf8JsonReader reader, out long? tradeId)
    {
        tradeId = null;
        if (reader.TokenType != JsonTokenType.Number)
        {
            reader.Skip();
            return BinanceFrame.Bad(BinanceBadInput.WrongType, $"field t is {Describe(ref reader)}, not a number");
        }

        if (!reader.TryGetInt64(out var value) || value < 0)
        {
            return BinanceFrame.Bad(BinanceBadInput.InvalidTradeId, $"trade id {Raw(ref reader)} is not a non-negative 64-bit integer");
        }

        tradeId = value;
        return null;
    }

    private static BinanceFrame? ReadUpdateId(ref Utf8JsonReader reader, out long? updateId)
    {
        updateId = null;
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var value))
        {
            var what = Describe(ref reader);
            reader.Skip();
            return BinanceFrame.Bad(BinanceBadInput.WrongType, $"field u is {what}, not a 64-bit integer");
        }

        updateId = value;
        return null;
    }

    private static BinanceFrame? ReadDecimal(ref Utf8JsonReader reader, string field, BinanceBadInput defect, bool positive, out decimal? value)
    {
        value = null;
        if (reader.TokenType != JsonTokenType.String)
        {
            var what = Describe(ref reader);
            reader.Skip();
            return BinanceFrame.Bad(BinanceBadInput.WrongType, $"field {field} is {what}, not a decimal string");
        }

        if (reader.ValueIsEscaped || !DecimalText.TryParse(reader.ValueSpan, out var parsed))
        {
            return BinanceFrame.Bad(defect, $"field {field} = \"{reader.GetString()}\" is not a plain decimal");
        }

        if (positive ? parsed <= 0 : parsed < 0)
        {
            return BinanceFrame.Bad(defect, $"field {field} = {DecimalText.ToText(parsed)} must be {(positive ? "positive" : "zero or more")}");
        }

        value = parsed;
        return null;
    }

    private static BinanceFrame? ReadTime(ref Utf8JsonReader reader, string field, DateTimeOffset receivedAt, out DateTimeOffset? time)
    {
        time = null;
        if (reader.TokenType != JsonTokenType.Number)
        {
            var what = Describe(ref reader);
            reader.Skip();
            return BinanceFrame.Bad(BinanceBadInput.WrongType, $"field {field} is {what}, not epoch milliseconds");
        }

        var latest = (receivedAt + MaxClockLead).ToUnixTimeMilliseconds();
        if (!reader.TryGetInt64(out var milliseconds) || milliseconds < MinEpochMilliseconds || milliseconds > latest)
        {
            return BinanceFrame.Bad(BinanceBadInput.AbsurdTimestamp, $"field {field} = {Raw(ref reader)} is not epoch milliseconds between {MinEpochMilliseconds} and {latest}");
        }

        time = DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
        return null;
    }

    private static BinanceFrame? ReadBoolean(ref Utf8JsonReader reader, string field, out bool? value)
    {
        value = reader.TokenType switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            _ => null,
        };
        if (value is null)
        {
            var what = Describe(ref reader);
            reader.Skip();
            return BinanceFrame.Bad(BinanceBadInput.WrongType, $"field {field} is {what}, not true or false");
        }

        return null;
    }

    private static BinanceFrame? ReadKind(ref Utf8JsonReader reader, out TradeKind? kind)
    {
        kind = null;
        if (reader.TokenType != JsonTokenType.String)
        {
            var what = Describe(ref reader);
            reader.Skip();
            return BinanceFrame.Bad(BinanceBadInput.WrongType, $"field X is {what}, not a string");
        }

        // A kind Binance adds later still carries a trade id, so the trade is kept (as Unknown, which candles
        // leave out like every non-MARKET kind) instead of opening a gap.
        kind = TradeKinds.TryParse(reader.ValueSpan, out var parsed) ? parsed : TradeKind.Unknown;
        return null;
    }

    private static string Describe(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => $"the string \"{reader.GetString()}\"",
        JsonTokenType.Number => $"the number {Raw(ref reader)}",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        _ => reader.TokenType.ToString(),
    };

    private static string Raw(ref Utf8JsonReader reader) =>
        System.Text.Encoding.UTF8.GetString(reader.ValueSpan);
}
