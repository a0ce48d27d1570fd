using Microsoft.AspNetCore.OutputCaching;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace CryptoPipeline.Api;

/// <summary>
/// The candles of one instrument at one interval, with the range actually served.
/// <para>
/// <c>From</c>: Open time of the first interval the request covers (inclusive).
/// </para><para>
/// <c>To</c>: End of the range (exclusive): the candles' open times lie in [from, to).
/// </para>
/// </summary>
public sealed record CandlesResponse(
    string Exchange, string Symbol, string Interval, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<CandleRow> Candles);

/// <summary><c>GET /api/v1/candles</c>: candles of any interval from 1m to 1d, derived exactly from the 1-minute rows.</summary>
internal static class CandlesApi
{
    private static readonly CsvColumns<CandleRow> Csv = new(
        ("open_time", c => c.OpenTime),
        ("close_time", c => c.CloseTime),
        ("open", c => c.Open),
        ("high", c => c.High),
        ("low", c => c.Low),
        ("close", c => c.Close),
        ("volume", c => c.Volume),
        ("quote_volume", c => c.QuoteVolume),
        ("taker_buy_volume", c => c.TakerBuyVolume),
        ("taker_buy_quote_volume", c => c.TakerBuyQuoteVolume),
        ("trade_count", c => c.TradeCount),
        ("vwap", c => c.Vwap),
        ("is_final", c => c.IsFinal),
        ("source", c => c.Source));

    public static RouteGroupBuilder MapCandlesApi(this RouteGroupBuilder api)
    {
        api.MapGet("/candles", GetCandles)
            .WithName("GetCandles")
            .WithSummary("Candles of one instrument: 1m, 5m, 15m, 1h, 4h or 1d")
            .WithDescription(
                "Each candle aggregates the instrument's 1-minute rows: open of the first minute, close of the last, high and low the " +
                "extremes, volumes and trade counts summed, vwap = quote volume / volume. Intervals align to UTC midnight. With from: " +
                "the first `limit` intervals from `from` (up to `to`); without: the `limit` intervals that end at `to` (default: the end " +
                "of the instrument's latest minute). Intervals without trades have no candle. Ranges that ended a while ago are served " +
                "from a cache. CSV with `Accept: text/csv` or `format=csv`.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .CacheOutput(FinalDataPolicy.Name);
        return api;
    }

    public static async Task<Results<Ok<CandlesResponse>, CsvResult<CandleRow>, ProblemHttpResult, ValidationProblem>> GetCandles(
        HttpContext context,
        CandleQueries candles,
        TimeProvider time,
        [RegularExpression(ApiParameters.SymbolPattern, ErrorMessage = ApiParameters.SymbolMessage)] string? symbol,
        [Exchange] string exchange = Contracts.Exchanges.Binance,
        [Interval] string interval = "1m",
        [Timestamp] string? from = null,
        [Timestamp] string? to = null,
        [Range(1, ApiParameters.MaxCandles)] int limit = ApiParameters.DefaultCandles,
        [RegularExpression(ApiParameters.FormatPattern, ErrorMessage = ApiParameters.FormatMessage)] string? format = null)
    {
        if (symbol is null)
        {
            return ApiProblems.Missing(nameof(symbol), ApiParameters.SymbolMessage);
        }

        var length = CandleInterval.Parse(interval);
        var start = ApiParameters.ParseTimestamp(from);
        var end = ApiParameters.ParseTimestamp(to);
        if (start >= end)
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["from"] = [$"from must be before to, got from={from} and to={to}."] });
        }

        if (await candles.LatestMinuteAsync(exchange, symbol, context.RequestAborted) is not { } latest)
        {
            return ApiProblems.NoData(exchange, symbol);
        }

        DateTimeOffset rangeStart, rangeEnd;
        if (start is { } first)
        {
            rangeStart = length.Floor(first);
            rangeEnd = rangeStart + (length.Length * limit);
            if (end is { } last && length.Ceiling(last) < rangeEnd)
            {
                rangeEnd = length.Ceiling(last);
            }
        }
        else
        {
            rangeEnd = length.Ceiling(end ?? latest + CandleInterval.OneMinute.Length);
            rangeStart = rangeEnd - (length.Length * limit);
        }

        var rows = await candles.GetAsync(exchange, symbol, length, rangeStart, rangeEnd, context.RequestAborted);
        if (rows.Any(row => !row.IsFinal) && context.Features.Get<IOutputCacheFeature>() is { } cache)
        {
            // An old range can still hold open minutes (a replay of old data, a processor catching up): not final data.
            cache.Context.AllowCacheStorage = false;
        }

        return ApiParameters.IsCsv(format, context)
            ? new CsvResult<CandleRow>(rows, Csv, $"candles_{exchange}_{symbol}_{length.Name}", time.GetUtcNow())
            : TypedResults.Ok(new CandlesResponse(exchange, symbol, length.Name, rangeStart, rangeEnd, rows));
    }
}

/// <summary>The ProblemDetails the endpoints share.</summary>
internal static class ApiProblems
{
    /// <summary>
    /// A required query parameter that is absent. Minimal-API validation skips absent (null) parameters, and binding a
    /// non-nullable one would answer a bare 400 that names nothing, hence this check in the handlers.
    /// </summary>
    public static ValidationProblem Missing(string parameter, string accepts) => TypedResults.ValidationProblem(
        new Dictionary<string, string[]> { [parameter] = [$"{parameter} is required: " + string.Format(System.Globalization.CultureInfo.InvariantCulture, accepts, parameter)] });

    public static ProblemHttpResult NoData(string exchange, string symbol) => TypedResults.Problem(new ProblemDetails
    {
        Status = StatusCodes.Status404NotFound,
        Title = "Unknown symbol",
        Detail = $"Exchange {exchange} has no data for symbol '{symbol}'. GET /api/v1/symbols lists the symbols with data.",
    });
}
