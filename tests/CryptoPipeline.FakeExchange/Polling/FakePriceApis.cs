using System.Collections.Concurrent;
using System.Text.Json;
using CryptoPipeline.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CryptoPipeline.FakeExchange.Polling;

/// <summary>
/// The polled price APIs on 127.0.0.1, answering with real recorded bodies: CoinGecko's <c>/api/v3/simple/price</c>
/// (<c>coingecko/go-gecko_simple_price.json</c>) and Binance's <c>/api/v3/ticker/price</c> (the real single-symbol
/// answer in <c>binance/rest/binance_rest_real_samples.json</c>, as the one-element array a symbol list gets).
/// The first <see cref="RateLimitedAnswers"/> requests get 429 with <c>Retry-After</c>.
/// </summary>
public sealed class FakePriceApis : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<HttpRequestRecord> _requests = new();
    private int _rateLimited;

    private FakePriceApis(WebApplication app, int port)
    {
        _app = app;
        BaseUrl = $"http://127.0.0.1:{port}";
        CoinGeckoBody = File.ReadAllText(SharedData.Path("coingecko/go-gecko_simple_price.json"));
        using var samples = JsonDocument.Parse(File.ReadAllText(SharedData.Path("binance/rest/binance_rest_real_samples.json")));
        BinanceTickerBody = "[" + samples.RootElement.GetProperty("v3_ticker_price_single_quoted").GetProperty("raw").GetString() + "]";
    }

    /// <summary><c>http://127.0.0.1:port</c>: Binance's base URL; CoinGecko's is this plus <c>/api/v3</c>.</summary>
    public string BaseUrl { get; }

    public string CoinGeckoBody { get; set; }

    public string BinanceTickerBody { get; set; }

    public int RateLimitedAnswers { get; set; }

    public int RetryAfterSeconds { get; set; } = 7;

    public IReadOnlyList<HttpRequestRecord> Requests => [.. _requests];

    public static async Task<FakePriceApis> StartAsync()
    {
        FakePriceApis? server = null;
        var (app, port) = await LoopbackServer.StartAsync(app =>
        {
            app.MapGet("/api/v3/simple/price", context => server!.AnswerAsync(context, server.CoinGeckoBody));
            app.MapGet("/api/v3/ticker/price", context => server!.AnswerAsync(context, server.BinanceTickerBody));
        });
        server = new FakePriceApis(app, port);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task AnswerAsync(HttpContext context, string body)
    {
        _requests.Enqueue(new HttpRequestRecord(
            context.Request.Path + context.Request.QueryString,
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
        if (Interlocked.Increment(ref _rateLimited) <= RateLimitedAnswers)
        {
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body);
    }
}

/// <summary>A request the fake received: path with query, and headers.</summary>
public sealed record HttpRequestRecord(string PathAndQuery, IReadOnlyDictionary<string, string> Headers);
