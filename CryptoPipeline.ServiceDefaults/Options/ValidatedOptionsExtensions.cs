using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CryptoPipeline.ServiceDefaults;

/// <summary>Options bound from one configuration section and validated when the host starts.</summary>
public static class ValidatedOptionsExtensions
{
    /// <summary>
    /// Binds <typeparamref name="TOptions"/> to <paramref name="section"/> and checks its data annotations
    /// (<c>[Range]</c>, <c>[Required]</c>, …) and <see cref="System.ComponentModel.DataAnnotations.IValidatableObject"/>
    /// at start-up, failing with messages that name the full key, e.g.
    /// <c>Kafka:Partitions must be between 1 and 1000, got 0</c>. Chain further <c>Validate</c> calls on the result.
    /// </summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions>(this IServiceCollection services, IConfiguration configuration, string section)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentException.ThrowIfNullOrWhiteSpace(section);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>>(new ConfigurationKeyValidator<TOptions>(section)));
        return services.AddOptions<TOptions>()
            .Bind(configuration.GetSection(section))
            .ValidateOnStart();
    }
}
