using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using CryptoPipeline.Contracts;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Hosting.FunctionalTests;

/// <summary>
/// The services as the Aspire AppHost runs them: Ingest, two Processor replicas, Monitor and Api, each its own process,
/// configured only with the variables the AppHost injects (<see cref="AppHostEnvironment"/>), against one Kafka
/// cluster, one PostgreSQL database and an OTLP/gRPC collector standing in for the Aspire dashboard. Ingest replays a
/// recorded Binance feed instead of the live exchange, which this machine cannot reach.
/// </summary>
public sealed class AppHostEnvironmentTests(EmbeddedKafkaFixture kafka, PostgresFixture postgres)
    : IClassFixture<EmbeddedKafkaFixture>, IAsyncDisposable
{
    private const int Partitions = 6;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(60);

    // The recorded spot feeds of BTCUSDT and ETHUSDT of 2024-08-08 (shared/data/README.md), from 23:54:15 to the end of
    // the day; their trades, 3735683259..3735693015 and 1520538925..1520545030, fall into seven minutes (the last one,
    // 00:00, holds the few trades received before midnight). Trade ids are contiguous, so every trade counted once means
    // these totals.
    private const string RecordingPattern = "spot_*_20240808.gz";
    private static readonly (string Symbol, long Trades)[] Recorded = [("BTCUSDT", 9_757), ("ETHUSDT", 6_106)];
    private const int RecordedMinutes = 7;

    private readonly List<RunningService> _services = [];

    [Fact]
    public async Task Services_given_only_the_AppHost_variables_run_the_pipeline_and_send_one_trace_over_otlp_grpc()
    {
        var cancellation = TestContext.Current.CancellationToken;

        // What the AppHost provides before it starts the projects: the broker (topics as Ingest would create them;
        // the mock cluster is given them directly), an empty cryptodb database and the dashboard's OTLP receiver.
        foreach (var topic in Topics.All)
        {
            kafka.Cluster.CreateTopic(topic, Partitions);
        }

        var cryptodb = await postgres.CreateDatabaseAsync(migrated: false, cancellation);
        await using var otlp = await OtlpGrpcReceiver.StartAsync();
        var otlpApiKey = Guid.NewGuid().ToString("N");
        var monitorApiKey = "monitor-" + Guid.NewGuid().ToString("N");

        Dictionary<string, string?> Project(string name, string instanceId, int port) =>
            AppHostEnvironment.ForProject(name, instanceId, port, otlp.Endpoint, otlpApiKey, kafka.BootstrapServers, cryptodb);

        Start("ingest", "CryptoPipeline.Ingest", (environment, _) =>
        {
            // The one change to the AppHost's model: a recorded feed instead of the live exchange.
            environment["Ingest__Sources"] = "replay";
            environment["Ingest__Replay__Path"] = SharedData.Path("binance/spot-ws");
            environment["Ingest__Replay__Pattern"] = RecordingPattern;
        }, Project);
        Start("processor", "CryptoPipeline.Processor", ProcessorReplica, Project);
        Start("processor", "CryptoPipeline.Processor", (environment, port) =>
        {
            ProcessorReplica(environment, port);

            // The second replica listens as it would in Azure Container Apps, where the AppHost's publish mode gives
            // the port in HTTP_PORTS and turns forwarded headers on.
            environment["ASPNETCORE_URLS"] = null;
            environment["HTTP_PORTS"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            environment["ASPNETCORE_FORWARDEDHEADERS_ENABLED"] = "true";
        }, Project);
        Start("monitor", "CryptoPipeline.Monitor", (environment, _) =>
        {
            environment["Monitor__ApiKey"] = monitorApiKey;

            // Reconciliation asks Binance for klines: keep that request on this machine (connection refused).
            environment["Monitor__Reconciliation__BaseUrl"] = "http://127.0.0.1:9";
            environment["Monitor__Reconciliation__FuturesBaseUrl"] = "http://127.0.0.1:9";
        }, Project);
        Start("api", "CryptoPipeline.Api", (_, _) => { }, Project);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Done(string step) => TestContext.Current.TestOutputHelper?.WriteLine($"{clock.Elapsed.TotalSeconds,6:0.0} s  {step}");
        try
        {
            await AssertCandlesAsync(Service("api").Http, cancellation);
            Done("the Api serves the replayed candles");
            await AssertMonitorSeesTheProcessorRunningAsync(Service("monitor").Http, monitorApiKey, cancellation);
            Done("the Monitor reports the processor running");
            await AssertHealthyAsync(cancellation);
            Done("every /health answers 200");
            await AssertTelemetryAsync(otlp, otlpApiKey, cancellation);
            Done($"OTLP/gRPC: {otlp.Summary()}");
        }
        catch
        {
            WriteOutputs(otlp);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        // SIGTERM first, so each service stops as the AppHost stops it (processors leave the group, exporters flush).
        foreach (var service in _services.Where(s => !s.Process.HasExited))
        {
            service.Process.Signal(ServiceProcess.Sigterm);
        }

        await Task.WhenAll(_services.Select(async service =>
        {
            try
            {
                await service.Process.WaitForExitAsync(TimeSpan.FromSeconds(20));
            }
            catch (TimeoutException)
            {
                // Killed below.
            }
        }));

        foreach (var service in _services)
        {
            service.Http.Dispose();
            await service.Process.DisposeAsync();
        }
    }

    /// <summary>
    /// A shorter session timeout than Kafka's 45 s: the mock cluster spends up to a session timeout on every rebalance,
    /// and the replicas join the group together. Long enough that a replica busy on a loaded machine keeps its place.
    /// </summary>
    private static void ProcessorReplica(Dictionary<string, string?> environment, int port) =>
        environment["Kafka__SessionTimeoutMs"] = "10000";

    private void Start(
        string resourceName,
        string assembly,
        Action<Dictionary<string, string?>, int> customize,
        Func<string, string, int, Dictionary<string, string?>> project)
    {
        // Like DCP: a free port per replica, and an instance id of the resource name and a random suffix.
        var port = FreePort();
        var instanceId = $"{resourceName}-{Guid.NewGuid().ToString("N")[..8]}";
        var environment = project(resourceName, instanceId, port);
        customize(environment, port);
        var path = Path.Combine(AppContext.BaseDirectory, "services", assembly, assembly + ".dll");
        var process = ServiceProcess.Start(path, environment);
        _services.Add(new RunningService(resourceName, instanceId, process, new HttpClient { BaseAddress = new Uri($"http://localhost:{port}") }));
    }

    private RunningService Service(string name) => _services.First(s => s.Name == name);

    private static async Task AssertCandlesAsync(HttpClient api, CancellationToken cancellation)
    {
        foreach (var (symbol, trades) in Recorded)
        {
            var url = $"/api/v1/candles?exchange=binance&symbol={symbol}&interval=1m&from=2024-08-08T23:50:00Z&limit=30";
            var candles = await Eventually.Until(
                async () => await CandlesAsync(api, url, cancellation),
                series => series.Candles is var c && c.Count == RecordedMinutes && c.All(x => x.Final) && c.Sum(x => x.Trades) == trades,
                StartTimeout,
                $"{RecordedMinutes} final {symbol} candles holding {trades} trades from GET {url}",
                cancellation);
            Assert.Equal(DateTimeOffset.Parse("2024-08-08T23:54:00Z", System.Globalization.CultureInfo.InvariantCulture), candles.Candles[0].OpenTime);
        }
    }

    private static async Task<CandleSeries> CandlesAsync(HttpClient api, string url, CancellationToken cancellation)
    {
        try
        {
            using var response = await api.GetAsync(url, cancellation);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return new CandleSeries([]);
            }

            response.EnsureSuccessStatusCode();
            var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellation);
            return new CandleSeries(
            [
                .. body.GetProperty("candles").EnumerateArray().Select(c => new Candle(
                    c.GetProperty("openTime").GetDateTimeOffset(), c.GetProperty("tradeCount").GetInt64(), c.GetProperty("isFinal").GetBoolean())),
            ]);
        }
        catch (HttpRequestException)
        {
            // Not listening yet.
            return new CandleSeries([]);
        }
    }

    private static async Task AssertMonitorSeesTheProcessorRunningAsync(HttpClient monitor, string apiKey, CancellationToken cancellation)
    {
        const string Trigger = "/api/v1/monitor/jobs/pipeline-check/trigger";

        // Triggered with the key the AppHost passes as Monitor__ApiKey, so the check runs now rather than on its schedule.
        var state = await Eventually.Until(
            async () => await TriggerPipelineCheckAsync(monitor, Trigger, apiKey, cancellation),
            s => s == "running",
            SettleTimeout,
            "the monitor's pipeline check to report the processor running",
            cancellation);
        Assert.Equal("running", state);

        using var wrongKey = new HttpRequestMessage(HttpMethod.Post, Trigger) { Headers = { { "X-Api-Key", "not-the-monitor-api-key" } } };
        using var refused = await monitor.SendAsync(wrongKey, cancellation);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    /// <summary>Starts a pipeline check (or finds one running) and returns the processor state of the latest finished one.</summary>
    private static async Task<string?> TriggerPipelineCheckAsync(HttpClient monitor, string trigger, string apiKey, CancellationToken cancellation)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, trigger) { Headers = { { "X-Api-Key", apiKey } } };
            using var triggered = await monitor.SendAsync(request, cancellation);
            Assert.True(
                triggered.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.Conflict,
                $"POST {trigger} answered {(int)triggered.StatusCode}: {await triggered.Content.ReadAsStringAsync(cancellation)}");
            var status = await monitor.GetFromJsonAsync<JsonElement>("/api/v1/monitor/status", cancellation);
            return status.TryGetProperty("pipeline", out var pipeline) && pipeline.ValueKind == JsonValueKind.Object
                ? pipeline.GetProperty("processor").GetProperty("state").GetString()
                : null;
        }
        catch (HttpRequestException)
        {
            // Not listening yet.
            return null;
        }
    }

    private async Task AssertHealthyAsync(CancellationToken cancellation)
    {
        foreach (var service in _services)
        {
            var status = await Eventually.Until(
                async () =>
                {
                    try
                    {
                        using var response = await service.Http.GetAsync("/health", cancellation);
                        return response.StatusCode;
                    }
                    catch (HttpRequestException)
                    {
                        return (HttpStatusCode)0;
                    }
                },
                s => s == HttpStatusCode.OK,
                SettleTimeout,
                $"GET /health of {service.InstanceId} to answer 200",
                cancellation);
            Assert.Equal(HttpStatusCode.OK, status);
        }
    }

    private async Task AssertTelemetryAsync(OtlpGrpcReceiver otlp, string otlpApiKey, CancellationToken cancellation)
    {
        string[] names = ["ingest", "processor", "monitor", "api"];
        await Eventually.Until(
            () => Task.FromResult(otlp.Summary()),
            _ => new[] { OtlpSignal.Traces, OtlpSignal.Metrics, OtlpSignal.Logs }.All(signal =>
                names.All(name => otlp.Resources(signal).Any(r => r.ServiceName == name))),
            SettleTimeout,
            "traces, metrics and logs from every service over OTLP/gRPC",
            cancellation);

        // Every export carried the dashboard's API key, and each replica reported under its own instance id.
        Assert.All(otlp.Exports, export => Assert.Equal(otlpApiKey, export.ApiKey));
        var instances = _services.Select(s => new OtlpResource(s.Name, s.InstanceId)).ToHashSet();
        Assert.Superset(instances, otlp.Resources(OtlpSignal.Metrics).ToHashSet());

        // One trace from Ingest's publish through Kafka headers to a Processor's commit to PostgreSQL.
        var shared = await Eventually.Until(
            () => Task.FromResult(SharedTraceIds(otlp.Spans())),
            ids => ids.Count > 0,
            SettleTimeout,
            "an ingest.publish span of ingest and a commit span of processor in one trace",
            cancellation);
        Assert.NotEmpty(shared);
        TestContext.Current.TestOutputHelper?.WriteLine($"trace {shared[0]} runs from Ingest's ingest.publish to a Processor's commit");
    }

    private static List<string> SharedTraceIds(IReadOnlyList<OtlpSpan> spans)
    {
        var published = spans.Where(s => s.Resource.ServiceName == "ingest" && s.Name == "ingest.publish").Select(s => s.TraceId).ToHashSet();
        return [.. spans.Where(s => s.Resource.ServiceName == "processor" && s.Name == "commit" && published.Contains(s.TraceId)).Select(s => s.TraceId)];
    }

    private void WriteOutputs(OtlpGrpcReceiver otlp)
    {
        var output = TestContext.Current.TestOutputHelper;
        output?.WriteLine($"OTLP: {otlp.Summary()}");
        foreach (var service in _services)
        {
            output?.WriteLine($"===== {service.InstanceId} (exited: {service.Process.HasExited})\n{service.Process.Output}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed record RunningService(string Name, string InstanceId, ServiceProcess Process, HttpClient Http);

    private sealed record Candle(DateTimeOffset OpenTime, long Trades, bool Final);

    /// <summary>What the Api answered, short enough for a timeout message.</summary>
    private sealed record CandleSeries(IReadOnlyList<Candle> Candles)
    {
        public override string ToString() =>
            $"{Candles.Count} candles, {Candles.Count(c => c.Final)} final, {Candles.Sum(c => c.Trades)} trades";
    }
}
