using CryptoPipeline.Contracts;
using CryptoPipeline.EmbeddedKafka;
using CryptoPipeline.Kafka;
using CryptoPipeline.EmbeddedPostgres;
using Npgsql;

namespace CryptoPipeline.Standalone.EmbeddedDefaults;

public static class EmbeddedDefaultsExtensions
{
    /// <summary>
    /// Fills in what a machine without Docker lacks: the embedded Kafka cluster unless
    /// <c>ConnectionStrings:kafka</c> is set, a private PostgreSQL (data kept between runs) unless
    /// <c>ConnectionStrings:cryptodb</c> is set. Both are started now, because every service reads
    /// the connection strings while it is being configured, and stopped when the host is disposed.
    /// </summary>
    public static async Task<EmbeddedDefaults> AddEmbeddedDefaultsAsync(this WebApplicationBuilder builder, StandaloneOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);

        var defaults = new EmbeddedDefaults();
        try
        {
            if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("kafka")))
            {
                defaults.Kafka = new EmbeddedKafkaCluster(options.KafkaBrokers);
                builder.Configuration["ConnectionStrings:kafka"] = defaults.Kafka.BootstrapServers;

                // The mock cluster does not implement CreateTopics, so the services' own start-up
                // check would find the topics missing: create them here, as Kafka:Partitions says.
                var partitions = builder.Configuration.GetValue("Kafka:Partitions", new KafkaOptions().Partitions);
                foreach (var topic in Topics.All)
                {
                    defaults.Kafka.CreateTopic(topic, partitions);
                }
            }

            if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("cryptodb")))
            {
                var dataDirectory = Path.Combine(options.ResolveDataDirectory(), "postgres");
                defaults.Postgres = await PrivatePostgresCluster.StartAsync(new PrivatePostgresOptions
                {
                    DataDirectory = dataDirectory,
                    Port = options.PostgresPort,
                });
                builder.Configuration["ConnectionStrings:cryptodb"] = defaults.Postgres.ConnectionString;
            }
        }
        catch
        {
            await defaults.DisposeAsync();
            throw;
        }

        // Registered through a factory so the container disposes it after the services have stopped.
        builder.Services.AddSingleton(_ => defaults);
        builder.Services.AddHostedService<StartupBanner>();
        return defaults;
    }
}

/// <summary>What Standalone started for itself; null members were configured from outside.</summary>
public sealed class EmbeddedDefaults : IAsyncDisposable
{
    public EmbeddedKafkaCluster? Kafka { get; internal set; }

    public PrivatePostgresCluster? Postgres { get; internal set; }

    public async ValueTask DisposeAsync()
    {
        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }

        Kafka?.Dispose();
    }

    /// <summary>The PostgreSQL connection without its password, safe to print.</summary>
    public static string Describe(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Password = null };
        return $"Host={builder.Host};Port={builder.Port};Username={builder.Username};Database={builder.Database}";
    }
}
