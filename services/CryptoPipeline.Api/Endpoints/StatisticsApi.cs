using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CryptoPipeline.Api;

/// <summary>Statistics over a window, with the window actually used.</summary>
public sealed record StatisticsResponse(DateTimeOffset From, DateTimeOffset To, IReadOnlyList<StatisticsRow> Symbols);

public sealed record HourlyStatisticsResponse(DateTimeOffset From, DateTimeOffset To, IReadOnlyList<HourlyStatisticsRow> Hours);

/// <summary>
/// <c>GET /api/v1/statistics</c> (per instrument over the last N minutes: trades, volumes, OHLC, vwap, change; by quote
/// volume descending, so the first rows are the top volumes) and <c>GET /api/v1/statistics/hourly</c> (per instrument
/// and UTC hour). Both end at <c>end</c>, default now; a dashboard showing a replayed day passes that day's end.
/// </summary>
internal static class StatisticsApi
{
    public const int MaxMinutes = 7 * 24 * 60;
    public const int MaxHours = 7 * 24;

    private static readonly CsvColumns<StatisticsRow> Csv = new(
        ("exchange", s => s.Exchange),
        ("symbol", s => s.Symbol),
        ("trade_count", s => s.TradeCount),
        ("volume", s => s.Volume),
        ("quote_volume", s => s.QuoteVolume),
        ("open", s => s.Open),
        ("high", s => s.High),
        ("low", s => s.Low),
        ("close", s => s.Close),
        ("vwap", s => s.Vwap),
        ("change", s => s.Change),
        ("change_percent", s => s.ChangePercent),
        ("first_minute", s => s.FirstMinute),
        ("last_minute", s => s.LastMinute),
        ("source", s => s.Source));

    private static readonly CsvColumns<HourlyStatisticsRow> HourlyCsv = new(
        ("exchange", h => h.Exchange),
        ("symbol", h => h.Symbol),
        ("hour_start", h => h.HourStart),
        ("trade_count", h => h.TradeCount),
        ("volume", h => h.Volume),
        ("quote_volume", h => h.QuoteVolume),
        ("open", h => h.Open),
        ("high", h => h.High),
        ("low", h => h.Low),
        ("close", h => h.Close),
        ("source", h => h.Source));

    public static RouteGroupBuilder MapStatisticsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/statistics", GetStatistics)
            .WithName("GetStatistics")
            .WithSummary("Per instrument over the minutes that open in [end − minutes, end): trades, volumes, OHLC, vwap and change, by quote volume");
        api.MapGet("/statistics/hourly", GetHourlyStatistics)
            .WithName("GetHourlyStatistics")
            .WithSummary("Per instrument and UTC hour, for the last `hours` hours up to end (the current hour so far included)");
        return api;
    }

    public static async Task<Results<Ok<StatisticsResponse>, CsvResult<StatisticsRow>>> GetStatistics(
        HttpContext context,
        MarketQueries market,
        TimeProvider time,
        [Exchange] string? exchange = null,
        [RegularExpression(ApiParameters.SymbolPattern, ErrorMessage = ApiParameters.SymbolMessage)] string? symbol = null,
        [Range(1, MaxMinutes)] int minutes = 360,
        [Timestamp] string? end = null,
        [RegularExpression(ApiParameters.FormatPattern, ErrorMessage = ApiParameters.FormatMessage)] string? format = null)
    {
        var to = ApiParameters.ParseTimestamp(end) ?? time.GetUtcNow();
        var from = to - TimeSpan.FromMinutes(minutes);
        var rows = await market.StatisticsAsync(exchange, symbol, from, to, context.RequestAborted);
        return ApiParameters.IsCsv(format, context)
            ? new CsvResult<StatisticsRow>(rows, Csv, $"statistics_{exchange ?? "all"}_{symbol ?? "all"}_{minutes}min", time.GetUtcNow())
            : TypedResults.Ok(new StatisticsResponse(from, to, rows));
    }

    public static async Task<Results<Ok<HourlyStatisticsResponse>, CsvResult<HourlyStatisticsRow>>> GetHourlyStatistics(
        HttpContext context,
        MarketQueries market,
        TimeProvider time,
        [Exchange] string? exchange = null,
        [RegularExpression(ApiParameters.SymbolPattern, ErrorMessage = ApiParameters.SymbolMessage)] string? symbol = null,
        [Range(1, MaxHours)] int hours = 12,
        [Timestamp] string? end = null,
        [RegularExpression(ApiParameters.FormatPattern, ErrorMessage = ApiParameters.FormatMessage)] string? format = null)
    {
        var to = ApiParameters.ParseTimestamp(end) ?? time.GetUtcNow();
        var from = CandleInterval.OneHour.Ceiling(to) - TimeSpan.FromHours(hours);
        var rows = await market.HourlyAsync(exchange, symbol, from, to, context.RequestAborted);
        return ApiParameters.IsCsv(format, context)
            ? new CsvResult<HourlyStatisticsRow>(rows, HourlyCsv, $"statistics_hourly_{exchange ?? "all"}_{symbol ?? "all"}_{hours}h", time.GetUtcNow())
            : TypedResults.Ok(new HourlyStatisticsResponse(from, to, rows));
    }
}
