using CryptoPipeline.FakeExchange.Binance;
using CryptoPipeline.ServiceDefaults;
using CryptoPipeline.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CryptoPipeline.Ingest.FunctionalTests.Infrastructure;

/// <summary>The Ingest service as its Program.cs builds it (service defaults + AddIngest), on test settings.</summary>
internal static class IngestTestHost
{
    public static async Task<Dictionary<string, string?>> SettingsAsync(PostgresFixture postgres, IngestKafka kafka, Dictionary<string, string?> settings) =>
        new(settings)
        {
            ["ConnectionStrings:kafka"] = kafka.BootstrapServers,
            ["ConnectionStrings:cryptodb"] = await postgres.CreateDatabaseAsync(migrated: false),
            ["Kafka:ClientId"] = "ingest-tests",
        };

    /// <summary>
    /// Settings of a service whose one source is the live Binance spot feed of <paramref name="server"/>'s recorded
    /// symbols, trades only, reconnecting quickly; <paramref name="more"/> adds or replaces keys.
    /// </summary>
    public static Dictionary<string, string?> BinanceSpot(FakeBinanceServer server, Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Ingest:Sources"] = "binance",
            ["Ingest:Binance:Spot:WebSocketBaseUrl"] = server.WebSocketBaseUrl,
            ["Ingest:Binance:Spot:RestBaseUrl"] = server.RestBaseUrl,
            ["Ingest:Binance:Spot:Symbols"] = string.Join(',', server.Recording.Symbols),
            ["Ingest:Binance:Spot:PublishQuotes"] = "false",
            ["Ingest:Binance:Spot:ReconnectDelay"] = "00:00:00.050",
            ["Ingest:Binance:Spot:MaxReconnectDelay"] = "00:00:01",
        };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }

        return settings;
    }

    public static IHost Build(Dictionary<string, string?> settings, Action<IServiceCollection>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Production });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddServiceDefaults();
        builder.AddIngest();
        configure?.Invoke(builder.Services);
        return builder.Build();
    }

    public static async Task<IHost> StartAsync(PostgresFixture postgres, IngestKafka kafka, Dictionary<string, string?> settings, Action<IServiceCollection>? configure = null)
    {
        var host = Build(await SettingsAsync(postgres, kafka, settings), configure);
        await host.StartAsync(TestContext.Current.CancellationToken);
        return host;
    }
}
