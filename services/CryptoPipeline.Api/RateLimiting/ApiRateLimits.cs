using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace CryptoPipeline.Api;

/// <summary>
/// The per-client limit on the API groups: <see cref="RateLimitOptions.PermitLimit"/> requests per
/// <see cref="RateLimitOptions.Window"/> and remote IP address, then 429 with <c>Retry-After</c> and a ProblemDetails
/// that names the setting. Behind a reverse proxy every client shares the proxy's address unless the host applies
/// forwarded headers first.
/// </summary>
internal static class ApiRateLimits
{
    public const string Policy = "api-per-client";

    public static void Configure(RateLimiterOptions limiter)
    {
        limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        limiter.AddPolicy(Policy, context =>
        {
            var settings = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
            return RateLimitPartition.GetFixedWindowLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = settings.PermitLimit, Window = settings.Window, QueueLimit = 0 });
        });
        limiter.OnRejected = async (rejected, cancellationToken) =>
        {
            var context = rejected.HttpContext;
            var settings = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
            var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : settings.Window;
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = new ProblemDetails
                {
                    Status = StatusCodes.Status429TooManyRequests,
                    Title = "Too many requests",
                    Detail = $"At most {settings.PermitLimit} requests per {settings.Window.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s per client " +
                        "(Api:RateLimit:PermitLimit, Api:RateLimit:Window); retry after the Retry-After header's seconds.",
                },
            });
        };
    }
}
