using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest;
using CryptoPipeline.Ingest.Binance;
using CryptoPipeline.Ingest.Bitmex;
using CryptoPipeline.Ingest.Feeds;
using CryptoPipeline.Ingest.Health;
using CryptoPipeline.Ingest.Polling;
using CryptoPipeline.Ingest.Publishing;
using CryptoPipeline.Ingest.Recording;
using CryptoPipeline.Ingest.Replay;
using CryptoPipeline.Ingest.Simulation;
using CryptoPipeline.Kafka;
using CryptoPipeline.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

public static class IngestExtensions
{
    /// <summary>
    /// Registers the Ingest service: the sources named in <c>Ingest:Sources</c>, the Kafka publisher behind
    /// <see cref="IMarketDataSink"/> (<c>ConnectionStrings:kafka</c>, <c>Ingest:Publishing</c>), the
    /// PostgreSQL ingestion journal (<c>ConnectionStrings:cryptodb</c>), where the live Binance symbols stand
    /// (<c>ingest_progress</c>, so a restart back-fills what it missed), the repair of the gaps the Monitor asks
    /// for while a Binance feed runs (<c>Ingest:Binance:GapRepair</c>) and the health checks
    /// <c>ingest-feeds</c> and <c>kafka-publisher</c>. Every setting has a default in its options class and is
    /// validated when the host starts, failing with a message that names the key. Calling it again changes nothing.
    /// </summary>
    public static TBuilder AddIngest<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(IngestMarker)))
        {
            return builder;
        }

        services.AddSingleton<IngestMarker>();
        builder.AddCryptoDatabase();
        builder.AddKafkaClients();

        var configuration = builder.Configuration;
        services.AddValidatedOptions<IngestOptions>(configuration, IngestOptions.SectionName)
            .Configure(options => BindLists(options, configuration.GetSection(IngestOptions.SectionName)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IngestOptions>, IngestOptionsValidator>());

        // Sources are chosen while the container is built; unknown names fail validation at start.
        var ingest = new IngestOptions();
        configuration.GetSection(IngestOptions.SectionName).Bind(ingest);
        BindLists(ingest, configuration.GetSection(IngestOptions.SectionName));

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IngestTelemetry>();
        services.TryAddSingleton<BadInputLog>();
        services.TryAddSingleton<FeedActivity>();

        // The publisher and the journal are registered before the sources: hosted services stop in reverse
        // order, so the sources stop first and the publisher can still deliver what they handed over. The trade
        // progress comes before the publisher, so that its last save sees every acknowledgement the publisher got.
        services.AddSingleton<PublishedTradeProgress>();
        services.AddHostedService(sp => sp.GetRequiredService<PublishedTradeProgress>());
        services.AddValidatedOptions<PublishingOptions>(configuration, PublishingOptions.SectionName);
        services.AddSingleton<KafkaMarketDataPublisher>();
        services.AddSingleton<IMarketDataSink>(sp => sp.GetRequiredService<KafkaMarketDataPublisher>());
        services.AddHostedService(sp => sp.GetRequiredService<KafkaMarketDataPublisher>());
        services.AddSingleton<PostgresIngestionJournal>();
        services.AddSingleton<IIngestionJournal>(sp => sp.GetRequiredService<PostgresIngestionJournal>());
        services.AddHostedService(sp => sp.GetRequiredService<PostgresIngestionJournal>());

        services.AddHealthChecks()
            .AddCheck<FeedHealthCheck>("ingest-feeds", tags: ["ready"])
            .AddCheck<KafkaPublisherHealthCheck>("kafka-publisher", tags: ["ready", HealthEndpoints.LiveTag]);

        services.AddFeedRecording(configuration);
        AddBinance(services, configuration, ingest);
        AddSources(services, configuration, ingest);
        return builder;
    }

    /// <summary>
    /// The Binance feeds (<c>binance</c>, <c>binance-usdm</c>) keep their own sections, <c>Ingest:Binance:Spot</c> and
    /// <c>Ingest:Binance:Usdm</c>, and register only when <c>Ingest:Sources</c> names them.
    /// </summary>
    private static void AddBinance(IServiceCollection services, IConfiguration configuration, IngestOptions ingest)
    {
        services.AddBinanceFeeds(configuration, ingest);
        services.AddBinanceGapRepair(configuration, ingest);
        AddExpectation(services, ingest, IngestSources.Binance, Exchanges.Binance, ingest.StaleAfter, Topics.RawTrades, Topics.Quotes);
        AddExpectation(services, ingest, IngestSources.BinanceUsdm, Exchanges.BinanceUsdm, ingest.StaleAfter, Topics.RawTrades, Topics.Quotes);
    }

    private static void AddSources(IServiceCollection services, IConfiguration configuration, IngestOptions ingest)
    {
        if (ingest.Runs(IngestSources.Bitmex))
        {
            services.AddValidatedOptions<BitmexOptions>(configuration, BitmexOptions.SectionName)
                .Configure(options => options.Symbols = ConfigurationLists.Read(configuration.GetSection(BitmexOptions.SectionName), nameof(BitmexOptions.Symbols)) ?? options.Symbols);
            services.AddHostedService<BitmexFeed>();
            AddExpectation(services, ingest, IngestSources.Bitmex, Exchanges.Bitmex, ingest.StaleAfter, Topics.RawTrades, Topics.Quotes);
        }

        if (ingest.Runs(IngestSources.CoinGecko))
        {
            var section = configuration.GetSection(CoinGeckoOptions.SectionName);
            services.AddValidatedOptions<CoinGeckoOptions>(configuration, CoinGeckoOptions.SectionName)
                .Configure(options =>
                {
                    options.Ids = ConfigurationLists.Read(section, nameof(CoinGeckoOptions.Ids)) ?? options.Ids;
                    options.VsCurrencies = ConfigurationLists.Read(section, nameof(CoinGeckoOptions.VsCurrencies)) ?? options.VsCurrencies;
                });
            services.AddHttpClient(CoinGeckoPoller.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(20));
            services.AddHostedService<CoinGeckoPoller>();
            var interval = section.GetValue(nameof(CoinGeckoOptions.Interval), new CoinGeckoOptions().Interval);
            AddExpectation(services, ingest, IngestSources.CoinGecko, Exchanges.CoinGecko, Max(ingest.StaleAfter, interval * 3), Topics.Prices);
        }

        if (ingest.Runs(IngestSources.BinanceRestPrices))
        {
            var section = configuration.GetSection(BinancePricesOptions.SectionName);
            services.AddValidatedOptions<BinancePricesOptions>(configuration, BinancePricesOptions.SectionName)
                .Configure(options => options.Symbols = ConfigurationLists.Read(section, nameof(BinancePricesOptions.Symbols))?.Select(s => s.ToUpperInvariant()).ToList() ?? ingest.Symbols);
            services.AddHttpClient(BinancePricePoller.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(10));
            services.AddHostedService<BinancePricePoller>();
            var interval = section.GetValue(nameof(BinancePricesOptions.Interval), new BinancePricesOptions().Interval);
            AddExpectation(services, ingest, IngestSources.BinanceRestPrices, Exchanges.Binance, Max(ingest.StaleAfter, interval * 3), Topics.Prices);
        }

        if (ingest.Runs(IngestSources.Simulated))
        {
            services.AddValidatedOptions<SimulationOptions>(configuration, SimulationOptions.SectionName);
            services.AddHostedService<SimulationService>();
            AddExpectation(services, ingest, IngestSources.Simulated, SimulatedMarket.Exchange, ingest.StaleAfter, Topics.RawTrades, Topics.Quotes);
        }

        if (ingest.Runs(IngestSources.Replay))
        {
            var section = configuration.GetSection(ReplayOptions.SectionName);
            services.AddValidatedOptions<ReplayOptions>(configuration, ReplayOptions.SectionName)
                .Configure(options => options.Symbols = ConfigurationLists.Read(section, nameof(ReplayOptions.Symbols))?.Select(s => s.ToUpperInvariant()).ToList() ?? options.Symbols);
            services.AddSingleton<ReplayCompletion>();
            services.AddHostedService<ReplayService>();
        }
    }

    private static void AddExpectation(IServiceCollection services, IngestOptions ingest, string source, string exchange, TimeSpan maxSilence, params string[] topics)
    {
        if (ingest.Runs(source))
        {
            services.AddSingleton(new FeedExpectation(source, exchange, topics, maxSilence));
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static void BindLists(IngestOptions options, IConfiguration section)
    {
        if (ConfigurationLists.Read(section, nameof(IngestOptions.Sources)) is { } sources)
        {
            options.Sources = [.. sources.Select(s => s.ToLowerInvariant())];
        }

        if (ConfigurationLists.Read(section, nameof(IngestOptions.Symbols)) is { } symbols)
        {
            options.Symbols = [.. symbols.Select(s => s.ToUpperInvariant())];
        }
    }

    private sealed class IngestMarker;
}
