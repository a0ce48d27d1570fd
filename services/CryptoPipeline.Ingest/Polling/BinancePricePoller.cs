using System.Text.Json;
using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.Feeds;
using CryptoPipeline.Ingest.Publishing;
using Microsoft.Extensions.Options;

namespace CryptoPipeline.Ingest.Polling;

/// <summary>The <c>binance-rest-prices</c> source: all configured symbols in one <c>ticker/price</c> call per interval.</summary>
internal sealed class BinancePricePoller : PricePoller
{
    public const string HttpClientName = "binance-rest-prices";

    private readonly IOptions<BinancePricesOptions> _options;
    private HashSet<string>? _symbols;

    public BinancePricePoller(
        IOptions<BinancePricesOptions> options,
        IHttpClientFactory http,
        IMarketDataSink sink,
        BadInputLog badInput,
        IngestTelemetry telemetry,
        TimeProvider time,
        ILogger<BinancePricePoller> logger)
        : base(Exchanges.Binance, http, HttpClientName, sink, badInput, telemetry, time, logger)
    {
        _options = options;
    }

    protected override TimeSpan Interval => _options.Value.Interval;

    protected override Uri RequestUri =>
        new($"{_options.Value.BaseUrl.TrimEnd('/')}/api/v3/ticker/price?symbols={Uri.EscapeDataString(JsonSerializer.Serialize(_options.Value.Symbols))}");

    protected override void Parse(ReadOnlySpan<byte> body, DateTimeOffset polledAt, List<PriceTick> ticks, List<(string Kind, string Detail)> defects) =>
        BinanceTickerParser.Parse(body, _symbols ??= new HashSet<string>(_options.Value.Symbols, StringComparer.Ordinal), polledAt, ticks, defects);
}
