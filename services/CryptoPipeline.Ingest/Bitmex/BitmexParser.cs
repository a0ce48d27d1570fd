using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.Feeds;

namespace CryptoPipeline.Ingest.Bitmex;

/// <summary>What a BitMEX frame was.</summary>
internal enum BitmexFrameKind
{
    /// <summary>Rows of the <c>trade</c> or <c>quote</c> table (valid ones in the lists, invalid ones in the defects).</summary>
    Data,

    /// <summary>The welcome message or a subscription acknowledgement.</summary>
    Info,

    /// <summary>The server refused a request (<c>{"status":400,"error":…}</c>).</summary>
    Error,

    /// <summary>Not a message this feed understands: see the defects.</summary>
    Bad,
}

/// <summary>One skipped piece of input and why.</summary>
internal readonly record struct BitmexDefect(string Kind, string Detail);

/// <summary>
/// Parses BitMEX realtime frames: the <c>trade</c> and <c>quote</c> tables (<c>partial</c> and <c>insert</c>),
/// the welcome, subscription acknowledgements and errors. Prices are JSON numbers, read exactly from their text.
/// Quantities are the contract <c>size</c> (exact integers; <c>homeNotional</c> is a float). Each invalid row is
/// a defect of its own; the other rows of the frame still count.
/// </summary>
internal sealed class BitmexParser(IEnumerable<string> symbols)
{
    private readonly HashSet<string> _symbols = new(symbols, StringComparer.Ordinal);

    /// <summary>BitMEX opened in 2014: earlier times are not its times.</summary>
    public static readonly DateTimeOffset Earliest = new(2014, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static readonly TimeSpan MaxClockLead = TimeSpan.FromDays(1);

    /// <summary>
    /// The 63-bit trade id of a BitMEX trade. BitMEX identifies trades by a GUID (<c>trdMatchID</c>), but a
    /// <see cref="Trade"/> id is a number that orders the trades (candles take open and close by id) and
    /// identifies them (the processor counts each id once). The id is the trade's millisecond timestamp
    /// shifted left 20 bits plus 20 bits of a hash of the GUID: the same trade always gets the same id (after a
    /// reconnect, or from another process), ids follow time from one millisecond to the next, and within one
    /// millisecond (usually one order sweeping several levels) the order is the hash's, not the feed's. A
    /// sequence number within the millisecond would keep the feed order but would differ between connections
    /// that saw different trades of that millisecond; a plain hash would be stable but unordered. Two trades of
    /// one millisecond collide with odds of one in a million per pair. Holds until 2248.
    /// </summary>
    public static long TradeIdOf(DateTimeOffset timestamp, Guid matchId)
    {
        Span<byte> guid = stackalloc byte[16];
        matchId.TryWriteBytes(guid);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(guid, hash);
        var low = BinaryPrimitives.ReadUInt32LittleEndian(hash) & 0xFFFFF;
        return (timestamp.ToUnixTimeMilliseconds() << 20) | low;
    }

    public BitmexFrameKind Parse(ReadOnlySpan<byte> frame, DateTimeOffset receivedAt, List<Trade> trades, List<Quote> quotes, List<BitmexDefect> defects)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(frame.ToArray());
        }
        catch (JsonException e)
        {
            defects.Add(new(BadInputKinds.MalformedJson, e.Message));
            return BitmexFrameKind.Bad;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                defects.Add(new(BadInputKinds.WrongType, "the frame is not a JSON object"));
                return BitmexFrameKind.Bad;
            }

            if (root.TryGetProperty("table", out var table))
            {
                return ParseTable(root, table, receivedAt, trades, quotes, defects);
            }

            if (root.TryGetProperty("error", out _))
            {
                return BitmexFrameKind.Error;
            }

            if (root.TryGetProperty("info", out _) || root.TryGetProperty("success", out _))
            {
                return BitmexFrameKind.Info;
            }

            defects.Add(new(BadInputKinds.UnknownMessage, "neither a table, an acknowledgement nor an error"));
            return BitmexFrameKind.Bad;
        }
    }

    private BitmexFrameKind ParseTable(JsonElement root, JsonElement table, DateTimeOffset receivedAt, List<Trade> trades, List<Quote> quotes, List<BitmexDefect> defects)
    {
        var name = table.ValueKind == JsonValueKind.String ? table.GetString() : null;
        var action = root.TryGetProperty("action", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString() : null;
        if (name is not ("trade" or "quote") || action is not ("partial" or "insert"))
        {
            defects.Add(new(BadInputKinds.UnknownMessage, $"table '{name}' action '{action}' is not handled"));
            return BitmexFrameKind.Bad;
        }

        if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            defects.Add(new(data.ValueKind == JsonValueKind.Undefined ? BadInputKinds.MissingField : BadInputKinds.WrongType, "data is not an array"));
            return BitmexFrameKind.Bad;
        }

        foreach (var row in data.EnumerateArray())
        {
            var defect = row.ValueKind != JsonValueKind.Object
                ? new BitmexDefect(BadInputKinds.WrongType, "a row is not an object")
                : name == "trade" ? ReadTrade(row, receivedAt, trades) : ReadQuote(row, receivedAt, quotes);
            if (defect is { } found)
            {
                defects.Add(found);
            }
        }

        return BitmexFrameKind.Data;
    }

    private BitmexDefect? ReadTrade(JsonElement row, DateTimeOffset receivedAt, List<Trade> trades)
    {
        if (ReadCommon(row, receivedAt, out var symbol, out var time) is { } common)
        {
            return common;
        }

        if (!row.TryGetProperty("trdMatchID", out var match) || match.ValueKind != JsonValueKind.String || !Guid.TryParse(match.GetString(), out var matchId))
        {
            return new(BadInputKinds.InvalidTradeId, "trdMatchID is not a GUID");
        }

        if (ReadPrice(row, "price", allowNull: false, out var price) is { } badPrice)
        {
            return badPrice;
        }

        if (ReadSize(row, "size", allowZero: false, out var size) is { } badSize)
        {
            return badSize;
        }

        var side = row.TryGetProperty("side", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
        if (side is not ("Buy" or "Sell"))
        {
            return new(side is null ? BadInputKinds.MissingField : BadInputKinds.WrongType, $"side '{side}' is not Buy or Sell");
        }

        trades.Add(new Trade
        {
            Exchange = Exchanges.Bitmex,
            Market = Markets.Perpetual,
            Symbol = symbol,
            TradeId = TradeIdOf(time, matchId),
            Price = price,
            Quantity = size,
            TradeTime = time,

            // BitMEX names the taker's side: a taker sell hit a resting buy.
            IsBuyerMaker = side == "Sell",
            Kind = TradeKind.Market,
            ReceivedAt = receivedAt,
            Source = DataSource.Live,
        });
        return null;
    }

    private BitmexDefect? ReadQuote(JsonElement row, DateTimeOffset receivedAt, List<Quote> quotes)
    {
        if (ReadCommon(row, receivedAt, out var symbol, out var time) is { } common)
        {
            return common;
        }

        // An empty side of the book comes as null price and size.
        decimal bidPrice = 0, askPrice = 0, bidSize = 0, askSize = 0;
        var defect = ReadPrice(row, "bidPrice", allowNull: true, out bidPrice)
            ?? ReadPrice(row, "askPrice", allowNull: true, out askPrice)
            ?? ReadSize(row, "bidSize", allowZero: true, out bidSize)
            ?? ReadSize(row, "askSize", allowZero: true, out askSize);
        if (defect is not null)
        {
            return defect;
        }

        quotes.Add(new Quote
        {
            Exchange = Exchanges.Bitmex,
            Market = Markets.Perpetual,
            Symbol = symbol,
            BidPrice = bidPrice,
            BidQuantity = bidSize,
            AskPrice = askPrice,
            AskQuantity = askSize,
            Time = time,
            ReceivedAt = receivedAt,
            Source = DataSource.Live,
        });
        return null;
    }

    private BitmexDefect? ReadCommon(JsonElement row, DateTimeOffset receivedAt, out string symbol, out DateTimeOffset time)
    {
        symbol = "";
        time = default;
        if (!row.TryGetProperty("symbol", out var s) || s.ValueKind != JsonValueKind.String)
        {
            return new(s.ValueKind == JsonValueKind.Undefined ? BadInputKinds.MissingField : BadInputKinds.WrongType, "symbol is not a string");
        }

        var name = s.GetString()!;
        if (!_symbols.TryGetValue(name, out var known))
        {
            return new(BadInputKinds.UnknownSymbol, $"symbol '{name}' is not subscribed");
        }

        symbol = known;
        if (!row.TryGetProperty("timestamp", out var t) || t.ValueKind != JsonValueKind.String)
        {
            return new(t.ValueKind == JsonValueKind.Undefined ? BadInputKinds.MissingField : BadInputKinds.WrongType, "timestamp is not a string");
        }

        if (!t.TryGetDateTimeOffset(out time))
        {
            return new(BadInputKinds.AbsurdTimestamp, $"timestamp '{t.GetString()}' is not an ISO 8601 time");
        }

        if (time < Earliest || time > receivedAt + MaxClockLead)
        {
            return new(BadInputKinds.AbsurdTimestamp, $"timestamp {time:O} is before 2014 or a day ahead of the receive time");
        }

        time = time.ToUniversalTime();
        return null;
    }

    private static BitmexDefect? ReadPrice(JsonElement row, string field, bool allowNull, out decimal price)
    {
        price = 0;
        if (!row.TryGetProperty(field, out var value))
        {
            return new(BadInputKinds.MissingField, $"{field} is missing");
        }

        if (value.ValueKind == JsonValueKind.Null && allowNull)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number)
        {
            return new(BadInputKinds.InvalidPrice, $"{field} is {Show(value)}, not a number");
        }

        if (!JsonDecimal.TryParse(Encoding.UTF8.GetBytes(value.GetRawText()), out price) || price <= 0)
        {
            return new(BadInputKinds.InvalidPrice, $"{field} {value.GetRawText()} is not a positive exact decimal");
        }

        return null;
    }

    private static BitmexDefect? ReadSize(JsonElement row, string field, bool allowZero, out decimal size)
    {
        size = 0;
        if (!row.TryGetProperty(field, out var value))
        {
            return new(BadInputKinds.MissingField, $"{field} is missing");
        }

        if (value.ValueKind == JsonValueKind.Null && allowZero)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var contracts) || contracts < 0 || (contracts == 0 && !allowZero))
        {
            return new(BadInputKinds.InvalidQuantity, $"{field} is {Show(value)}, not a {(allowZero ? "non-negative" : "positive")} whole number of contracts");
        }

        size = contracts;
        return null;
    }

    private static string Show(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{value.GetString()}\"",
        JsonValueKind.Null => "null",
        _ => value.GetRawText(),
    };
}
