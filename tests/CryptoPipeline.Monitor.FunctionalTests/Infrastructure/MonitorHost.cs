using System.Net.Http.Json;
using System.Text.Json;
using CryptoPipeline.Monitor.Scheduling;
using CryptoPipeline.ServiceDefaults;
using CryptoPipeline.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CryptoPipeline.Monitor.FunctionalTests.Infrastructure;

/// <summary>
/// The monitor in this process, built exactly as its Program.cs builds it, on a real Kestrel port, in Production,
/// configured through connection strings and settings as the AppHost would, with every job's schedule off unless a
/// test turns it on, and optionally a clock the test moves by hand.
/// </summary>
internal sealed class MonitorHost : IAsyncDisposable
{
    public const string ApiKey = "test-key-0123456789abcdef";

    private MonitorHost(WebApplication app, HttpClient client)
    {
        App = app;
        Client = client;
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    public MonitorTelemetry Telemetry => App.Services.GetRequiredService<MonitorTelemetry>();

    public static Dictionary<string, string?> Settings(string database, string kafka, IDictionary<string, string?>? overrides)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:cryptodb"] = database,
            ["ConnectionStrings:kafka"] = kafka,
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:CryptoPipeline"] = "Warning",
            ["Monitor:Pipeline:KafkaTimeout"] = "00:00:05",
        };
        foreach (var job in JobDeclarations.All)
        {
            settings[$"Monitor:Jobs:{job.Name}:Enabled"] = "false";
        }

        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return settings;
    }

    public static WebApplicationBuilder CreateBuilder(string database, string kafka = "127.0.0.1:9", IDictionary<string, string?>? settings = null, TimeProvider? time = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(Settings(database, kafka, settings));
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        return builder;
    }

    public static async Task<MonitorHost> StartAsync(string database, string kafka = "127.0.0.1:9", IDictionary<string, string?>? settings = null, TimeProvider? time = null)
    {
        var builder = CreateBuilder(database, kafka, settings, time);
        builder.AddServiceDefaults();
        builder.AddMonitor();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapMonitorApi();
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new MonitorHost(app, new HttpClient { BaseAddress = new Uri(address) });
    }

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await Client.GetAsync(path, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"GET {path} answered {(int)response.StatusCode}: {text}");
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    /// <summary>When this monitor next runs <paramref name="job"/> on schedule, as GET /jobs/{name} says.</summary>
    public async Task<DateTimeOffset?> NextRunAtAsync(string job)
    {
        var view = await GetJsonAsync($"/api/v1/monitor/jobs/{job}");
        return view.GetProperty("nextRunAt").ValueKind == JsonValueKind.Null ? null : view.GetProperty("nextRunAt").GetDateTimeOffset();
    }

    public async Task WaitForNextRunAtAsync(string job, DateTimeOffset expected) =>
        await Eventually.Until(() => NextRunAtAsync(job), next => next == expected, TimeSpan.FromSeconds(30), $"{job} to be scheduled at {expected:O}", TestContext.Current.CancellationToken);

    public async Task<HttpResponseMessage> TriggerAsync(string job, string? key = ApiKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/monitor/jobs/{job}/trigger");
        if (key is not null)
        {
            request.Headers.Add("X-Api-Key", key);
        }

        return await Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>Triggers <paramref name="job"/> and waits until its run has finished; returns the run as the API shows it.</summary>
    public async Task<JsonElement> RunAsync(string job)
    {
        using var response = await TriggerAsync(job);
        var accepted = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Accepted, $"trigger {job} answered {(int)response.StatusCode}: {accepted}");
        var location = response.Headers.Location!.ToString();
        return await Eventually.Until(
            () => GetJsonAsync(location),
            run => run.GetProperty("status").GetString() != RunStatus.Running,
            TimeSpan.FromSeconds(60),
            $"run of {job} at {location} to finish",
            TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync(CancellationToken.None);
        await App.DisposeAsync();
    }
}
