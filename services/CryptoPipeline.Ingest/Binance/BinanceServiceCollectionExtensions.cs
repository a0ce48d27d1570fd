using CryptoPipeline.Ingest.Feeds;
using CryptoPipeline.Ingest.Publishing;
using CryptoPipeline.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CryptoPipeline.Ingest.Binance;

public static class BinanceServiceCollectionExtensions
{
    /// <summary>
    /// The Binance live feeds that <paramref name="ingest"/>'s sources name: spot (<c>binance</c>, settings
    /// <c>Ingest:Binance:Spot</c>) and USD-M futures (<c>binance-usdm</c>, <c>Ingest:Binance:Usdm</c>), each with
    /// its options validated at start-up and a hosted service that publishes through the registered
    /// <see cref="IMarketDataSink"/>, records gaps and connection events through <see cref="IIngestionJournal"/> and
    /// shows every raw frame to the registered <see cref="IRawFrameObserver"/>s (none unless recording is on).
    /// </summary>
    public static IServiceCollection AddBinanceFeeds(this IServiceCollection services, IConfiguration configuration, IngestOptions ingest)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(ingest);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IngestTelemetry>();
        services.TryAddSingleton<BadInputLog>();
        if (ingest.Runs(IngestSources.Binance))
        {
            AddMarket<BinanceSpotOptions>(services, configuration, BinanceMarket.Spot);
        }

        if (ingest.Runs(IngestSources.BinanceUsdm))
        {
            AddMarket<BinanceUsdmOptions>(services, configuration, BinanceMarket.Usdm);
        }

        return services;
    }

    private static void AddMarket<TOptions>(IServiceCollection services, IConfiguration configuration, BinanceMarket market)
        where TOptions : BinanceOptions
    {
        services.AddValidatedOptions<TOptions>(configuration, market.ConfigurationSection)
            .Configure(options => options.BindSymbols(configuration.GetSection(market.ConfigurationSection)));
        services.AddHttpClient(market.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(30));

        // Not AddHostedService: it keeps one service per implementation type, and both markets are BinanceFeeds.
        services.AddSingleton<IHostedService>(sp => new BinanceFeed(
            market,
            sp.GetRequiredService<IOptions<TOptions>>().Value,
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(market.HttpClientName),
            sp.GetRequiredService<IMarketDataSink>(),
            sp.GetRequiredService<IIngestionJournal>(),
            sp.GetRequiredService<IngestTelemetry>(),
            sp.GetRequiredService<BadInputLog>(),
            sp.GetServices<IRawFrameObserver>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<BinanceFeed>>()));
    }
}
