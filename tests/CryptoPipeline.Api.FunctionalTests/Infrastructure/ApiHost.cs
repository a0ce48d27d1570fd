using CryptoPipeline.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CryptoPipeline.Api.FunctionalTests;

/// <summary>
/// The Api as its Program.cs composes it, on real Kestrel at a free loopback port, in Production, against a test
/// database. The host's content root is an empty folder of its own and its application name is not the Api's, as
/// when another project (Standalone) hosts the Api: whatever it serves must come from the Api assembly itself.
/// </summary>
public sealed class ApiHost : IAsyncDisposable
{
    private readonly string _contentRoot;

    private ApiHost(WebApplication app, string contentRoot)
    {
        App = app;
        _contentRoot = contentRoot;
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        BaseAddress = new Uri(address);
        Client = new HttpClient { BaseAddress = BaseAddress };
    }

    public WebApplication App { get; }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    /// <summary>
    /// Starts the Api on <paramref name="connectionString"/> with further <paramref name="settings"/> (e.g.
    /// <c>Api:RateLimit:PermitLimit</c>); it sees the time of <paramref name="clock"/>, or the system clock.
    /// </summary>
    public static async Task<ApiHost> StartAsync(
        string connectionString,
        IEnumerable<KeyValuePair<string, string?>>? settings = null,
        TimeProvider? clock = null,
        CancellationToken cancellationToken = default)
    {
        var contentRoot = Directory.CreateTempSubdirectory("api-host-").FullName;
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = Environments.Production,
            ApplicationName = "CryptoPipeline.Api.TestHost",
            ContentRootPath = contentRoot,
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(
            new Dictionary<string, string?>
            {
                ["ConnectionStrings:cryptodb"] = connectionString,
                ["Logging:LogLevel:Default"] = "Warning",
            }.Concat(settings ?? []));
        if (clock is not null)
        {
            builder.Services.AddSingleton(clock);
        }

        builder.AddServiceDefaults();
        builder.AddApi();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapApi();
        await app.StartAsync(cancellationToken);
        return new ApiHost(app, contentRoot);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync(CancellationToken.None);
        await App.DisposeAsync();
        Directory.Delete(_contentRoot, recursive: true);
    }
}

/// <summary>A clock that stands still at one instant, so tests can place data relative to "now" exactly.</summary>
public sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
