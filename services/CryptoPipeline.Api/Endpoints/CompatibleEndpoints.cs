using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CryptoPipeline.Api;

public sealed record CompatibleHealth([property: JsonPropertyName("status")] int Status);

public sealed record TransactionCount([property: JsonPropertyName("total_transaction_count")] long TotalTransactionCount);

public sealed record TransactionCounts([property: JsonPropertyName("count")] Dictionary<string, TransactionCount> Count);

public sealed record TradeVolume([property: JsonPropertyName("total_trade_volume")] decimal TotalTradeVolume);

public sealed record TradeVolumes([property: JsonPropertyName("count")] Dictionary<string, TradeVolume> Count);

public sealed record HourlyStat(
    [property: JsonPropertyName("hour_start")] string HourStart,
    [property: JsonPropertyName("transaction_count")] long TransactionCount,
    [property: JsonPropertyName("total_trade_volume")] decimal TotalTradeVolume);

public sealed record HourlyStats([property: JsonPropertyName("stats")] Dictionary<string, List<HourlyStat>> Stats);

public sealed record TransactionsInLastMinutes(
    [property: JsonPropertyName("number_of_trades")] long NumberOfTrades,
    [property: JsonPropertyName("symbol")] string Symbol,
    [property: JsonPropertyName("n_minutes")] int Minutes);

public sealed record TopSymbol([property: JsonPropertyName("symbol")] string Symbol, [property: JsonPropertyName("total_volume")] decimal TotalVolume);

public sealed record TopSymbols([property: JsonPropertyName("top_symbols")] List<TopSymbol> Symbols);

public sealed record CurrentPrice(
    [property: JsonPropertyName("Symbol")] string Symbol,
    [property: JsonPropertyName("Buy price")] decimal BuyPrice,
    [property: JsonPropertyName("Sell price")] decimal SellPrice);

/// <summary>
/// The seven endpoints of the original FastAPI service, wire-compatible: same paths, parameters and JSON shapes, for
/// the exchange <see cref="ApiOptions.CompatibleExchange"/>. As in the original, hours are whole hours before the
/// current one (UTC here; the original used Kyiv time), "trade volume" is the quote volume (the original summed each
/// trade's USDT value), minutes are whole minutes before the current one, the top volumes cover the last hour, and
/// "Buy price"/"Sell price" are the best bid and the best ask.
/// <para>
/// The six data endpoints are mapped at the root, as the original served them. <c>GET /health</c> at the root is the
/// platform's readiness probe (DESIGN.md §2, a JSON report); the original's <c>{"status":200}</c> is at
/// <c>/compat/health</c>, where all seven are mapped too, so an old client works unchanged with base URL <c>/compat</c>.
/// </para>
/// </summary>
internal static class CompatibleEndpoints
{
    public const string Prefix = "/compat";
    public const int MaxMinutes = 1_440;
    public const int MaxTop = 1_000;

    public static IEndpointRouteBuilder MapCompatibleEndpoints(this IEndpointRouteBuilder routes)
    {
        MapData(routes.MapGroup("").RequireRateLimiting(ApiRateLimits.Policy).WithTags("Compatible"), nameSuffix: "");

        var prefixed = routes.MapGroup(Prefix).RequireRateLimiting(ApiRateLimits.Policy).WithTags("Compatible (/compat)");
        prefixed.MapGet("/health", GetHealth)
            .WithName("CompatibleHealth")
            .WithSummary("The original health check: {\"status\":200} while every readiness check passes, {\"status\":503} with 503 otherwise");
        MapData(prefixed, nameSuffix: "Prefixed");
        return routes;
    }

    public static async Task<Results<Ok<CompatibleHealth>, JsonHttpResult<CompatibleHealth>>> GetHealth(HealthCheckService health, HttpContext context)
    {
        var report = await health.CheckHealthAsync(context.RequestAborted);
        return report.Status == HealthStatus.Unhealthy
            ? TypedResults.Json(new CompatibleHealth(StatusCodes.Status503ServiceUnavailable), statusCode: StatusCodes.Status503ServiceUnavailable)
            : TypedResults.Ok(new CompatibleHealth(StatusCodes.Status200OK));
    }

    public static async Task<Ok<TransactionCounts>> GetTransactionsCountLast6Hours(CompatibleQueries queries, TimeProvider time, HttpContext context)
    {
        var (from, to) = WholeHours(time, 6);
        var totals = await queries.TotalsAsync(from, to, context.RequestAborted);
        return TypedResults.Ok(new TransactionCounts(totals.ToDictionary(t => t.Symbol, t => new TransactionCount(t.TradeCount), StringComparer.Ordinal)));
    }

    public static async Task<Ok<TradeVolumes>> GetTradeVolumeLast6Hours(CompatibleQueries queries, TimeProvider time, HttpContext context)
    {
        var (from, to) = WholeHours(time, 6);
        var totals = await queries.TotalsAsync(from, to, context.RequestAborted);
        return TypedResults.Ok(new TradeVolumes(totals.ToDictionary(t => t.Symbol, t => new TradeVolume(t.QuoteVolume), StringComparer.Ordinal)));
    }

    public static async Task<Ok<HourlyStats>> GetHourlyStatsLast12Hours(CompatibleQueries queries, TimeProvider time, HttpContext context)
    {
        var (from, to) = WholeHours(time, 12);
        var hours = await queries.HourlyAsync(from, to, context.RequestAborted);
        var stats = new Dictionary<string, List<HourlyStat>>(StringComparer.Ordinal);
        foreach (var hour in hours)
        {
            if (!stats.TryGetValue(hour.Symbol, out var list))
            {
                stats[hour.Symbol] = list = [];
            }

            // Python's isoformat() of a UTC time, as the original's clients parse it.
            list.Add(new HourlyStat(hour.HourStart.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'+00:00'", CultureInfo.InvariantCulture), hour.TradeCount, hour.QuoteVolume));
        }

        return TypedResults.Ok(new HourlyStats(stats));
    }

    // The parameters carry the original's query names, which validation messages repeat.
    public static async Task<Results<Ok<TransactionsInLastMinutes>, ProblemHttpResult, ValidationProblem>> GetTransactionsInLastMinutes(
        CompatibleQueries queries,
        TimeProvider time,
        HttpContext context,
        [RegularExpression(ApiParameters.SymbolPattern, ErrorMessage = ApiParameters.SymbolMessage)] string? symbol,
        [Range(1, MaxMinutes)] int n_minutes)
    {
        if (symbol is null)
        {
            return ApiProblems.Missing(nameof(symbol), ApiParameters.SymbolMessage);
        }

        if (await queries.ResolveSymbolAsync(symbol, context.RequestAborted) is not { } stored)
        {
            return UnknownSymbol(queries, symbol);
        }

        var to = CandleInterval.OneMinute.Floor(time.GetUtcNow());
        var count = await queries.TradeCountAsync(stored, to - TimeSpan.FromMinutes(n_minutes), to, context.RequestAborted);
        return TypedResults.Ok(new TransactionsInLastMinutes(count, symbol, n_minutes));
    }

    public static async Task<Ok<TopSymbols>> GetTopHighestVolumes(
        CompatibleQueries queries, TimeProvider time, HttpContext context, [Range(1, MaxTop)] int top_n)
    {
        var now = time.GetUtcNow();
        var totals = await queries.TopAsync(now - TimeSpan.FromHours(1), now, top_n, context.RequestAborted);
        return TypedResults.Ok(new TopSymbols([.. totals.Select(t => new TopSymbol(t.Symbol, t.QuoteVolume))]));
    }

    public static async Task<Results<Ok<CurrentPrice>, ProblemHttpResult, ValidationProblem>> GetCurrentPrice(
        CompatibleQueries queries,
        HttpContext context,
        [RegularExpression(ApiParameters.SymbolPattern, ErrorMessage = ApiParameters.SymbolMessage)] string? symbol)
    {
        if (symbol is null)
        {
            return ApiProblems.Missing(nameof(symbol), ApiParameters.SymbolMessage);
        }

        if (await queries.ResolveSymbolAsync(symbol, context.RequestAborted) is not { } stored)
        {
            return UnknownSymbol(queries, symbol);
        }

        return await queries.BestBidAskAsync(stored, context.RequestAborted) is { } quote
            ? TypedResults.Ok(new CurrentPrice(symbol, quote.Bid, quote.Ask))
            : TypedResults.Problem(new ProblemDetails
            {
                Status = StatusCodes.Status404NotFound,
                Title = "No current price",
                Detail = $"Exchange {queries.Exchange} has no best bid and ask for symbol '{symbol}' yet.",
            });
    }

    private static void MapData(RouteGroupBuilder group, string nameSuffix)
    {
        group.MapGet("/transactions_count_last_6_hours", GetTransactionsCountLast6Hours)
            .WithName("TransactionsCountLast6Hours" + nameSuffix)
            .WithSummary("Trades per symbol over the last 6 whole hours");
        group.MapGet("/trade_volume_last_6_hours", GetTradeVolumeLast6Hours)
            .WithName("TradeVolumeLast6Hours" + nameSuffix)
            .WithSummary("Quote volume per symbol over the last 6 whole hours");
        group.MapGet("/hourly_stats_last_12_hours", GetHourlyStatsLast12Hours)
            .WithName("HourlyStatsLast12Hours" + nameSuffix)
            .WithSummary("Trades and quote volume per symbol and hour over the last 12 whole hours");
        group.MapGet("/transactions_in_last_n_min", GetTransactionsInLastMinutes)
            .WithName("TransactionsInLastNMinutes" + nameSuffix)
            .WithSummary("Trades of one symbol over the last n whole minutes (1 to 1440); 404 for a symbol without data")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/top_n_highest_volumes", GetTopHighestVolumes)
            .WithName("TopNHighestVolumes" + nameSuffix)
            .WithSummary("The top_n symbols (1 to 1000) by quote volume over the last hour");
        group.MapGet("/current_price", GetCurrentPrice)
            .WithName("CurrentPrice" + nameSuffix)
            .WithSummary("Best bid (\"Buy price\") and best ask (\"Sell price\") of one symbol; 404 without a quote")
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static (DateTimeOffset From, DateTimeOffset To) WholeHours(TimeProvider time, int hours)
    {
        var to = CandleInterval.OneHour.Floor(time.GetUtcNow());
        return (to - TimeSpan.FromHours(hours), to);
    }

    private static ProblemHttpResult UnknownSymbol(CompatibleQueries queries, string symbol) => TypedResults.Problem(new ProblemDetails
    {
        Status = StatusCodes.Status404NotFound,
        Title = "Unknown symbol",
        Detail = $"Exchange {queries.Exchange} has no data for symbol '{symbol}'" +
            (queries.AliasFor(symbol) is { } alias ? $" (nor for '{alias}', its spelling outside BitMEX)." : "."),
    });
}
