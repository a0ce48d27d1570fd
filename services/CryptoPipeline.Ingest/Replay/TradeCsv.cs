using System.Buffers.Text;
using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.Feeds;

namespace CryptoPipeline.Ingest.Replay;

/// <summary>
/// data.binance.vision trade archives: spot <c>id,price,qty,quoteQty,time,isBuyerMaker,isBestMatch</c> without a
/// header, USD-M futures <c>id,price,qty,quote_qty,time,is_buyer_maker</c> with one. The time is epoch
/// milliseconds, or microseconds in spot archives from 2025 on: the size of the number tells which. Prices and
/// quantities are read as exact decimals; the quote quantity is price × quantity and not needed.
/// </summary>
internal static class TradeCsv
{
    // Epoch µs of any date after 1973 exceed this; epoch ms do not until the year 5138.
    private const long MicrosecondsFrom = 100_000_000_000_000;

    /// <summary>Epoch ms before 2001-09-09: not a trade time (the same floor the live feeds use).</summary>
    private const long MinMilliseconds = 1_000_000_000_000;

    public enum Outcome
    {
        Trade,
        Header,
        Bad,
    }

    /// <summary>The symbol a data.binance.vision file name starts with (<c>BTCUSDT-trades-2025-01-01.csv</c>), or null.</summary>
    public static string? SymbolFromFileName(string fileName)
    {
        var dash = fileName.IndexOf("-trades", StringComparison.OrdinalIgnoreCase);
        var symbol = dash > 0 ? fileName[..dash].ToUpperInvariant() : null;
        return symbol is not null && IngestOptionsValidator.IsSymbol(symbol) ? symbol : null;
    }

    public static Outcome Parse(ReadOnlySpan<byte> line, string exchange, string market, string symbol, DateTimeOffset latest, out Trade? trade, out string badKind, out string detail)
    {
        trade = null;
        badKind = "";
        detail = "";
        if (line.IsEmpty || line[0] is < (byte)'0' or > (byte)'9')
        {
            // A header names the columns; anything else that does not start with an id is not a trade row.
            if (line.StartsWith("id,"u8))
            {
                return Outcome.Header;
            }

            return Bad(BadInputKinds.MalformedJson, "the row does not start with a trade id", out badKind, out detail);
        }

        Span<Range> fields = stackalloc Range[8];
        var count = SplitColumns(line, fields);
        if (count < 6)
        {
            return Bad(BadInputKinds.MissingField, $"the row has {count} columns, a trade row at least 6", out badKind, out detail);
        }

        if (!Utf8Parser.TryParse(line[fields[0]], out long id, out var idLength) || idLength != line[fields[0]].Length || id < 0)
        {
            return Bad(BadInputKinds.InvalidTradeId, "the trade id is not a non-negative integer", out badKind, out detail);
        }

        if (!DecimalText.TryParse(line[fields[1]], out var price) || price <= 0)
        {
            return Bad(BadInputKinds.InvalidPrice, "the price is not a positive decimal", out badKind, out detail);
        }

        if (!DecimalText.TryParse(line[fields[2]], out var quantity) || quantity <= 0)
        {
            return Bad(BadInputKinds.InvalidQuantity, "the quantity is not a positive decimal", out badKind, out detail);
        }

        if (!Utf8Parser.TryParse(line[fields[4]], out long rawTime, out var timeLength) || timeLength != line[fields[4]].Length)
        {
            return Bad(BadInputKinds.WrongType, "the time is not an integer", out badKind, out detail);
        }

        var microseconds = rawTime >= MicrosecondsFrom ? rawTime : rawTime >= MinMilliseconds ? rawTime * 1000 : -1;
        if (!UnixMicroseconds.TryToDateTimeOffset(microseconds, out var time) || time > latest)
        {
            return Bad(BadInputKinds.AbsurdTimestamp, $"the time {rawTime} is not epoch ms or µs between 2001 and now", out badKind, out detail);
        }

        var maker = line[fields[5]];
        bool buyerIsMaker;
        if (maker.SequenceEqual("True"u8) || maker.SequenceEqual("true"u8))
        {
            buyerIsMaker = true;
        }
        else if (maker.SequenceEqual("False"u8) || maker.SequenceEqual("false"u8))
        {
            buyerIsMaker = false;
        }
        else
        {
            return Bad(BadInputKinds.WrongType, "isBuyerMaker is not True or False", out badKind, out detail);
        }

        trade = new Trade
        {
            Exchange = exchange,
            Market = market,
            Symbol = symbol,
            TradeId = id,
            Price = price,
            Quantity = quantity,
            TradeTime = time,
            IsBuyerMaker = buyerIsMaker,
            Kind = TradeKind.Market,

            // An archive row has no receive time: the trade time stands in for it.
            ReceivedAt = time,
            Source = DataSource.Replay,
        };
        return Outcome.Trade;
    }

    private static int SplitColumns(ReadOnlySpan<byte> line, Span<Range> columns)
    {
        var count = 0;
        var start = 0;
        while (count < columns.Length)
        {
            var comma = line[start..].IndexOf((byte)',');
            if (comma < 0)
            {
                columns[count++] = start..line.Length;
                break;
            }

            columns[count++] = start..(start + comma);
            start += comma + 1;
        }

        return count;
    }

    private static Outcome Bad(string kind, string text, out string badKind, out string detail)
    {
        badKind = kind;
        detail = text;
        return Outcome.Bad;
    }
}
