using System.Text.Json;
using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.Feeds;

namespace CryptoPipeline.Ingest.Polling;

/// <summary>
/// Binance <c>/api/v3/ticker/price</c>: <c>{"symbol":"BTCUSDT","price":"74192.71000000"}</c> or an array of them.
/// Prices are exact decimal strings; the answer carries no time, so the poll time stands in.
/// </summary>
internal static class BinanceTickerParser
{
    public static void Parse(ReadOnlySpan<byte> body, IReadOnlySet<string> symbols, DateTimeOffset polledAt, List<PriceTick> ticks, List<(string Kind, string Detail)> defects)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.ToArray());
        }
        catch (JsonException e)
        {
            defects.Add((BadInputKinds.MalformedJson, e.Message));
            return;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                Read(root, symbols, polledAt, ticks, defects);
            }
            else if (root.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in root.EnumerateArray())
                {
                    Read(item, symbols, polledAt, ticks, defects);
                }
            }
            else
            {
                defects.Add((BadInputKinds.WrongType, "the answer is neither an object nor an array"));
            }
        }
    }

    private static void Read(JsonElement item, IReadOnlySet<string> symbols, DateTimeOffset polledAt, List<PriceTick> ticks, List<(string Kind, string Detail)> defects)
    {
        if (item.ValueKind != JsonValueKind.Object
            || !item.TryGetProperty("symbol", out var symbol) || symbol.ValueKind != JsonValueKind.String
            || !item.TryGetProperty("price", out var price))
        {
            defects.Add((BadInputKinds.MissingField, "a ticker lacks symbol or price"));
            return;
        }

        var name = symbol.GetString()!;
        if (!symbols.Contains(name))
        {
            defects.Add((BadInputKinds.UnknownSymbol, $"symbol '{name}' was not asked for"));
            return;
        }

        if (price.ValueKind != JsonValueKind.String)
        {
            defects.Add((BadInputKinds.WrongType, $"the price of {name} is not a string"));
            return;
        }

        if (!DecimalText.TryParse(price.GetString(), out var value) || value <= 0)
        {
            defects.Add((BadInputKinds.InvalidPrice, $"the price of {name}, '{price.GetString()}', is not a positive decimal"));
            return;
        }

        ticks.Add(new PriceTick
        {
            Exchange = Exchanges.Binance,
            Symbol = name,
            Price = value,
            Time = polledAt,
            ReceivedAt = polledAt,
            Source = DataSource.Live,
        });
    }
}
