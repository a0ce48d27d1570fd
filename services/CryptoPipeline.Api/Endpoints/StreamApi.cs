using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace CryptoPipeline.Api;

/// <summary><c>GET /api/v1/stream</c>: Server-Sent Events with candle updates and ticks as they are committed.</summary>
internal static class StreamApi
{
    public static RouteGroupBuilder MapStreamApi(this RouteGroupBuilder api)
    {
        api.MapGet("/stream", OpenStream)
            .WithName("Stream")
            .WithSummary("Server-Sent Events: hello, then tick (every instrument of the exchange), candle (symbol at interval, when a symbol is given) and heartbeat")
            .WithDescription(
                "Events carry JSON: hello {exchange, symbol, interval, pollIntervalMs}; candle {exchange, symbol, interval, candle} with the whole " +
                "interval as it stands after the commit; tick {exchange, symbol, last, bid, ask, spread, lastTradeTime, quoteTime, updatedAt, source}; " +
                "heartbeat {time} when idle. Changes are seen within the poll interval of their commit (Api:Stream:PollInterval).")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return api;
    }

    public static Results<ServerSentEventsResult<string>, ProblemHttpResult> OpenStream(
        MarketFeed feed,
        IOptions<StreamOptions> options,
        HttpContext context,
        [Exchange] string exchange = Contracts.Exchanges.Binance,
        [RegularExpression(ApiParameters.SymbolPattern, ErrorMessage = ApiParameters.SymbolMessage)] string? symbol = null,
        [Interval] string interval = "1m")
    {
        if (feed.ClientCount >= options.Value.MaxClients)
        {
            return TypedResults.Problem(new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Too many streams",
                Detail = $"{options.Value.MaxClients} streams are open, the most Api:Stream:MaxClients allows; try again later.",
            });
        }

        var subscription = new StreamSubscription(exchange, symbol, CandleInterval.Parse(interval), options.Value.ClientBuffer);
        return TypedResults.ServerSentEvents(feed.ReadAsync(subscription, context.RequestAborted));
    }
}
