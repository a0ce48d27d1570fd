using System.Text.Json;
using CryptoPipeline.Contracts;

namespace CryptoPipeline.Ingest.Binance;

/// <summary>
/// Parses the REST bodies the feed uses: <c>historicalTrades</c> (spot and futures share the row layout,
/// <c>{"id","price","qty","quoteQty","time","isBuyerMaker"[,"isBestMatch"]}</c>) and <c>exchangeInfo</c>.
/// </summary>
internal static class BinanceRestParser
{
    /// <summary>
    /// Adds the valid rows of a historicalTrades body to <paramref name="trades"/> as back-filled market trades
    /// (REST serves no other kind) and reports each invalid row; the others are still used.
    /// </summary>
    /// <exception cref="JsonException">The body is not a JSON array of objects.</exception>
    public static void ParseHistoricalTrades(
        ReadOnlySpan<byte> body,
        BinanceMarket market,
        string symbol,
        DateTimeOffset receivedAt,
        List<Trade> trades,
        Action<BinanceBadInput, string> reportBad)
    {
        var reader = new Utf8JsonReader(body);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("expected a JSON array of trades");
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            long? id = null;
            decimal? price = null;
            decimal? quantity = null;
            long? time = null;
            bool? buyerIsMaker = null;
            string? defect = null;
            var defectKind = BinanceBadInput.WrongType;

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isId = reader.ValueTextEquals("id"u8);
                var isPrice = reader.ValueTextEquals("price"u8);
                var isQuantity = reader.ValueTextEquals("qty"u8);
                var isTime = reader.ValueTextEquals("time"u8);
                var isMaker = reader.ValueTextEquals("isBuyerMaker"u8);
                reader.Read();

                // Once a row is rejected, the rest of it is only stepped over.
                if (defect is not null)
                {
                    reader.Skip();
                    continue;
                }

                if (isId)
                {
                    id = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value) && value >= 0 ? value : null;
                    if (id is null)
                    {
                        (defect, defectKind) = ("id is not a non-negative integer", BinanceBadInput.InvalidTradeId);
                    }
                }
                else if (isPrice || isQuantity)
                {
                    decimal? parsed = reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && DecimalText.TryParse(reader.ValueSpan, out var number) && number > 0
                        ? number
                        : null;
                    if (parsed is null)
                    {
                        (defect, defectKind) = isPrice
                            ? ("price is not a positive decimal string", BinanceBadInput.InvalidPrice)
                            : ("qty is not a positive decimal string", BinanceBadInput.InvalidQuantity);
                    }
                    else if (isPrice)
                    {
                        price = parsed;
                    }
                    else
                    {
                        quantity = parsed;
                    }
                }
                else if (isTime)
                {
                    var latest = (receivedAt + BinanceStreamParser.MaxClockLead).ToUnixTimeMilliseconds();
                    time = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var ms) && ms >= BinanceStreamParser.MinEpochMilliseconds && ms <= latest ? ms : null;
                    if (time is null)
                    {
                        (defect, defectKind) = ("time is not plausible epoch milliseconds", BinanceBadInput.AbsurdTimestamp);
                    }
                }
                else if (isMaker)
                {
                    buyerIsMaker = reader.TokenType switch { JsonTokenType.True => true, JsonTokenType.False => false, _ => null };
                    if (buyerIsMaker is null)
                    {
                        (defect, defectKind) = ("isBuyerMaker is not a boolean", BinanceBadInput.WrongType);
                    }
                }

                // Steps over an object or array value; a no-op for the scalars read above.
                reader.Skip();
            }

            if (defect is null && (id is null || price is null || quantity is null || time is null || buyerIsMaker is null))
            {
                (defect, defectKind) = ("a field of id, price, qty, time, isBuyerMaker is missing", BinanceBadInput.MissingField);
            }

            if (defect is not null)
            {
                reportBad(defectKind, $"{market.HistoricalTradesPath} {symbol} row{(id is { } badId ? $" {badId}" : "")}: {defect}");
                continue;
            }

            trades.Add(new Trade
            {
                Exchange = market.Exchange,
                Market = market.Market,
                Symbol = symbol,
                TradeId = id!.Value,
                Price = price!.Value,
                Quantity = quantity!.Value,
                TradeTime = DateTimeOffset.FromUnixTimeMilliseconds(time!.Value),
                IsBuyerMaker = buyerIsMaker!.Value,
                Kind = TradeKind.Market,
                ReceivedAt = receivedAt,
                Source = DataSource.Backfill,
            });
        }

        if (reader.TokenType != JsonTokenType.EndArray)
        {
            throw new JsonException("expected a JSON array of trade objects");
        }
    }

    /// <summary>
    /// The symbols of <c>exchangeInfo</c> that trade against USDT now (<c>status</c> TRADING); on futures only
    /// perpetual contracts, since dated contracts expire and come back under new names.
    /// </summary>
    /// <exception cref="JsonException">The body is not an exchangeInfo document.</exception>
    public static IReadOnlyList<string> ParseUsdtSymbols(ReadOnlySpan<byte> body, BinanceMarket market)
    {
        using var document = JsonDocument.Parse(body.ToArray());
        if (!document.RootElement.TryGetProperty("symbols", out var symbols) || symbols.ValueKind != JsonValueKind.Array)
        {
            throw new JsonException("exchangeInfo has no symbols array");
        }

        var result = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var entry in symbols.EnumerateArray())
        {
            if (Text(entry, "symbol") is { } symbol
                && Text(entry, "status") == "TRADING"
                && Text(entry, "quoteAsset") == "USDT"
                && (!market.IsFutures || Text(entry, "contractType") == "PERPETUAL"))
            {
                result.Add(symbol);
            }
        }

        return [.. result];
    }

    private static string? Text(JsonElement entry, string property) =>
        entry.ValueKind == JsonValueKind.Object && entry.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
