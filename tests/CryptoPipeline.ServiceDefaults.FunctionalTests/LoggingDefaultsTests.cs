using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CryptoPipeline.ServiceDefaults.FunctionalTests;

public sealed class LoggingDefaultsTests
{
    [Fact]
    public async Task Npgsql_command_logs_are_quiet_by_default()
    {
        await using var service = await TestService.StartAsync([]);
        var loggers = service.App.Services.GetRequiredService<ILoggerFactory>();

        Assert.False(loggers.CreateLogger("Npgsql.Command").IsEnabled(LogLevel.Information));
        Assert.True(loggers.CreateLogger("Npgsql.Command").IsEnabled(LogLevel.Warning));
        Assert.True(loggers.CreateLogger("CryptoPipeline.Anything").IsEnabled(LogLevel.Information));
    }

    [Fact]
    public async Task Configuration_overrides_the_default_log_levels()
    {
        await using var service = await TestService.StartAsync([new("Logging:LogLevel:Npgsql", "Debug")]);
        var loggers = service.App.Services.GetRequiredService<ILoggerFactory>();

        Assert.True(loggers.CreateLogger("Npgsql.Command").IsEnabled(LogLevel.Debug));
    }
}
