using CryptoPipeline.Database.Migrations;
using CryptoPipeline.EmbeddedPostgres;
using CryptoPipeline.FaultInjection.Tests.Infrastructure;
using CryptoPipeline.Testing;

namespace CryptoPipeline.FaultInjection.Tests.Scenarios;

/// <summary>Scenario 3: PostgreSQL is stopped mid-run and started again, while the market, Ingest and Kafka go on.</summary>
[Collection(FaultScenarios.Name)]
public sealed class PostgresOutageTests(PostgresFixture postgres)
{
    [Fact]
    public Task Postgres_stopped_and_restarted_mid_run_ends_with_every_trade_counted_once()
    {
        RestartablePostgres? server = null;
        return ScenarioRunner.RunAsync(
            "PostgreSQL stop/start",
            postgres,
            async context =>
            {
                foreach (var point in context.FaultPoints())
                {
                    await context.Pipeline.WaitForProgressAsync(point, "the next outage", context.Cancellation);
                    var fault = await context.FaultStartingAsync();
                    await server!.StopAsync();
                    var down = context.Between(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(6));
                    ScenarioContext.Log($"PostgreSQL stopped at {point:P0} of the market, for {down.TotalSeconds:0.0} s");
                    await Task.Delay(down, context.Cancellation);
                    await server.StartAsync(context.Cancellation);
                    context.FaultOver(fault);
                }
            },
            database: async cancellationToken =>
            {
                server = await RestartablePostgres.CreateAsync(cancellationToken);
                return (server.ConnectionString, server);
            });
    }

    /// <summary>A private PostgreSQL of the scenario's own, on a kept data directory and port, so it can stop and come back.</summary>
    private sealed class RestartablePostgres : IAsyncDisposable
    {
        private readonly PrivatePostgresOptions _options;
        private PrivatePostgresCluster? _cluster;

        private RestartablePostgres(PrivatePostgresOptions options, PrivatePostgresCluster cluster)
        {
            _options = options;
            _cluster = cluster;
            ConnectionString = cluster.ConnectionString;
        }

        public string ConnectionString { get; }

        public static async Task<RestartablePostgres> CreateAsync(CancellationToken cancellationToken)
        {
            // Directly below the temp folder: PostgreSQL's own user must be able to reach it.
            var options = new PrivatePostgresOptions
            {
                DataDirectory = Path.Combine(Path.GetTempPath(), "cryptopipeline-faults-pg-" + Guid.NewGuid().ToString("N")),
                Fsync = false,
            };
            var cluster = await PrivatePostgresCluster.StartAsync(options, cancellationToken: cancellationToken);
            options.Port = cluster.Port;
            await new DatabaseMigrator().MigrateAsync(cluster.ConnectionString, cancellationToken);
            return new RestartablePostgres(options, cluster);
        }

        public async Task StopAsync()
        {
            await _cluster!.DisposeAsync();
            _cluster = null;
        }

        public async Task StartAsync(CancellationToken cancellationToken) =>
            _cluster = await PrivatePostgresCluster.StartAsync(_options, cancellationToken: cancellationToken);

        public async ValueTask DisposeAsync()
        {
            if (_cluster is not null)
            {
                await _cluster.DisposeAsync();
            }

            if (Directory.Exists(_options.DataDirectory))
            {
                Directory.Delete(_options.DataDirectory, recursive: true);
            }
        }
    }
}
