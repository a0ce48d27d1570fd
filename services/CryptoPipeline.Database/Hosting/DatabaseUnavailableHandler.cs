using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CryptoPipeline.Database.Hosting;

/// <summary>
/// Answers 503 with a ProblemDetails, instead of 500, while PostgreSQL cannot be reached: register it
/// with <c>services.AddExceptionHandler&lt;DatabaseUnavailableHandler&gt;()</c> in services that serve HTTP.
/// </summary>
public sealed partial class DatabaseUnavailableHandler(IProblemDetailsService problems, ILogger<DatabaseUnavailableHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not NpgsqlException { IsTransient: true })
        {
            return false;
        }

        LogUnavailable(httpContext.Request.Path, exception.Message);
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = "5";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Database unavailable",
                Detail = "PostgreSQL (ConnectionStrings:cryptodb) cannot be reached right now; try again shortly.",
            },
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Path} answered 503: PostgreSQL is unavailable ({Error})")]
    private partial void LogUnavailable(string path, string error);
}
