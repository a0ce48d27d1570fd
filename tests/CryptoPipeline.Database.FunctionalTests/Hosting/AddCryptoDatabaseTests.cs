using System.Net;
using System.Net.Sockets;
using CryptoPipeline.Database.Migrations;
using CryptoPipeline.EmbeddedPostgres;
using CryptoPipeline.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CryptoPipeline.Database.FunctionalTests.Hosting;

public sealed class AddCryptoDatabaseTests(PostgresFixture postgres)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_service_migrates_its_database_at_start_up_and_reports_postgres_healthy()
    {
        var connectionString = postgres.ConnectionStringFor(postgres.NewDatabaseName());
        var builder = CreateBuilder(new() { ["ConnectionStrings:cryptodb"] = connectionString });
        builder.AddCryptoDatabase();
        // Standalone composes several services that each register the database.
        builder.AddCryptoDatabase();
        await using var app = builder.Build();
        app.MapHealthChecks("/health");

        await app.StartAsync(Cancellation);

        Assert.Equal(
            (long)Migration.Embedded.Count,
            await Sql.ScalarAsync<long>(connectionString, "SELECT count(*) FROM schema_migrations"));
        var report = await app.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(Cancellation);
        var postgresCheck = Assert.Single(report.Entries);
        Assert.Equal("postgres", postgresCheck.Key);
        Assert.Equal(HealthStatus.Healthy, postgresCheck.Value.Status);
        Assert.Contains("ready", postgresCheck.Value.Tags);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
        Assert.Equal("Healthy", await http.GetStringAsync("/health", Cancellation));
        var dataSource = app.Services.GetRequiredService<NpgsqlDataSource>();
        Assert.Equal(0L, await ScalarAsync<long>(dataSource, "SELECT count(*) FROM trades_1min_agg"));

        await app.StopAsync(Cancellation);
    }

    [Fact]
    public async Task A_missing_connection_string_stops_start_up_naming_its_key()
    {
        var builder = CreateBuilder([]);
        builder.AddCryptoDatabase();
        await using var app = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(Cancellation));

        Assert.Contains("ConnectionStrings:cryptodb is missing", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Host=127.0.0.1;Databse=cryptodb", "ConnectionStrings:cryptodb is not a valid Npgsql connection string")]
    [InlineData("Host=127.0.0.1;Username=postgres", "ConnectionStrings:cryptodb names no database (Database=...)")]
    [InlineData("Database=cryptodb", "ConnectionStrings:cryptodb names no server (Host=...)")]
    public async Task An_invalid_connection_string_stops_start_up_naming_its_key(string connectionString, string expected)
    {
        var builder = CreateBuilder(new() { ["ConnectionStrings:cryptodb"] = connectionString });
        builder.AddCryptoDatabase();
        await using var app = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(Cancellation));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_up_waits_for_a_PostgreSQL_that_comes_up_later_logging_while_it_waits()
    {
        var port = FreePort();
        var logs = new CapturedLogs();
        var builder = CreateBuilder(new()
        {
            ["ConnectionStrings:cryptodb"] = $"Host=127.0.0.1;Port={port};Username=postgres;Database=cryptodb",
            ["Database:MigrationTimeout"] = "00:01:00",
        });
        builder.Logging.AddProvider(logs);
        builder.AddCryptoDatabase();
        await using var app = builder.Build();

        var starting = app.StartAsync(Cancellation);
        await Eventually.Until(
            () => logs.Messages.Any(m => m.Contains($"PostgreSQL at 127.0.0.1:{port} is not reachable yet", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "a log saying PostgreSQL is not reachable yet", Cancellation);
        Assert.False(starting.IsCompleted);
        await using var cluster = await PrivatePostgresCluster.StartAsync(new PrivatePostgresOptions { Port = port, Fsync = false }, cancellationToken: Cancellation);
        await starting;

        Assert.Equal(
            (long)Migration.Embedded.Count,
            await Sql.ScalarAsync<long>(cluster.ConnectionString, "SELECT count(*) FROM schema_migrations"));
        await app.StopAsync(Cancellation);
    }

    [Fact]
    public async Task Start_up_fails_naming_Database_MigrationTimeout_when_PostgreSQL_stays_unreachable()
    {
        var port = FreePort();
        var builder = CreateBuilder(new()
        {
            ["ConnectionStrings:cryptodb"] = $"Host=127.0.0.1;Port={port};Username=postgres;Database=cryptodb",
            ["Database:MigrationTimeout"] = "00:00:01",
        });
        builder.AddCryptoDatabase();
        await using var app = builder.Build();

        var error = await Assert.ThrowsAsync<TimeoutException>(() => app.StartAsync(Cancellation));

        Assert.Contains("Database:MigrationTimeout", error.Message, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_migration_timeout_that_is_not_a_time_span_stops_start_up_naming_its_key()
    {
        var builder = CreateBuilder(new()
        {
            ["ConnectionStrings:cryptodb"] = "Host=127.0.0.1;Database=cryptodb",
            ["Database:MigrationTimeout"] = "soon",
        });
        builder.AddCryptoDatabase();
        await using var app = builder.Build();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync(Cancellation));

        Assert.Contains("Database:MigrationTimeout", error.Message, StringComparison.Ordinal);
    }

    private static WebApplicationBuilder CreateBuilder(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        // Only what the test says: no connection string leaks in from the environment.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        return builder;
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync(Cancellation))!;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
