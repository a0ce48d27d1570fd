using System.Text;
using System.Text.Json;
using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.Feeds;

namespace CryptoPipeline.Ingest.Polling;

/// <summary>
/// CoinGecko <c>/simple/price</c>: <c>{"bitcoin":{"usd":5005.73,"myr":20474,"last_updated_at":1711234567}}</c>.
/// Prices are JSON numbers, exponents included (<c>1.2e-05</c>), converted exactly from their text. A tick's
/// symbol is <c>&lt;id&gt;-&lt;currency&gt;</c> (<c>bitcoin-usd</c>); its time is <c>last_updated_at</c> when
/// CoinGecko sends it, else the poll time.
/// </summary>
internal static class CoinGeckoParser
{
    private static readonly DateTimeOffset Earliest = new(2013, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static string SymbolOf(string id, string currency) => $"{id}-{currency}";

    public static void Parse(ReadOnlySpan<byte> body, IReadOnlyList<string> ids, IReadOnlyList<string> currencies, DateTimeOffset polledAt, List<PriceTick> ticks, List<(string Kind, string Detail)> defects)
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
            if (root.ValueKind != JsonValueKind.Object)
            {
                defects.Add((BadInputKinds.WrongType, "the answer is not a JSON object"));
                return;
            }

            foreach (var coin in root.EnumerateObject())
            {
                if (!ids.Contains(coin.Name, StringComparer.Ordinal))
                {
                    defects.Add((BadInputKinds.UnknownSymbol, $"coin '{coin.Name}' was not asked for"));
                    continue;
                }

                if (coin.Value.ValueKind != JsonValueKind.Object)
                {
                    defects.Add((BadInputKinds.WrongType, $"the prices of {coin.Name} are not an object"));
                    continue;
                }

                var time = polledAt;
                if (coin.Value.TryGetProperty("last_updated_at", out var updated))
                {
                    if (!updated.TryGetInt64(out var seconds) || seconds < Earliest.ToUnixTimeSeconds() || seconds > (polledAt + TimeSpan.FromDays(1)).ToUnixTimeSeconds())
                    {
                        defects.Add((BadInputKinds.AbsurdTimestamp, $"last_updated_at of {coin.Name} is {updated.GetRawText()}, not epoch seconds since 2013"));
                        continue;
                    }

                    time = DateTimeOffset.FromUnixTimeSeconds(seconds);
                }

                foreach (var currency in currencies)
                {
                    if (!coin.Value.TryGetProperty(currency, out var price))
                    {
                        defects.Add((BadInputKinds.MissingField, $"{coin.Name} has no {currency} price"));
                        continue;
                    }

                    if (price.ValueKind != JsonValueKind.Number)
                    {
                        defects.Add((BadInputKinds.InvalidPrice, $"the {currency} price of {coin.Name} is {price.GetRawText()}, not a number"));
                        continue;
                    }

                    if (!JsonDecimal.TryParse(Encoding.UTF8.GetBytes(price.GetRawText()), out var value) || value <= 0)
                    {
                        defects.Add((BadInputKinds.InvalidPrice, $"the {currency} price of {coin.Name}, {price.GetRawText()}, is not a positive exact decimal"));
                        continue;
                    }

                    ticks.Add(new PriceTick
                    {
                        Exchange = Exchanges.CoinGecko,
                        Symbol = SymbolOf(coin.Name, currency),
                        Price = value,
                        Time = time,
                        ReceivedAt = polledAt,
                        Source = DataSource.Live,
                    });
                }
            }
        }
    }
}
