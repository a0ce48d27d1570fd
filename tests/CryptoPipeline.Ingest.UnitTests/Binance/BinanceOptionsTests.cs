using CryptoPipeline.Ingest.Binance;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CryptoPipeline.Ingest.UnitTests.Binance;

public sealed class BinanceOptionsTests
{
    [Fact]
    public void Defaults_are_Binance_s_production_endpoints_and_limits()
    {
        using var services = Build([], IngestSources.Binance, IngestSources.BinanceUsdm);

        var spot = services.GetRequiredService<IOptions<BinanceSpotOptions>>().Value;
        var usdm = services.GetRequiredService<IOptions<BinanceUsdmOptions>>().Value;

        Assert.Equal(["BTCUSDT", "ETHUSDT"], spot.Symbols);
        Assert.Equal(("wss://stream.binance.com:9443", "/stream", "/stream", "https://api.binance.com"), (spot.WebSocketBaseUrl, spot.TradeStreamPath, spot.QuoteStreamPath, spot.RestBaseUrl));
        Assert.Equal(("wss://fstream.binance.com", "/market/stream", "/public/stream", "https://fapi.binance.com"), (usdm.WebSocketBaseUrl, usdm.TradeStreamPath, usdm.QuoteStreamPath, usdm.RestBaseUrl));
        Assert.Equal((1024, TimeSpan.FromSeconds(10), TimeSpan.FromHours(23.5)), (spot.StreamsPerConnection, spot.NoDataTimeout, spot.RotateConnectionsAfter));
        Assert.Equal((3000, 1200), (spot.RestWeightBudgetPerMinute, usdm.RestWeightBudgetPerMinute));
    }

    [Theory]
    [InlineData("btcusdt, solusdt,BTCUSDT", null)]
    [InlineData(null, "solusdt")]
    public void Symbols_are_read_comma_separated_or_as_an_array_in_upper_case(string? commaSeparated, string? arrayItem)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Ingest:Binance:Spot:Symbols"] = commaSeparated,
            ["Ingest:Binance:Spot:Symbols:0"] = arrayItem is null ? null : "btcusdt",
            ["Ingest:Binance:Spot:Symbols:1"] = arrayItem,
        };
        using var services = Build(settings, IngestSources.Binance);

        Assert.Equal(["BTCUSDT", "SOLUSDT"], services.GetRequiredService<IOptions<BinanceSpotOptions>>().Value.Symbols);
    }

    [Fact]
    public void Invalid_settings_fail_with_messages_that_name_the_key()
    {
        using var services = Build(
            new()
            {
                ["Ingest:Binance:Usdm:StreamsPerConnection"] = "2000",
                ["Ingest:Binance:Usdm:NoDataTimeout"] = "00:00:00",
                ["Ingest:Binance:Usdm:Symbols"] = "BTC/USDT",
                ["Ingest:Binance:Usdm:WebSocketBaseUrl"] = "https://fstream.binance.com",
                ["Ingest:Binance:Usdm:RestBaseUrl"] = "fapi.binance.com",
                ["Ingest:Binance:Usdm:TradeStreamPath"] = "market/stream",
            },
            IngestSources.BinanceUsdm);

        var failure = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<BinanceUsdmOptions>>().Value);

        var messages = string.Join('\n', failure.Failures);
        Assert.Contains("Ingest:Binance:Usdm:StreamsPerConnection must be between 1 and 1024, got 2000", messages, StringComparison.Ordinal);
        Assert.Contains("Ingest:Binance:Usdm:NoDataTimeout must be between", messages, StringComparison.Ordinal);
        Assert.Contains("Ingest:Binance:Usdm: Symbols contains 'BTC/USDT'", messages, StringComparison.Ordinal);
        Assert.Contains("Ingest:Binance:Usdm: WebSocketBaseUrl = 'https://fstream.binance.com' is invalid: the scheme must be ws or wss.", messages, StringComparison.Ordinal);
        Assert.Contains("Ingest:Binance:Usdm: RestBaseUrl = 'fapi.binance.com' is invalid", messages, StringComparison.Ordinal);
        Assert.Contains("Ingest:Binance:Usdm: TradeStreamPath = 'market/stream' is invalid", messages, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_the_markets_named_in_the_sources_get_a_feed()
    {
        using var spotOnly = Build([], IngestSources.Binance);
        using var both = Build([], IngestSources.Binance, IngestSources.BinanceUsdm);
        using var neither = Build([], IngestSources.Bitmex);

        Assert.Single(spotOnly.GetServices<IHostedService>().OfType<BinanceFeed>());
        Assert.Equal(2, both.GetServices<IHostedService>().OfType<BinanceFeed>().Count());
        Assert.Empty(neither.GetServices<IHostedService>().OfType<BinanceFeed>());
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings, params string[] sources)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton<Publishing.IMarketDataSink, NoSink>();
        services.AddSingleton<Publishing.IIngestionJournal, NoJournal>();
        services.AddBinanceFeeds(configuration, new IngestOptions { Sources = sources });
        return services.BuildServiceProvider();
    }

    private sealed class NoSink : Publishing.IMarketDataSink
    {
        public ValueTask PublishAsync(Contracts.Trade trade, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask PublishAsync(Contracts.Quote quote, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask PublishAsync(Contracts.PriceTick tick, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask PublishEndOfInputAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private sealed class NoJournal : Publishing.IIngestionJournal
    {
        public ValueTask RecordGapAsync(string exchange, string symbol, long firstMissingId, long lastMissingId, string? detail, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask MarkGapFilledAsync(string exchange, string symbol, long firstMissingId, long lastMissingId, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask MarkGapUnfillableAsync(string exchange, string symbol, long firstMissingId, long lastMissingId, string reason, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask RecordEventAsync(string exchange, string? connection, string kind, string? detail, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
