using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CryptoPipeline.Api;

/// <summary><c>GET /api/v1/tickers</c>: last price, best bid/ask, spread and 24-hour figures per instrument.</summary>
internal static class TickersApi
{
    private static readonly CsvColumns<TickerRow> Csv = new(
        ("exchange", t => t.Exchange),
        ("symbol", t => t.Symbol),
        ("last", t => t.Last),
        ("last_trade_time", t => t.LastTradeTime),
        ("bid", t => t.Bid),
        ("bid_quantity", t => t.BidQuantity),
        ("ask", t => t.Ask),
        ("ask_quantity", t => t.AskQuantity),
        ("spread", t => t.Spread),
        ("quote_time", t => t.QuoteTime),
        ("open_24h", t => t.Open24h),
        ("high_24h", t => t.High24h),
        ("low_24h", t => t.Low24h),
        ("change_24h", t => t.Change24h),
        ("change_percent_24h", t => t.ChangePercent24h),
        ("volume_24h", t => t.Volume24h),
        ("quote_volume_24h", t => t.QuoteVolume24h),
        ("trade_count_24h", t => t.TradeCount24h),
        ("updated_at", t => t.UpdatedAt),
        ("source", t => t.Source));

    public static RouteGroupBuilder MapTickersApi(this RouteGroupBuilder api)
    {
        api.MapGet("/tickers", GetTickers)
            .WithName("GetTickers")
            .WithSummary("Last price, best bid/ask and spread, and the 24-hour change and volume of every instrument")
            .WithDescription("The 24 hours are the 1,440 minutes ending with the instrument's latest candle, so a replayed day shows that day's figures.");
        return api;
    }

    public static async Task<Results<Ok<List<TickerRow>>, CsvResult<TickerRow>>> GetTickers(
        HttpContext context,
        MarketQueries market,
        TimeProvider time,
        [Exchange] string? exchange = null,
        [RegularExpression(ApiParameters.FormatPattern, ErrorMessage = ApiParameters.FormatMessage)] string? format = null)
    {
        var rows = await market.TickersAsync(exchange, context.RequestAborted);
        return ApiParameters.IsCsv(format, context)
            ? new CsvResult<TickerRow>(rows, Csv, $"tickers_{exchange ?? "all"}", time.GetUtcNow())
            : TypedResults.Ok(rows);
    }
}
