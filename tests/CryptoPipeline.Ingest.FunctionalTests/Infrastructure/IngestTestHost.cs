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
