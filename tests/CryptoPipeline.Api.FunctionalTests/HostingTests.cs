using System.Net;
using System.Text.Json;
using CryptoPipeline.EmbeddedPostgres;
using CryptoPipeline.Testing;
using Npgsql;

namespace CryptoPipeline.Api.FunctionalTests;

public sealed class HostingTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Past_the_rate_limit_a_client_gets_429_with_retry_after_while_the_dashboard_still_loads()
    {
        await using var api = await ApiHost.StartAsync(
            await postgres.CreateDatabaseAsync(cancellationToken: TestContext.Current.CancellationToken),
            [new("Api:RateLimit:PermitLimit", "3"), new("Api:RateLimit:Window", "00:01:00")],
            cancellationToken: TestContext.Current.CancellationToken);

        var statuses = new List<HttpStatusCode>();
        foreach (var path in new[] { "/api/v1/symbols", "/api/v1/tickers", "/top_n_highest_volumes?top_n=3", "/api/v1/symbols", "/compat/health" })
        {
            using var response = await api.Client.GetAsync(path, TestContext.Current.CancellationToken);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                Assert.InRange(int.Parse(response.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
                Assert.Contains("Api:RateLimit:PermitLimit", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
            }
        }

        using var dashboard = await api.Client.GetAsync("/", TestContext.Current.CancellationToken);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
    }

    [Theory]
    [InlineData("/", "text/html", "<title>CryptoPipeline")]
    [InlineData("/index.html", "text/html", "id=\"chart\"")]
    [InlineData("/app.js", "text/javascript", "EventSource")]
    [InlineData("/app.css", "text/css", "@media")]
    [InlineData("/lib/lightweight-charts.js", "text/javascript", "LightweightCharts")]
    public async Task The_dashboard_is_served_from_the_assembly_whatever_the_hosts_content_root(string path, string mediaType, string content)
    {
        await using var api = await ApiHost.StartAsync(await postgres.CreateDatabaseAsync(cancellationToken: TestContext.Current.CancellationToken), cancellationToken: TestContext.Current.CancellationToken);

        using var response = await api.Client.GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(content, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_versioned_and_the_original_endpoints_with_their_parameter_rules()
    {
        await using var api = await ApiHost.StartAsync(await postgres.CreateDatabaseAsync(cancellationToken: TestContext.Current.CancellationToken), cancellationToken: TestContext.Current.CancellationToken);

        using var document = JsonDocument.Parse(await api.Client.GetStringAsync("/openapi/v1.json", TestContext.Current.CancellationToken));

        var paths = document.RootElement.GetProperty("paths");
        foreach (var path in new[]
        {
            "/api/v1/candles", "/api/v1/symbols", "/api/v1/tickers", "/api/v1/statistics", "/api/v1/statistics/hourly", "/api/v1/pipeline",
            "/api/v1/stream", "/transactions_count_last_6_hours", "/trade_volume_last_6_hours", "/hourly_stats_last_12_hours",
            "/transactions_in_last_n_min", "/top_n_highest_volumes", "/current_price", "/compat/health",
        })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"OpenAPI lacks {path}");
        }

        var limit = paths.GetProperty("/api/v1/candles").GetProperty("get").GetProperty("parameters").EnumerateArray()
            .Single(p => p.GetProperty("name").GetString() == "limit").GetProperty("schema");
        Assert.Equal(1, limit.GetProperty("minimum").GetInt32());
        Assert.Equal(10_000, limit.GetProperty("maximum").GetInt32());
    }

    [Fact]
    public async Task A_role_that_may_only_read_the_tables_serves_every_endpoint()
    {
        var owner = await postgres.CreateDatabaseAsync(cancellationToken: TestContext.Current.CancellationToken);
        await MarketData.InsertAsync(owner, MarketData.Series("binance", "BTCUSDT", CandleInterval.OneMinute.Floor(DateTimeOffset.UtcNow).AddHours(-2), 120), TestContext.Current.CancellationToken);
        await MarketData.UpsertPriceAsync(owner, "binance", "BTCUSDT", 61000m, 60999.5m, 61000.5m, cancellationToken: TestContext.Current.CancellationToken);
        var role = "reader_" + Guid.NewGuid().ToString("N")[..8];
        var database = new NpgsqlConnectionStringBuilder(owner).Database;
        // SELECT on the tables and nothing else: the migrator's up-to-date check only reads.
        await MarketData.ExecuteAsync(owner,
            $"""
            CREATE ROLE {role} LOGIN PASSWORD 'reader';
            GRANT CONNECT ON DATABASE "{database}" TO {role};
            GRANT USAGE ON SCHEMA public TO {role};
            GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role};
            """, TestContext.Current.CancellationToken);
        var reader = new NpgsqlConnectionStringBuilder(owner) { Username = role, Password = "reader" }.ConnectionString;
        await using var api = await ApiHost.StartAsync(reader, cancellationToken: TestContext.Current.CancellationToken);

        foreach (var path in new[]
        {
            "/api/v1/symbols", "/api/v1/candles?symbol=BTCUSDT&interval=15m", "/api/v1/tickers", "/api/v1/statistics", "/api/v1/statistics/hourly",
            "/api/v1/pipeline", "/transactions_count_last_6_hours", "/trade_volume_last_6_hours", "/hourly_stats_last_12_hours",
            "/transactions_in_last_n_min?symbol=BTCUSDT&n_minutes=30", "/top_n_highest_volumes?top_n=5", "/current_price?symbol=BTCUSDT",
        })
        {
            using var response = await api.Client.GetAsync(path, TestContext.Current.CancellationToken);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {response.StatusCode}");
        }

        await using var stream = await StreamClient.OpenAsync(api, "symbol=BTCUSDT");
        await Assert.ThrowsAsync<PostgresException>(() => MarketData.ExecuteAsync(reader, "DELETE FROM trades_1min_agg", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task While_postgresql_is_unreachable_requests_get_503_problem_details_with_retry_after()
    {
        var cluster = await PrivatePostgresCluster.StartAsync(new PrivatePostgresOptions { Fsync = false }, cancellationToken: TestContext.Current.CancellationToken);
        await using var api = await ApiHost.StartAsync(cluster.ConnectionString, cancellationToken: TestContext.Current.CancellationToken);
        using (var before = await api.Client.GetAsync("/api/v1/symbols", TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await cluster.DisposeAsync();
        using var response = await api.Client.GetAsync("/api/v1/symbols", TestContext.Current.CancellationToken);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("5", response.Headers.GetValues("Retry-After").Single());
        Assert.Equal("Database unavailable", problem.RootElement.GetProperty("title").GetString());
    }
}
