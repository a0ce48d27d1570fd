using Npgsql;

namespace CryptoPipeline.Hosting.FunctionalTests;

/// <summary>
/// The environment the Aspire 13 AppHost (CryptoPipeline.AppHost, run mode, Development) gives a project resource,
/// variable for variable, so that the services started here see exactly what they see under <c>aspire run</c>:
/// <list type="bullet">
/// <item><c>WithProjectDefaults</c> (Aspire.Hosting <c>ProjectResourceBuilderExtensions</c>): the OTLP retry and URL
/// redaction switches, and <c>ASPNETCORE_URLS</c> from the resource's endpoint (no launch profile).</item>
/// <item><c>WithOtlpExporter</c> (<c>OtlpConfigurationExtensions</c>): endpoint and protocol of the dashboard's OTLP/gRPC
/// receiver, service name and instance id, the dashboard's API key header, and the development batch delays,
/// sampler and exemplar filter.</item>
/// <item><c>ConfigureConsoleLogs</c>: the simple console formatter with the dashboard's timestamp format.</item>
/// <item><c>WithReference</c>: <c>ConnectionStrings__{name}</c> plus the connection properties <c>{NAME}_HOST</c>,
/// <c>{NAME}_PORT</c>, … that Aspire 13 adds for every referenced resource.</item>
/// </list>
/// Earlier 13.x releases also set <c>OTEL_DOTNET_EXPERIMENTAL_OTLP_EMIT_EXCEPTION_LOG_ATTRIBUTES</c> and
/// <c>…_EMIT_EVENT_LOG_ATTRIBUTES</c>; they are included so the services are shown to accept either set.
/// </summary>
internal static class AppHostEnvironment
{
    /// <summary>Settings of the test process that must not leak into a service: only what the AppHost sets may reach it.</summary>
    private static readonly string[] ForeignPrefixes =
        ["OTEL_", "ConnectionStrings__", "ASPNETCORE_", "DOTNET_ENVIRONMENT", "HTTP_PORTS", "HTTPS_PORTS", "Logging__", "LOGGING__",
         "Kafka__", "Database__", "Ingest__", "Processor__", "Monitor__", "Api__", "KAFKA_", "CRYPTODB_"];

    public static Dictionary<string, string?> ForProject(
        string resourceName, string instanceId, int port, Uri otlpEndpoint, string otlpApiKey, string kafka, string cryptodb)
    {
        // Start by removing whatever the test runner's own environment holds under the same names.
        var environment = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(name => ForeignPrefixes.Any(prefix => name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)))
            .ToDictionary(name => name, _ => (string?)null);

        // WithProjectDefaults.
        environment["OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY"] = "in_memory";
        environment["OTEL_DOTNET_EXPERIMENTAL_ASPNETCORE_DISABLE_URL_QUERY_REDACTION"] = "true";
        environment["OTEL_DOTNET_EXPERIMENTAL_HTTPCLIENT_DISABLE_URL_QUERY_REDACTION"] = "true";
        environment["OTEL_DOTNET_EXPERIMENTAL_OTLP_EMIT_EXCEPTION_LOG_ATTRIBUTES"] = "true";
        environment["OTEL_DOTNET_EXPERIMENTAL_OTLP_EMIT_EVENT_LOG_ATTRIBUTES"] = "true";
        environment["ASPNETCORE_URLS"] = $"http://localhost:{port}";

        // WithOtlpExporter: the dashboard's gRPC endpoint wins over its HTTP one.
        environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlpEndpoint.ToString().TrimEnd('/');
        environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc";
        environment["OTEL_RESOURCE_ATTRIBUTES"] = $"service.instance.id={instanceId}";
        environment["OTEL_SERVICE_NAME"] = resourceName;
        environment["OTEL_EXPORTER_OTLP_HEADERS"] = $"{OtlpGrpcReceiver.ApiKeyHeader}={otlpApiKey}";
        environment["OTEL_BLRP_SCHEDULE_DELAY"] = "1000";
        environment["OTEL_BSP_SCHEDULE_DELAY"] = "1000";
        environment["OTEL_METRIC_EXPORT_INTERVAL"] = "1000";
        environment["OTEL_TRACES_SAMPLER"] = "always_on";
        environment["OTEL_METRICS_EXEMPLAR_FILTER"] = "trace_based";
        environment["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "true";

        // ConfigureConsoleLogs.
        environment["DOTNET_SYSTEM_CONSOLE_ALLOW_ANSI_COLOR_REDIRECTION"] = "true";
        environment["LOGGING__CONSOLE__FORMATTERNAME"] = "simple";
        environment["LOGGING__CONSOLE__FORMATTEROPTIONS__TIMESTAMPFORMAT"] = "yyyy-MM-ddTHH:mm:ss.fffffff ";

        // WithReference(kafka) and WithReference(cryptodb).
        environment["ConnectionStrings__kafka"] = kafka;
        var (kafkaHost, kafkaPort) = SplitHostPort(kafka.Split(',')[0]);
        environment["KAFKA_HOST"] = kafkaHost;
        environment["KAFKA_PORT"] = kafkaPort;
        foreach (var (name, value) in PostgresDatabase(cryptodb))
        {
            environment[name] = value;
        }

        return environment;
    }

    /// <summary>
    /// The database's connection string in the form Aspire's <c>PostgresDatabaseResource</c> gives it, and its
    /// connection properties.
    /// </summary>
    private static IEnumerable<(string Name, string Value)> PostgresDatabase(string connectionString)
    {
        var source = new NpgsqlConnectionStringBuilder(connectionString);
        var password = source.Password ?? "";
        var database = source.Database ?? throw new ArgumentException("The connection string names no database.", nameof(connectionString));
        var passwordPart = password.Length == 0 ? "" : $"Password={password};";
        yield return ("ConnectionStrings__cryptodb", $"Host={source.Host};Port={source.Port};Username={source.Username};{passwordPart}Database={database}");
        yield return ("CRYPTODB_HOST", source.Host!);
        yield return ("CRYPTODB_PORT", source.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        yield return ("CRYPTODB_USERNAME", source.Username!);
        yield return ("CRYPTODB_PASSWORD", password);
        yield return ("CRYPTODB_URI", $"postgresql://{Uri.EscapeDataString(source.Username!)}:{Uri.EscapeDataString(password)}@{source.Host}:{source.Port}/{database}");
        yield return ("CRYPTODB_JDBCCONNECTIONSTRING", $"jdbc:postgresql://{source.Host}:{source.Port}/{database}");
        yield return ("CRYPTODB_DATABASENAME", database);
    }

    private static (string Host, string Port) SplitHostPort(string hostAndPort)
    {
        var colon = hostAndPort.LastIndexOf(':');
        return (hostAndPort[..colon], hostAndPort[(colon + 1)..]);
    }
}
