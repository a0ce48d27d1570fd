using CryptoPipeline.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CryptoPipeline.Processor.FunctionalTests.Infrastructure;

/// <summary>
/// The processor in this process, built exactly as its Program.cs builds it, on a real Kestrel port, in
/// Production, configured the way the AppHost configures it (connection strings) plus test settings.
/// </summary>
internal sealed class ProcessorHost : IAsyncDisposable
{
    private bool _disposed;

    private ProcessorHost(WebApplication app, HttpClient client)
    {
        App = app;
        Client = client;
    }

    public WebApplication App { get; }

    /// <summary>Points at the host's Kestrel address, for /health and /alive.</summary>
    public HttpClient Client { get; }

    /// <summary>Settings every test host shares: quiet logs, and a short session so a departed member is noticed fast.</summary>
    public static Dictionary<string, string?> Settings(string kafka, string database, IDictionary<string, string?>? overrides = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:kafka"] = kafka,
            ["ConnectionStrings:cryptodb"] = database,
            ["Kafka:SessionTimeoutMs"] = "6000",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:CryptoPipeline"] = "Warning",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return settings;
    }

    public static async Task<ProcessorHost> StartAsync(string kafka, string database, IDictionary<string, string?>? overrides = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(Settings(kafka, database, overrides));
        builder.AddServiceDefaults();
        builder.AddProcessor();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new ProcessorHost(app, new HttpClient { BaseAddress = new Uri(address) });
    }

    /// <summary>Stops gracefully: the consumer commits what it holds and leaves the group.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Client.Dispose();
        await App.StopAsync(CancellationToken.None);
        await App.DisposeAsync();
    }
}
