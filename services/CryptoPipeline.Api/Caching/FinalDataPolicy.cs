using Microsoft.AspNetCore.OutputCaching;
using Microsoft.Extensions.Options;

namespace CryptoPipeline.Api;

/// <summary>
/// Output caching for requests whose <c>to</c> lies at least <see cref="ApiOptions.FinalAfter"/> in the past: their
/// candles are final, so repeating the query gives the same answer (an answer holding a candle that is not final is not
/// stored: an old range can still be open during a replay of old data). Entries expire after
/// <see cref="ApiOptions.FinalDataCacheDuration"/>, which bounds how long a rare late firing stays unseen. Requests
/// about the present are never cached. Responses vary by every query parameter and by Accept (JSON or CSV).
/// </summary>
internal sealed class FinalDataPolicy(IOptions<ApiOptions> options, TimeProvider time) : IOutputCachePolicy
{
    public const string Name = "final-data";

    public ValueTask CacheRequestAsync(OutputCacheContext context, CancellationToken cancellation)
    {
        var request = context.HttpContext.Request;
        var final = HttpMethods.IsGet(request.Method)
            && ApiParameters.TryParseTimestamp(request.Query["to"], out var to)
            && to <= time.GetUtcNow() - options.Value.FinalAfter;
        context.EnableOutputCaching = true;
        context.AllowCacheLookup = final;
        context.AllowCacheStorage = final;
        context.AllowLocking = true;
        context.ResponseExpirationTimeSpan = options.Value.FinalDataCacheDuration;
        context.CacheVaryByRules.QueryKeys = "*";
        context.CacheVaryByRules.HeaderNames = "Accept";
        return ValueTask.CompletedTask;
    }

    public ValueTask ServeFromCacheAsync(OutputCacheContext context, CancellationToken cancellation) => ValueTask.CompletedTask;

    public ValueTask ServeResponseAsync(OutputCacheContext context, CancellationToken cancellation)
    {
        if (context.HttpContext.Response.StatusCode != StatusCodes.Status200OK)
        {
            context.AllowCacheStorage = false;
        }

        return ValueTask.CompletedTask;
    }
}
