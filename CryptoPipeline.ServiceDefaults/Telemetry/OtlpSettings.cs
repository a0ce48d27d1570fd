using Microsoft.Extensions.Configuration;

namespace CryptoPipeline.ServiceDefaults;

/// <summary>
/// Checks the standard OTLP exporter settings up front: the SDK itself would only note a bad value in its
/// event source and export nowhere, which nobody notices.
/// </summary>
internal static class OtlpSettings
{
    private static readonly string[] EndpointKeys =
    [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
        "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
    ];

    private static readonly string[] ProtocolKeys =
    [
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
        "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL",
    ];

    /// <summary>
    /// True when any endpoint is set. Export then covers all three signals; a signal without an endpoint of
    /// its own uses the general one, or the protocol's default port on localhost as the OTLP spec says.
    /// </summary>
    /// <exception cref="InvalidOperationException">An endpoint or protocol setting holds a value the exporter cannot use.</exception>
    public static bool IsExportConfigured(IConfiguration configuration)
    {
        foreach (var key in ProtocolKeys)
        {
            var protocol = configuration[key];
            if (!string.IsNullOrWhiteSpace(protocol) && protocol.Trim() is not ("grpc" or "http/protobuf"))
            {
                throw new InvalidOperationException($"{key} must be 'grpc' or 'http/protobuf', got '{protocol}'.");
            }
        }

        var configured = false;
        foreach (var key in EndpointKeys)
        {
            var endpoint = configuration[key];
            if (string.IsNullOrWhiteSpace(endpoint))
            {
                continue;
            }

            if (!Uri.TryCreate(endpoint.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new InvalidOperationException($"{key} must be an absolute http:// or https:// URL, got '{endpoint}'.");
            }

            configured = true;
        }

        return configured;
    }
}
