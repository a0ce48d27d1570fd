using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CryptoPipeline.Kafka;

public static class KafkaHostingExtensions
{
    /// <summary>
    /// Registers <see cref="KafkaOptions"/>: section <c>Kafka</c>, bootstrap servers from the
    /// connection string <c>kafka</c>, validated when the host starts.
    /// </summary>
    public static IHostApplicationBuilder AddKafkaClients(this IHostApplicationBuilder builder)
    {
        var applicationName = builder.Environment.ApplicationName;
        builder.Services.AddOptions<KafkaOptions>()
            .BindConfiguration(KafkaOptions.SectionName)
            .Configure<IConfiguration>((options, configuration) =>
            {
                // The connection string is the one source of the servers (what Aspire injects).
                options.BootstrapServers = configuration.GetConnectionString(KafkaOptions.ConnectionStringName) ?? "";
                if (configuration[$"{KafkaOptions.SectionName}:{nameof(KafkaOptions.ClientId)}"] is null)
                {
                    options.ClientId = applicationName;
                }
            })
            .ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KafkaOptions>, KafkaOptionsValidator>());
        return builder;
    }
}
