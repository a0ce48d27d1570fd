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
    /// shows every raw frame to the registered <see cref="IRawFrameObserver"/>s (none unless recording is on). When a
    /// <see cref="PublishedTradeProgress"/> is registered, each symbol continues after the last trade published before
    /// the start, so the trades missed meanwhile are back-filled.
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

    /// <summary>
    /// Gap repair (<see cref="BinanceGapRepair"/>, settings <c>Ingest:Binance:GapRepair</c>) for the Binance markets
    /// <paramref name="ingest"/> runs, after <see cref="AddBinanceFeeds"/>; nothing when it runs none. It needs what
    /// AddIngest registers: the PostgreSQL data source, the publisher and <see cref="PostgresIngestionJournal"/>.
    /// </summary>
    internal static IServiceCollection AddBinanceGapRepair(this IServiceCollection services, IConfiguration configuration, IngestOptions ingest)
    {
        ArgumentNullException.ThrowIfNull(ingest);
        var markets = new List<BinanceMarket>();
        if (ingest.Runs(IngestSources.Binance))
        {
            markets.Add(BinanceMarket.Spot);
        }

        if (ingest.Runs(IngestSources.BinanceUsdm))
        {
            markets.Add(BinanceMarket.Usdm);
        }

        if (markets.Count == 0)
        {
            return services;
        }

        services.AddValidatedOptions<BinanceGapRepairOptions>(configuration, BinanceGapRepairOptions.SectionName);
        services.AddHostedService(sp => new BinanceGapRepair(
            markets,
            sp,
            sp.GetRequiredService<IOptions<BinanceGapRepairOptions>>(),
            sp.GetRequiredService<IMarketDataSink>(),
            sp.GetRequiredService<PostgresIngestionJournal>(),
            sp.GetRequiredService<IngestTelemetry>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<BinanceGapRepair>>()));
        return services;
    }

    private static void AddMarket<TOptions>(IServiceCollection services, IConfiguration configuration, BinanceMarket market)
        where TOptions : BinanceOptions
    {
        services.AddValidatedOptions<TOptions>(configuration, market.ConfigurationSection)
            .Configure(options => options.BindSymbols(configuration.GetSection(market.ConfigurationSection)));
        services.AddHttpClient(market.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(30));
        services.AddKeyedSingleton<BinanceOptions>(market.Exchange, (sp, _) => sp.GetRequiredService<IOptions<TOptions>>().Value);

        // One REST client per market, shared by its feed and gap repair: one request-weight budget for all its calls.
        services.AddKeyedSingleton(market.Exchange, (sp, _) =>
        {
            var options = sp.GetRequiredKeyedService<BinanceOptions>(market.Exchange);
            var time = sp.GetRequiredService<TimeProvider>();
            return new BinanceRestClient(
                sp.GetRequiredService<IHttpClientFactory>().CreateClient(market.HttpClientName),
                market,
                options,
                new RestWeightGate(time, options.RestWeightBudgetPerMinute),
                sp.GetRequiredService<BadInputLog>(),
                time,
                sp.GetRequiredService<ILogger<BinanceRestClient>>());
        });

        // Not AddHostedService: it keeps one service per implementation type, and both markets are BinanceFeeds.
        // Without a PublishedTradeProgress (a host without PostgreSQL), a feed starts afresh each time.
        services.AddSingleton<IHostedService>(sp => new BinanceFeed(
            market,
            sp,
            sp.GetRequiredService<IMarketDataSink>(),
            sp.GetRequiredService<IIngestionJournal>(),
            sp.GetService<PublishedTradeProgress>(),
            sp.GetRequiredService<IngestTelemetry>(),
            sp.GetRequiredService<BadInputLog>(),
            sp.GetServices<IRawFrameObserver>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<BinanceFeed>>()));
    }
}
