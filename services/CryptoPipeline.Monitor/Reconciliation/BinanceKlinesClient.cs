using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;

namespace CryptoPipeline.Monitor.Reconciliation;

/// <summary>
/// Binance's official 1-minute klines over REST: <c>GET {base}/api/v3/klines</c> (spot) or <c>{base}/fapi/v1/klines</c>
/// (USD-M futures), paged by open time. Rows are arrays: open time (ms), open, high, low, close, volume (strings),
/// close time, quote volume, trade count, taker buy base and quote volume, ignore.
/// </summary>
internal sealed class BinanceKlinesClient(IHttpClientFactory httpClients)
{
    public const string HttpClientName = "CryptoPipeline.Monitor.BinanceKlines";

    // Both markets return at most this many rows at once (futures allow 1500).
    private const int PageSize = 1000;
    private static readonly TimeSpan OneMinute = TimeSpan.FromMinutes(1);

    /// <summary>The klines with open times in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    /// <exception cref="HttpRequestException">The exchange could not be reached or refused the request; the message names the URL and its answer.</exception>
    public async Task<IReadOnlyList<MinuteCandle>> GetAsync(string baseUrl, string path, string symbol, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var http = httpClients.CreateClient(HttpClientName);
        var klines = new List<MinuteCandle>();
        for (var start = from; start < to;)
        {
            var url = $"{baseUrl.TrimEnd('/')}{path}?symbol={Uri.EscapeDataString(symbol)}&interval=1m" +
                $"&startTime={start.ToUnixTimeMilliseconds()}&endTime={to.ToUnixTimeMilliseconds() - 1}&limit={PageSize}";
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            using var response = await http.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                var text = System.Text.Encoding.UTF8.GetString(body);
                throw new HttpRequestException(
                    $"GET {url} answered {(int)response.StatusCode}: {(text.Length > 200 ? text[..200] + "…" : text)}", null, response.StatusCode);
            }

            var page = Parse(body, url);
            klines.AddRange(page.Where(k => k.OpenTime >= from && k.OpenTime < to));
            if (page.Count < PageSize)
            {
                break;
            }

            start = page[^1].OpenTime + OneMinute;
        }

        return klines;
    }

    /// <summary>Parses a klines body; prices and volumes are decimal strings, read exactly.</summary>
    /// <exception cref="HttpRequestException">The body is not a klines array; the message says where.</exception>
    internal static List<MinuteCandle> Parse(byte[] body, string url)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return [.. document.RootElement.EnumerateArray().Select(row => new MinuteCandle(
                DateTimeOffset.FromUnixTimeMilliseconds(row[0].GetInt64()),
                Decimal(row[1]),
                Decimal(row[2]),
                Decimal(row[3]),
                Decimal(row[4]),
                Decimal(row[5]),
                Decimal(row[7]),
                row[8].GetInt64(),
                Decimal(row[9]),
                Decimal(row[10])))];
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or IndexOutOfRangeException or OverflowException)
        {
            throw new HttpRequestException($"GET {url} answered with something other than klines: {e.Message}", e);
        }
    }

    private static decimal Decimal(JsonElement value) =>
        decimal.Parse(value.GetString()!, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
}
