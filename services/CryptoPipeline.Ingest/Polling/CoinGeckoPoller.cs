using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.Feeds;
using CryptoPipeline.Ingest.Publishing;
using Microsoft.Extensions.Options;

namespace CryptoPipeline.Ingest.Polling;

/// <summary>
/// The <c>coingecko</c> source: every configured coin and currency in one <c>simple/price</c> call per interval.
/// CoinGecko serves the same cached price for 20–30 s: a tick whose <c>last_updated_at</c> has not moved since
/// the last one published for its symbol is not published again.
/// </summary>
internal sealed class CoinGeckoPoller : PricePoller
{
    public const string HttpClientName = "coingecko";

    private readonly IOptions<CoinGeckoOptions> _options;
    private readonly Dictionary<string, DateTimeOffset> _lastPublished = new(StringComparer.Ordinal);

    public CoinGeckoPoller(
        IOptions<CoinGeckoOptions> options,
        IHttpClientFactory http,
        IMarketDataSink sink,
        BadInputLog badInput,
        IngestTelemetry telemetry,
        TimeProvider time,
        ILogger<CoinGeckoPoller> logger)
        : base(Exchanges.CoinGecko, http, HttpClientName, sink, badInput, telemetry, time, logger)
    {
        _options = options;
    }

    protected override TimeSpan Interval => _options.Value.Interval;

    protected override Uri RequestUri =>
        new($"{_options.Value.BaseUrl.TrimEnd('/')}/simple/price?ids={string.Join(',', _options.Value.Ids)}" +
            $"&vs_currencies={string.Join(',', _options.Value.VsCurrencies)}&include_last_updated_at=true");

    protected override void Prepare(HttpRequestMessage request)
    {
        if (_options.Value is { ApiKey: { Length: > 0 } key } settings)
        {
            request.Headers.Add(settings.ApiKeyHeader, key);
        }
    }

    protected override void Parse(ReadOnlySpan<byte> body, DateTimeOffset polledAt, List<PriceTick> ticks, List<(string Kind, string Detail)> defects) =>
        CoinGeckoParser.Parse(body, _options.Value.Ids, _options.Value.VsCurrencies, polledAt, ticks, defects);

    protected override bool IsNew(PriceTick tick)
    {
        // Without last_updated_at the time is the poll's, which always moves.
        if (_lastPublished.TryGetValue(tick.Symbol, out var last) && last == tick.Time)
        {
            return false;
        }

        _lastPublished[tick.Symbol] = tick.Time;
        return true;
    }
}
