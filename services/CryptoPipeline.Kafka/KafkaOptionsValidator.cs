using Microsoft.Extensions.Options;

namespace CryptoPipeline.Kafka;

/// <summary>Start-up validation of <see cref="KafkaOptions"/>; every message names the configuration key.</summary>
internal sealed class KafkaOptionsValidator : IValidateOptions<KafkaOptions>
{
    private const string BootstrapKey = "ConnectionStrings:" + KafkaOptions.ConnectionStringName;
    private const string Section = KafkaOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, KafkaOptions options)
    {
        var failures = new List<string>();

        if (string.IsNullOrWhiteSpace(options.BootstrapServers))
        {
            failures.Add(
                $"{BootstrapKey} is not set: set the connection string '{KafkaOptions.ConnectionStringName}' " +
                $"(environment variable ConnectionStrings__{KafkaOptions.ConnectionStringName}) to the Kafka bootstrap servers, " +
                "e.g. localhost:9092 or host1:9092,host2:9092.");
        }
        else if (FirstBadServer(options.BootstrapServers) is { } bad)
        {
            failures.Add($"{BootstrapKey} = '{options.BootstrapServers}' is invalid: '{bad}' is not host:port with a port from 1 to 65535.");
        }

        if (options.Partitions < 1)
        {
            failures.Add($"{Section}:Partitions = {options.Partitions} is invalid: a topic needs at least 1 partition.");
        }

        if (options.ReplicationFactor is 0 or < -1)
        {
            failures.Add($"{Section}:ReplicationFactor = {options.ReplicationFactor} is invalid: use -1 for the broker's default or a positive count.");
        }

        // Ranges librdkafka itself accepts (linger.ms, session.timeout.ms).
        if (options.LingerMs is < 0 or > 900_000)
        {
            failures.Add($"{Section}:LingerMs = {options.LingerMs} is invalid: use 0 to 900000 milliseconds.");
        }

        if (options.SessionTimeoutMs is < 3 or > 3_600_000)
        {
            failures.Add($"{Section}:SessionTimeoutMs = {options.SessionTimeoutMs} is invalid: use 3 to 3600000 milliseconds (brokers usually demand 6000 to 300000).");
        }

        if (string.IsNullOrWhiteSpace(options.ClientId))
        {
            failures.Add($"{Section}:ClientId is empty: leave it unset to use the application name, or name this service.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    // librdkafka accepts [protocol://]host:port entries; the host may be a bracketed IPv6 address.
    private static string? FirstBadServer(string servers)
    {
        foreach (var raw in servers.Split(',', StringSplitOptions.TrimEntries))
        {
            var server = raw.Contains("://", StringComparison.Ordinal) ? raw[(raw.IndexOf("://", StringComparison.Ordinal) + 3)..] : raw;
            var colon = server.LastIndexOf(':');
            var host = colon > 0 ? server[..colon] : "";
            var validPort = colon > 0 && int.TryParse(server[(colon + 1)..], out var port) && port is >= 1 and <= 65535;
            if (!validPort || host.Length == 0 || (host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[')))
            {
                return raw;
            }
        }

        return null;
    }
}
