using Microsoft.Extensions.Logging;

namespace CryptoPipeline.ServiceDefaults;

/// <summary>
/// Puts the OpenTelemetry SDK's loggers behind the host's logging, so every <c>ILogger</c> also emits
/// OpenTelemetry log records; <c>Logging:OpenTelemetry:LogLevel</c> filters them like any provider.
/// </summary>
[ProviderAlias("OpenTelemetry")]
internal sealed class SdkLoggerProvider(ILoggerFactory sdkLoggers) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => sdkLoggers.CreateLogger(categoryName);

    public void Dispose()
    {
        // The SDK owns its loggers and flushes them when the container disposes it.
    }
}
