using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CryptoPipeline.Hosting.FunctionalTests;

/// <summary>
/// A fake OTLP collector speaking OTLP/gRPC, the protocol the Aspire dashboard receives by default (the AppHost
/// injects <c>OTEL_EXPORTER_OTLP_PROTOCOL=grpc</c>). It listens with HTTP/2 without TLS (prior knowledge) on a real
/// Kestrel port, answers the three collector services' <c>Export</c> calls with an empty response and
/// <c>grpc-status: 0</c>, and keeps each request message with the <c>x-otlp-api-key</c> header it came with.
/// </summary>
internal sealed class OtlpGrpcReceiver : IAsyncDisposable
{
    public const string ApiKeyHeader = "x-otlp-api-key";

    private static readonly Dictionary<string, string> Signals = new(StringComparer.Ordinal)
    {
        ["opentelemetry.proto.collector.trace.v1.TraceService"] = OtlpSignal.Traces,
        ["opentelemetry.proto.collector.metrics.v1.MetricsService"] = OtlpSignal.Metrics,
        ["opentelemetry.proto.collector.logs.v1.LogsService"] = OtlpSignal.Logs,
    };

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<OtlpExport> _exports = new();

    private OtlpGrpcReceiver(WebApplication app)
    {
        _app = app;
    }

    /// <summary><c>http://127.0.0.1:port</c>, the value for <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.</summary>
    public Uri Endpoint { get; private set; } = null!;

    public static async Task<OtlpGrpcReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new OtlpGrpcReceiver(app);
        app.MapPost("/{service}/Export", receiver.ReceiveAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        receiver.Endpoint = new Uri(address);
        return receiver;
    }

    public IReadOnlyList<OtlpExport> Exports => [.. _exports];

    /// <summary>Every span received so far, with the resource it came from.</summary>
    public IReadOnlyList<OtlpSpan> Spans() =>
        [.. _exports.Where(e => e.Signal == OtlpSignal.Traces).SelectMany(e => OtlpProtobuf.ReadSpans(e.Message))];

    /// <summary>The resources (service name and instance id) that sent <paramref name="signal"/>.</summary>
    public IReadOnlyList<OtlpResource> Resources(string signal) =>
        [.. _exports.Where(e => e.Signal == signal).SelectMany(e => OtlpProtobuf.ReadResources(e.Message)).Distinct()];

    public string Summary() =>
        string.Join(", ", new[] { OtlpSignal.Traces, OtlpSignal.Metrics, OtlpSignal.Logs }.Select(signal =>
            $"{signal}: {_exports.Count(e => e.Signal == signal)} exports from [{string.Join(", ", Resources(signal).Select(r => r.ServiceName).Distinct())}]"));

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task ReceiveAsync(HttpContext context, string service)
    {
        var request = context.Request;
        if (!Signals.TryGetValue(service, out var signal))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        if (request.Protocol != HttpProtocol.Http2 || request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) != true)
        {
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }

        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, context.RequestAborted);
        var apiKey = request.Headers[ApiKeyHeader].ToString();
        foreach (var message in Frames(body.ToArray()))
        {
            _exports.Enqueue(new OtlpExport(signal, apiKey, message));
        }

        // An empty Export*ServiceResponse in one uncompressed frame: full success.
        context.Response.ContentType = "application/grpc";
        await context.Response.Body.WriteAsync(new byte[5], context.RequestAborted);
        context.Response.AppendTrailer("grpc-status", "0");
    }

    // gRPC length-prefixed messages: a compressed flag byte, a big-endian length, the protobuf message.
    private static IEnumerable<byte[]> Frames(byte[] body)
    {
        var offset = 0;
        while (offset + 5 <= body.Length)
        {
            if (body[offset] != 0)
            {
                throw new NotSupportedException("A compressed gRPC message arrived; the exporter compresses only when OTEL_EXPORTER_OTLP_COMPRESSION is set.");
            }

            var length = checked((int)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(offset + 1, 4)));
            yield return body.AsSpan(offset + 5, length).ToArray();
            offset += 5 + length;
        }
    }
}

internal static class OtlpSignal
{
    public const string Traces = "traces";
    public const string Metrics = "metrics";
    public const string Logs = "logs";
}

/// <summary>One OTLP export request as received: its signal, the API key header and the protobuf message.</summary>
internal sealed record OtlpExport(string Signal, string ApiKey, byte[] Message);
