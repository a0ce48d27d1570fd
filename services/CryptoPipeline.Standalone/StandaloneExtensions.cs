using CryptoPipeline.ServiceDefaults;
using CryptoPipeline.Standalone.CommandLine;
using CryptoPipeline.Standalone.EmbeddedDefaults;
using CryptoPipeline.Standalone.Kafka;
using CryptoPipeline.Standalone.Replay;
using CryptoPipeline.Standalone.Sources;

namespace CryptoPipeline.Standalone;

public static class StandaloneExtensions
{
    /// <summary>
    /// The whole pipeline in this process: the embedded defaults (Kafka, PostgreSQL) where no connection string is set,
    /// the source <paramref name="commandLine"/> and configuration ask for (or the simulated market when the default
    /// exchange cannot be reached), and Ingest, Processor, Monitor and Api through their own <c>Add…()</c> extensions,
    /// exactly as their own hosts register them. Pair with <see cref="MapStandalone"/>.
    /// </summary>
    public static async Task AddStandaloneAsync(this WebApplicationBuilder builder, StandaloneCommandLine commandLine, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(commandLine);
        var options = StandaloneOptions.Read(builder.Configuration);
        var choice = await SourceChoice.DecideAsync(builder.Configuration, commandLine, options.ExchangeProbeTimeout, Console.Out, cancellationToken);
        builder.Configuration.AddInMemoryCollection(commandLine.Settings);
        builder.Configuration["Ingest:Sources"] = choice.Sources;
        builder.Services.AddSingleton(choice);

        var defaults = await builder.AddEmbeddedDefaultsAsync(options);
        builder.Services.AddSingleton(options);
        if (defaults.Kafka is not null)
        {
            builder.Services.AddHostedService<EmbeddedKafkaTrimmer>();
        }

        builder.AddServiceDefaults();
        builder.AddIngest();
        builder.AddProcessor();
        builder.AddMonitor();
        builder.AddApi();
        if (commandLine.ExitWhenDone)
        {
            builder.Services.AddHostedService<ReplayToCompletion>();
        }
    }

    /// <summary>Health endpoints, the Api with its dashboard, and the Monitor's API.</summary>
    public static WebApplication MapStandalone(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapDefaultEndpoints();
        app.MapApi();
        app.MapMonitorApi();
        return app;
    }
}
