using CryptoPipeline.Database.Migrations;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CryptoPipeline.Database.Hosting;

/// <summary>
/// Migrates the database before anything else in the host starts (<see cref="StartingAsync"/> runs
/// ahead of every hosted service's StartAsync, and the web server starts last), so a service never
/// serves or consumes against an old schema. PostgreSQL that is not reachable yet is retried with
/// backoff until <see cref="CryptoDatabaseOptions.MigrationTimeout"/>; any other failure stops start-up.
/// </summary>
internal sealed class DatabaseMigrationService(
    IOptions<CryptoDatabaseOptions> options,
    ILogger<DatabaseMigrator> logger,
    TimeProvider timeProvider) : IHostedLifecycleService
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var target = new NpgsqlConnectionStringBuilder(settings.ConnectionString);
        var migrator = new DatabaseMigrator(logger);

        using var timeout = new CancellationTokenSource(settings.MigrationTimeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var delay = FirstRetryDelay;
        Exception? lastError = null;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await migrator.MigrateAsync(settings.ConnectionString!, linked.Token);
                return;
            }
            catch (Exception e) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw TimedOut(settings, target, e is OperationCanceledException ? lastError ?? e : e);
            }
            catch (NpgsqlException e) when (e.IsTransient)
            {
                lastError = e;
                logger.LogWarning(
                    "PostgreSQL at {Host}:{Port} is not reachable yet (attempt {Attempt}: {Error}); retrying in {DelayMs} ms",
                    target.Host, target.Port, attempt, e.Message, (int)delay.TotalMilliseconds);
            }

            try
            {
                await Task.Delay(delay, timeProvider, linked.Token);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw TimedOut(settings, target, lastError);
            }

            // Jitter keeps several replicas that failed together from retrying in lockstep.
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, MaxRetryDelay.TotalMilliseconds) * (0.8 + (0.4 * Random.Shared.NextDouble())));
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static TimeoutException TimedOut(CryptoDatabaseOptions settings, NpgsqlConnectionStringBuilder target, Exception? lastError) =>
        new($"PostgreSQL migrations of database {target.Database} at {target.Host}:{target.Port} did not complete within " +
            $"{settings.MigrationTimeout} ({CryptoDatabaseOptions.SectionName}:{nameof(CryptoDatabaseOptions.MigrationTimeout)})" +
            (lastError is null ? "." : $"; last error: {lastError.Message}"),
            lastError);
}
