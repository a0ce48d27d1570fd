using System.Globalization;
using System.Net;
using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.Feeds;

namespace CryptoPipeline.Ingest.Binance;

/// <summary>
/// The REST calls of one Binance market: <c>exchangeInfo</c> (the USDT pairs) and <c>historicalTrades</c>
/// (back-fill by trade id), within the request-weight budget of <see cref="RestWeightGate"/>. One per market, shared by
/// its feed and gap repair, so that all of the market's requests count against one budget.
/// </summary>
internal sealed class BinanceRestClient(
    HttpClient http,
    BinanceMarket market,
    BinanceOptions options,
    RestWeightGate gate,
    BadInputLog badInput,
    TimeProvider time,
    ILogger logger)
{
    /// <summary>Binance's answer when <c>Retry-After</c> is missing: its weight windows are a minute long.</summary>
    private static readonly TimeSpan DefaultRetryAfter = TimeSpan.FromMinutes(1);

    public BinanceMarket Market => market;

    public async Task<IReadOnlyList<string>> GetUsdtSymbolsAsync(CancellationToken cancellationToken)
    {
        var body = await GetAsync(market.ExchangeInfoPath, market.ExchangeInfoWeight, cancellationToken);
        return BinanceRestParser.ParseUsdtSymbols(body, market);
    }

    /// <summary>Up to <see cref="BinanceMarket.HistoricalTradesLimit"/> trades of <paramref name="symbol"/> from id <paramref name="fromId"/> on, in id order.</summary>
    public async Task<List<Trade>> GetHistoricalTradesAsync(string symbol, long fromId, CancellationToken cancellationToken)
    {
        var path = string.Create(
            CultureInfo.InvariantCulture,
            $"{market.HistoricalTradesPath}?symbol={symbol}&fromId={fromId}&limit={market.HistoricalTradesLimit}");
        var body = await GetAsync(path, market.HistoricalTradesWeight, cancellationToken);
        var trades = new List<Trade>(market.HistoricalTradesLimit);
        BinanceRestParser.ParseHistoricalTrades(body, market, symbol, time.GetUtcNow(), trades, (kind, detail) => badInput.Report(market.Exchange, BinanceBadInputNames.TagOf(kind), detail, body));
        return trades;
    }

    private async Task<byte[]> GetAsync(string pathAndQuery, int weight, CancellationToken cancellationToken)
    {
        var uri = new Uri(new Uri(options.RestBaseUrl), pathAndQuery);
        while (true)
        {
            using var turn = await gate.AcquireAsync(weight, cancellationToken);
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            if (!string.IsNullOrEmpty(options.ApiKey))
            {
                request.Headers.Add("X-MBX-APIKEY", options.ApiKey);
            }

            using var response = await http.SendAsync(request, cancellationToken);
            if (response.Headers.TryGetValues("X-MBX-USED-WEIGHT-1M", out var values)
                && int.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var used))
            {
                gate.Observe(used);
            }

            if (response.StatusCode is HttpStatusCode.TooManyRequests or (HttpStatusCode)418)
            {
                var retryAfter = response.Headers.RetryAfter?.Delta ?? DefaultRetryAfter;
                gate.BlockFor(retryAfter);
                BinanceLog.RestRateLimited(logger, market.Exchange, (int)response.StatusCode, pathAndQuery, retryAfter);
                continue;
            }

            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException(
                    $"{market.Exchange} GET {pathAndQuery} answered {(int)response.StatusCode}: {Snippet(body)}",
                    inner: null,
                    response.StatusCode);
            }

            return body;
        }
    }

    private static string Snippet(byte[] body) =>
        System.Text.Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 300));
}
