using System.Net.Http.Json;
using System.Text.Json;
using Confluent.Kafka;
using CryptoPipeline.Contracts;
using CryptoPipeline.Database.Migrations;
using CryptoPipeline.Kafka;
using CryptoPipeline.Testing;
using Npgsql;

namespace CryptoPipeline.Standalone.FunctionalTests;

/// <summary>
/// Runs the Standalone host as a user would (its own process, no connection strings) and checks
/// what it promises: embedded Kafka with the pipeline topics, a private PostgreSQL with the schema,
/// health endpoints, data kept between runs, and a clean stop that leaves nothing running.
/// </summary>
public sealed class EmbeddedDefaultsTests : IDisposable
{
    private static readonly TimeSpan StartTimeout = StandaloneProcess.StartTimeout;

    private readonly string _dataDirectory = StandaloneProcess.CreateDataDirectory();

    [Fact]
    public async Task Standalone_starts_kafka_and_postgres_serves_health_and_stops_cleanly()
    {
        var cancellation = TestContext.Current.CancellationToken;
        await using var standalone = Start();
        var banner = await StandaloneProcess.ReadBannerAsync(standalone, cancellation);

        using var http = new HttpClient { BaseAddress = new Uri(banner.Dashboard) };
        using var health = await http.GetAsync("/health", cancellation);
        Assert.True(health.IsSuccessStatusCode, await health.Content.ReadAsStringAsync(cancellation));
        using var report = JsonDocument.Parse(await health.Content.ReadAsStringAsync(cancellation));
        Assert.Contains(report.RootElement.GetProperty("checks").EnumerateArray(), check => check.GetProperty("name").GetString() == "postgres");
        Assert.Equal("Healthy", (await http.GetFromJsonAsync<JsonElement>("/alive", cancellation)).GetProperty("status").GetString());

        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = banner.Kafka }).Build())
        {
            var topics = admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics.Select(t => t.Topic).ToHashSet();
            Assert.Superset(Topics.All.ToHashSet(), topics);
        }

        await using (var connection = new NpgsqlConnection(banner.Postgres))
        {
            await connection.OpenAsync(cancellation);
            await using var command = new NpgsqlCommand("SELECT count(*) FROM schema_migrations", connection);
            Assert.Equal((long)Migration.Embedded.Count, (long)(await command.ExecuteScalarAsync(cancellation))!);
        }

        standalone.Signal(ServiceProcess.Sigterm);
        await standalone.WaitForExitAsync(StartTimeout, cancellation);
        Assert.Equal(0, standalone.ExitCode);
        Assert.False(PostgresRunsOn(_dataDirectory), $"a postgres server still runs on {_dataDirectory}");
    }

    [Fact]
    public async Task Standalone_keeps_its_database_between_runs()
    {
        var cancellation = TestContext.Current.CancellationToken;
        await using (var first = Start())
        {
            var banner = await StandaloneProcess.ReadBannerAsync(first, cancellation);
            await using var connection = new NpgsqlConnection(banner.Postgres);
            await connection.OpenAsync(cancellation);
            await using var insert = new NpgsqlCommand(
                "INSERT INTO ingestion_events (exchange, kind, detail) VALUES ('binance', 'test', 'kept between runs')", connection);
            await insert.ExecuteNonQueryAsync(cancellation);
            first.Signal(ServiceProcess.Sigterm);
            await first.WaitForExitAsync(StartTimeout, cancellation);
        }

        await using var second = Start();
        var again = await StandaloneProcess.ReadBannerAsync(second, cancellation);
        await using var reopened = new NpgsqlConnection(again.Postgres);
        await reopened.OpenAsync(cancellation);
        await using var query = new NpgsqlCommand("SELECT count(*) FROM ingestion_events WHERE detail = 'kept between runs'", reopened);
        Assert.Equal(1L, (long)(await query.ExecuteScalarAsync(cancellation))!);
    }

    [Fact]
    public async Task Standalone_deletes_committed_messages_from_the_embedded_cluster_and_never_uncommitted_ones()
    {
        var cancellation = TestContext.Current.CancellationToken;
        await using var standalone = Start("--Standalone:KafkaTrimInterval=00:00:01", "--Standalone:KafkaKeepMessages=0", "--Ingest:Simulation:TradesPerSecond=50");
        var banner = await StandaloneProcess.ReadBannerAsync(standalone, cancellation);
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = banner.Kafka }).Build();
        var clusterId = await admin.GetClusterIdAsync();

        var trimmed = await Eventually.Until(
            () => admin.ReadOffsetsAsync([Topics.RawTrades], TimeSpan.FromSeconds(10), cancellation),
            offsets => offsets.Partitions.Any(p => p.Low > 0),
            StartTimeout,
            "committed raw trades deleted from the embedded cluster",
            cancellation);

        await using var connection = new NpgsqlConnection(banner.Postgres);
        await connection.OpenAsync(cancellation);
        foreach (var partition in trimmed.Partitions.Where(p => p.Low > 0))
        {
            await using var committed = new NpgsqlCommand(
                "SELECT next_offset FROM consumer_offsets WHERE cluster_id = $1 AND consumer_group = 'processor' AND topic = $2 AND partition = $3", connection);
            committed.Parameters.Add(new NpgsqlParameter<string> { TypedValue = clusterId });
            committed.Parameters.Add(new NpgsqlParameter<string> { TypedValue = partition.Topic });
            committed.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition.Partition });
            var next = (long)(await committed.ExecuteScalarAsync(cancellation))!;
            Assert.True(partition.Low <= next, $"{partition.Topic}/{partition.Partition}: records before {partition.Low} deleted, but only {next} committed");
        }
    }

    [Fact]
    public async Task Standalone_rejects_a_bad_setting_naming_the_key()
    {
        var cancellation = TestContext.Current.CancellationToken;
        await using var standalone = Start("--Standalone:KafkaBrokers=0");
        await standalone.WaitForExitAsync(StartTimeout, cancellation);
        Assert.NotEqual(0, standalone.ExitCode);
        Assert.Contains("Standalone:KafkaBrokers must be between 1 and 9, got 0", standalone.Output, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        // The server stopped with the process; only files are left.
        Directory.Delete(_dataDirectory, recursive: true);
    }

    // The simulated market: these tests are about the embedded defaults, not about reaching an exchange.
    private ServiceProcess Start(params string[] arguments) => StandaloneProcess.Start(_dataDirectory, null, ["--source", "simulated", .. arguments]);

    private static bool PostgresRunsOn(string dataDirectory) =>
        Directory.EnumerateDirectories("/proc")
            .Select(dir => Path.Combine(dir, "cmdline"))
            .Any(cmdline => Try(() => File.ReadAllText(cmdline)) is { } text
                && text.Contains("postgres", StringComparison.Ordinal)
                && text.Contains(dataDirectory, StringComparison.Ordinal));

    private static string? Try(Func<string> read)
    {
        try
        {
            return read();
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

}
