using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CryptoPipeline.ServiceDefaults.FunctionalTests;

/// <summary>
/// A fake OTLP/HTTP collector on a real Kestrel port: it accepts protobuf exports on /v1/traces,
/// /v1/metrics and /v1/logs and keeps the bodies. Protobuf stores strings as plain UTF-8, so finding a
/// name's bytes in a body is evidence enough without a protobuf decoder.
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<byte[]>> _bodies = new();

    private OtlpReceiver(WebApplication app)
    {
        _app = app;
    }

    public Uri Endpoint { get; private set; } = null!;

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/{signal}", receiver.Receive);
        await app.StartAsync();
        receiver.Endpoint = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single());
        return receiver;
    }

    public IReadOnlyList<byte[]> Bodies(string signal) =>
        _bodies.TryGetValue(signal, out var bodies) ? [.. bodies] : [];

    /// <summary>True when every fragment occurs in some body received for the signal.</summary>
    public bool Received(string signal, params string[] fragments) =>
        fragments.All(fragment => Received(signal, Encoding.UTF8.GetBytes(fragment)));

    public bool Received(string signal, byte[] fragment) =>
        Bodies(signal).Any(body => body.AsSpan().IndexOf(fragment) >= 0);

    public string Summary() =>
        string.Join(", ", new[] { "traces", "metrics", "logs" }.Select(s => $"{s}: {Bodies(s).Count} bodies"));

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task<IResult> Receive(string signal, HttpRequest request)
    {
        if (request.ContentType != "application/x-protobuf")
        {
            return Results.StatusCode(StatusCodes.Status415UnsupportedMediaType);
        }

        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body);
        _bodies.GetOrAdd(signal, _ => new ConcurrentQueue<byte[]>()).Enqueue(body.ToArray());

        // An empty Export*ServiceResponse: full success.
        return Results.Bytes([], "application/x-protobuf");
    }
}
