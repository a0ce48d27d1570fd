using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;

namespace CryptoPipeline.ServiceDefaults;

/// <summary>
/// Completes ASP.NET Core 10's request span with what .NET 11 adds natively and the OpenTelemetry
/// instrumentation package (unavailable here) would add: <c>http.route</c>, <c>http.response.status_code</c>,
/// <c>error.type</c> and the <c>GET /route/{id}</c> span name. ASP.NET Core 10 itself only sets the tags known
/// when the request starts (method, path, scheme, server).
/// </summary>
internal sealed class RequestSpanCompletion : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(CompleteRequestSpan);
        next(app);
    };

    private static async Task CompleteRequestSpan(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (Exception exception)
        {
            Complete(context, exception);
            throw;
        }

        Complete(context, exception: null);
    }

    private static void Complete(HttpContext context, Exception? exception)
    {
        if (context.Features.Get<IHttpActivityFeature>()?.Activity is not { IsAllDataRequested: true } span)
        {
            return;
        }

        var status = exception is null ? context.Response.StatusCode : StatusCodes.Status500InternalServerError;
        span.SetTag("http.response.status_code", status);
        if (context.GetEndpoint()?.Metadata.GetMetadata<IRouteDiagnosticsMetadata>()?.Route is { } route)
        {
            span.SetTag("http.route", route);
            span.DisplayName = $"{context.Request.Method} {route}";
        }

        if (exception is not null)
        {
            span.SetTag("error.type", exception.GetType().FullName);
            span.SetStatus(ActivityStatusCode.Error, exception.Message);
        }
        else if (status >= StatusCodes.Status500InternalServerError)
        {
            span.SetTag("error.type", status.ToString(CultureInfo.InvariantCulture));
            span.SetStatus(ActivityStatusCode.Error);
        }
    }
}
