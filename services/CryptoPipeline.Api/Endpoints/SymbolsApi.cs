using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CryptoPipeline.Api;

/// <summary><c>GET /api/v1/symbols</c>: the instruments with data, per exchange.</summary>
internal static class SymbolsApi
{
    private static readonly CsvColumns<SymbolRow> Csv = new(
        ("exchange", s => s.Exchange),
        ("symbol", s => s.Symbol),
        ("first_candle", s => s.FirstCandle),
        ("last_candle", s => s.LastCandle),
        ("last_price", s => s.LastPrice),
        ("updated_at", s => s.UpdatedAt),
        ("source", s => s.Source));

    public static RouteGroupBuilder MapSymbolsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/symbols", GetSymbols)
            .WithName("GetSymbols")
            .WithSummary("Instruments with candles or prices, with the time range of their candles and where their latest data came from");
        return api;
    }

    public static async Task<Results<Ok<List<SymbolRow>>, CsvResult<SymbolRow>>> GetSymbols(
        HttpContext context,
        MarketQueries market,
        TimeProvider time,
        [Exchange] string? exchange = null,
        [RegularExpression(ApiParameters.FormatPattern, ErrorMessage = ApiParameters.FormatMessage)] string? format = null)
    {
        var rows = await market.SymbolsAsync(exchange, context.RequestAborted);
        return ApiParameters.IsCsv(format, context)
            ? new CsvResult<SymbolRow>(rows, Csv, $"symbols_{exchange ?? "all"}", time.GetUtcNow())
            : TypedResults.Ok(rows);
    }
}
