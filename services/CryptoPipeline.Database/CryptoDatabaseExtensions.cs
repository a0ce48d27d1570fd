using System.Data.Common;
using CryptoPipeline.Database;
using CryptoPipeline.Database.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Microsoft.Extensions.Hosting;

public static class CryptoDatabaseExtensions
{
    /// <summary>
    /// Registers the PostgreSQL database of DESIGN.md §4: an <see cref="NpgsqlDataSource"/> (also as
    /// <see cref="DbDataSource"/>) for <c>ConnectionStrings:cryptodb</c>, the migrations, which run at
    /// start-up before the service serves anything, and a health check named <c>postgres</c> tagged
    /// <c>ready</c>. Settings are validated when the host starts. Calling it again (Standalone composes
    /// several services that each call it) changes nothing.
    /// </summary>
    public static TBuilder AddCryptoDatabase<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(CryptoDatabaseMarker)))
        {
            return builder;
        }

        services.AddSingleton<CryptoDatabaseMarker>();
        services.AddOptions<CryptoDatabaseOptions>()
            .Configure<IConfiguration>((options, configuration) =>
            {
                options.ConnectionString = configuration.GetConnectionString(CryptoDatabaseOptions.ConnectionStringName);
                options.MigrationTimeout = configuration.GetValue(
                    $"{CryptoDatabaseOptions.SectionName}:{nameof(CryptoDatabaseOptions.MigrationTimeout)}", options.MigrationTimeout);
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<CryptoDatabaseOptions>, CryptoDatabaseOptionsValidator>();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new NpgsqlDataSourceBuilder(sp.GetRequiredService<IOptions<CryptoDatabaseOptions>>().Value.ConnectionString)
            .UseLoggerFactory(sp.GetRequiredService<ILoggerFactory>())
            .Build());
        services.TryAddSingleton<DbDataSource>(sp => sp.GetRequiredService<NpgsqlDataSource>());

        services.AddHostedService<DatabaseMigrationService>();
        services.AddHealthChecks().AddCheck<PostgresHealthCheck>("postgres", tags: ["ready"]);
        return builder;
    }

    private sealed class CryptoDatabaseMarker;
}
