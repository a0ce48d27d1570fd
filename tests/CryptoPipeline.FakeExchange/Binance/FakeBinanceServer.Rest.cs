using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CryptoPipeline.FakeExchange.Binance;

public sealed partial class FakeBinanceServer
{
    private readonly Lock _weightLock = new();
    private readonly ConcurrentDictionary<string, Servable> _servable = new(StringComparer.Ordinal);
    private long _weightMinute;
    private int _usedWeight;

    private delegate (int Status, byte[] Body) RestHandler(IQueryCollection query);

    private void MapRest(WebApplication app)
    {
        var prefix = Market.RestPrefix;
        app.MapGet(prefix + "/exchangeInfo", context => RestAsync(context, Market.ExchangeInfoWeight, ExchangeInfo));
        app.MapGet(prefix + "/historicalTrades", context => RestAsync(context, Market.HistoricalTradesWeight, HistoricalTrades));
        app.MapGet(prefix + "/trades", context => RestAsync(context, Market.RecentTradesWeight, RecentTrades));
        app.MapGet(prefix + "/aggTrades", context => RestAsync(context, Market.AggTradesWeight, AggTrades));
        app.MapGet(prefix + "/klines", context => RestAsync(context, Market.KlinesWeight, KlinesRows));
    }

    private async Task RestAsync(HttpContext context, int weight, RestHandler handler)
    {
        _restRequests.Enqueue(context.Request.Path + context.Request.QueryString);
        var response = context.Response;
        response.ContentType = "application/json";
        if (Faults.TakeRejection() is { } rejection)
        {
            await RejectAsync(response, rejection.Status, rejection.RetryAfter);
            return;
        }

        int used;
        lock (_weightLock)
        {
            var minute = CurrentMinute();
            if (minute != _weightMinute)
            {
                _weightMinute = minute;
                _usedWeight = 0;
            }

            if (Faults.WeightLimitPerMinute is { } limit && _usedWeight + Faults.ExtraUsedWeight + weight > limit)
            {
                used = -1;
            }
            else
            {
                _usedWeight += weight;
                used = _usedWeight + Faults.ExtraUsedWeight;
            }
        }

        if (used < 0)
        {
            var nextMinute = DateTimeOffset.FromUnixTimeSeconds((CurrentMinute() + 1) * 60);
            await RejectAsync(response, StatusCodes.Status429TooManyRequests, nextMinute - _options.Time.GetUtcNow());
            return;
        }

        response.Headers["X-MBX-USED-WEIGHT-1M"] = used.ToString(CultureInfo.InvariantCulture);
        var (status, body) = handler(context.Request.Query);
        response.StatusCode = status;
        await response.Body.WriteAsync(body);
    }

    private static async Task RejectAsync(HttpResponse response, int status, TimeSpan retryAfter)
    {
        response.StatusCode = status;
        response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        await response.Body.WriteAsync(Json(json =>
        {
            json.WriteStartObject();
            json.WriteNumber("code", -1003);
            json.WriteString("msg", status == 418 ? "Way too many requests; IP banned." : "Too many requests; current limit is exceeded.");
            json.WriteEndObject();
        }));
    }

    private long CurrentMinute() => _options.Time.GetUtcNow().ToUnixTimeSeconds() / 60;

    private (int, byte[]) ExchangeInfo(IQueryCollection query)
    {
        var symbols = _options.ExchangeInfoSymbols ?? [.. Recording.Symbols.Order(StringComparer.Ordinal).Select(s => new FakeSymbol(s))];
        return (200, Json(json =>
        {
            json.WriteStartObject();
            json.WriteString("timezone", "UTC");
            json.WriteNumber("serverTime", _options.Time.GetUtcNow().ToUnixTimeMilliseconds());
            json.WriteStartArray("rateLimits");
            json.WriteStartObject();
            json.WriteString("rateLimitType", "REQUEST_WEIGHT");
            json.WriteString("interval", "MINUTE");
            json.WriteNumber("intervalNum", 1);
            json.WriteNumber("limit", Market.IsFutures ? 2400 : 6000);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteStartArray("symbols");
            foreach (var symbol in symbols)
            {
                json.WriteStartObject();
                json.WriteString("symbol", symbol.Symbol);
                json.WriteString("status", symbol.Status);
                json.WriteString("baseAsset", symbol.Symbol.EndsWith(symbol.QuoteAsset, StringComparison.Ordinal) ? symbol.Symbol[..^symbol.QuoteAsset.Length] : symbol.Symbol);
                json.WriteString("quoteAsset", symbol.QuoteAsset);
                if (Market.IsFutures)
                {
                    json.WriteString("contractType", symbol.ContractType);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }));
    }

    private (int, byte[]) HistoricalTrades(IQueryCollection query)
    {
        if (TradesOf(query, out var trades, out var limit) is { } error)
        {
            return error;
        }

        var from = Long(query, "fromId") is { } fromId ? LowerBound(trades, t => t.Id, fromId) : Math.Max(0, trades.Count - limit);
        return (200, TradesJson(trades.Skip(from).Take(limit)));
    }

    private (int, byte[]) RecentTrades(IQueryCollection query) =>
        TradesOf(query, out var trades, out var limit) is { } error ? error : (200, TradesJson(trades.Skip(Math.Max(0, trades.Count - limit))));

    private (int, byte[]) AggTrades(IQueryCollection query)
    {
        if (TradesOf(query, out _, out var limit) is { } error)
        {
            return error;
        }

        var aggregates = Happened(_servable[query["symbol"].ToString()].Aggregates, a => a.LastMessageIndex);
        IEnumerable<AggregateTrade> selected = aggregates;
        if (Long(query, "fromId") is { } fromId)
        {
            selected = aggregates.Skip(LowerBound(aggregates, a => a.Id, fromId));
        }
        else if (Long(query, "startTime") is { } start)
        {
            var end = Long(query, "endTime") ?? long.MaxValue;
            selected = aggregates.Where(a => a.TimeMs >= start && a.TimeMs <= end);
        }
        else
        {
            selected = aggregates.Skip(Math.Max(0, aggregates.Count - limit));
        }

        return (200, Json(json =>
        {
            json.WriteStartArray();
            foreach (var aggregate in selected.Take(limit))
            {
                json.WriteStartObject();
                json.WriteNumber("a", aggregate.Id);
                json.WriteString("p", aggregate.Price);
                json.WriteString("q", aggregate.Quantity.ToString(CultureInfo.InvariantCulture));
                json.WriteNumber("f", aggregate.FirstId);
                json.WriteNumber("l", aggregate.LastId);
                json.WriteNumber("T", aggregate.TimeMs);
                json.WriteBoolean("m", aggregate.IsBuyerMaker);
                if (!Market.IsFutures)
                {
                    json.WriteBoolean("M", true);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
        }));
    }

    private (int, byte[]) KlinesRows(IQueryCollection query)
    {
        var symbol = query["symbol"].ToString();
        if (symbol.Length == 0)
        {
            return BadRequest(-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
        }

        if (query["interval"].ToString() != "1m")
        {
            return BadRequest(-1120, "Invalid interval.");
        }

        var rows = Klines.Rows(symbol);
        if (rows.Count == 0)
        {
            return BadRequest(-1121, "Invalid symbol.");
        }

        if (Limit(query, 500, Market.MaxKlinesLimit) is not { } limit)
        {
            return BadRequest(-1130, $"limit must be between 1 and {Market.MaxKlinesLimit}.");
        }

        var start = Long(query, "startTime");
        var end = Long(query, "endTime") ?? long.MaxValue;
        var selected = start is null && Long(query, "endTime") is null
            ? rows.Skip(Math.Max(0, rows.Count - limit))
            : rows.Where(r => FakeKlines.OpenTime(r) >= (start ?? 0) && FakeKlines.OpenTime(r) <= end).Take(limit);
        return (200, Json(json =>
        {
            json.WriteStartArray();
            foreach (var row in selected)
            {
                json.WriteStartArray();
                for (var i = 0; i < row.Length; i++)
                {
                    // Times and the trade count are JSON numbers, prices and volumes strings, as Binance sends them.
                    if (i is 0 or 6 or 8)
                    {
                        json.WriteNumberValue(long.Parse(row[i], CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        json.WriteStringValue(row[i]);
                    }
                }

                json.WriteEndArray();
            }

            json.WriteEndArray();
        }));
    }

    /// <summary>The trades of the request's symbol that the replay has passed (REST cannot serve the future).</summary>
    private (int, byte[])? TradesOf(IQueryCollection query, out IReadOnlyList<RecordedTrade> trades, out int limit)
    {
        trades = [];
        limit = 0;
        var symbol = query["symbol"].ToString();
        if (symbol.Length == 0)
        {
            return BadRequest(-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
        }

        if (!Recording.Symbols.Contains(symbol))
        {
            return BadRequest(-1121, "Invalid symbol.");
        }

        if (Limit(query, Market.DefaultTradesLimit, Market.MaxTradesLimit) is not { } requested)
        {
            return BadRequest(-1130, $"limit must be between 1 and {Market.MaxTradesLimit}.");
        }

        limit = requested;
        var happened = Happened(_servable.GetOrAdd(symbol, s => new Servable(Recording.Trades(s), Market.IsFutures)).Trades, t => t.MessageIndex);
        var kept = Faults.ForgottenThrough(symbol) is { } forgotten ? LowerBound(happened, t => t.Id, forgotten + 1) : 0;
        trades = happened.GetRange(kept, happened.Count - kept);
        return null;
    }

    private List<T> Happened<T>(List<T> items, Func<T, int> messageIndex)
    {
        var cursor = Volatile.Read(ref _cursor);
        return items.GetRange(0, LowerBound(items, messageIndex, cursor));
    }

    private byte[] TradesJson(IEnumerable<RecordedTrade> trades) => Json(json =>
    {
        json.WriteStartArray();
        foreach (var trade in trades)
        {
            json.WriteStartObject();
            json.WriteNumber("id", trade.Id);
            json.WriteString("price", trade.Price);
            json.WriteString("qty", trade.Quantity);
            var quote = decimal.Parse(trade.Price, CultureInfo.InvariantCulture) * decimal.Parse(trade.Quantity, CultureInfo.InvariantCulture);
            json.WriteString("quoteQty", quote.ToString(CultureInfo.InvariantCulture));
            json.WriteNumber("time", trade.TimeMs);
            json.WriteBoolean("isBuyerMaker", trade.IsBuyerMaker);
            if (!Market.IsFutures)
            {
                json.WriteBoolean("isBestMatch", true);
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
    });

    private static (int, byte[]) BadRequest(int code, string message) => (400, Json(json =>
    {
        json.WriteStartObject();
        json.WriteNumber("code", code);
        json.WriteString("msg", message);
        json.WriteEndObject();
    }));

    private static long? Long(IQueryCollection query, string name) =>
        long.TryParse(query[name].ToString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static int? Limit(IQueryCollection query, int defaultLimit, int maxLimit) =>
        Long(query, "limit") is not { } limit ? defaultLimit : limit is >= 1 && limit <= maxLimit ? (int)limit : null;

    /// <summary>The index of the first item whose key is at least <paramref name="value"/> (keys ascending).</summary>
    private static int LowerBound<T>(IReadOnlyList<T> items, Func<T, long> key, long value)
    {
        var low = 0;
        var high = items.Count;
        while (low < high)
        {
            var middle = low + ((high - low) / 2);
            if (key(items[middle]) < value)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    private static int LowerBound<T>(IReadOnlyList<T> items, Func<T, int> key, int value) => LowerBound(items, t => (long)key(t), value);

    /// <summary>A symbol's trades as REST lists them (futures: MARKET only) and their aggregates.</summary>
    private sealed class Servable
    {
        public Servable(IReadOnlyList<RecordedTrade> trades, bool marketOnly)
        {
            Trades = [.. trades.Where(t => !marketOnly || t.IsMarket)];
            foreach (var trade in Trades)
            {
                // Binance aggregates fills of one taker order at one price: the same price, side and time.
                if (Aggregates.Count > 0 && Aggregates[^1] is var last && last.Price == trade.Price && last.IsBuyerMaker == trade.IsBuyerMaker && last.TimeMs == trade.TimeMs && last.LastId + 1 == trade.Id)
                {
                    Aggregates[^1] = last with
                    {
                        Quantity = last.Quantity + decimal.Parse(trade.Quantity, CultureInfo.InvariantCulture),
                        LastId = trade.Id,
                        LastMessageIndex = trade.MessageIndex,
                    };
                }
                else
                {
                    Aggregates.Add(new AggregateTrade(Aggregates.Count + 1, trade.Price, decimal.Parse(trade.Quantity, CultureInfo.InvariantCulture), trade.Id, trade.Id, trade.TimeMs, trade.IsBuyerMaker, trade.MessageIndex));
                }
            }
        }

        public List<RecordedTrade> Trades { get; }

        public List<AggregateTrade> Aggregates { get; } = [];
    }

    private sealed record AggregateTrade(long Id, string Price, decimal Quantity, long FirstId, long LastId, long TimeMs, bool IsBuyerMaker, int LastMessageIndex);
}
