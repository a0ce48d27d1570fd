using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace CryptoPipeline.Database.Hosting;

/// <summary>Healthy when PostgreSQL answers <c>SELECT 1</c>; the health check service reports any exception as unhealthy.</summary>
internal sealed class PostgresHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("SELECT 1");
        await command.ExecuteScalarAsync(cancellationToken);
        return HealthCheckResult.Healthy();
    }
}
