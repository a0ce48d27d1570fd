using System.Net;
using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.Feeds;
using CryptoPipeline.Ingest.Publishing;

namespace CryptoPipeline.Ingest.Polling;

/// <summary>
/// A REST price source polled at a fixed rate, as the original systems did: each answer becomes price ticks on
/// <c>prices</c>. A rate-limit answer (429, or Binance's 418 ban) waits as long as the server's
/// <c>Retry-After</c> says, else backs off exponentially from the interval; so do failures, which are logged.
/// </summary>
internal abstract partial class PricePoller(
    string exchange,
    IHttpClientFactory httpClients,
    string httpClientName,
    IMarketDataSink sink,
    BadInputLog badInput,
    IngestTelemetry telemetry,
    TimeProvider time,
    ILogger logger) : BackgroundService
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(10);

    private readonly List<PriceTick> _ticks = [];
    private readonly List<(string Kind, string Detail)> _defects = [];

    /// <summary>Time between polls; read when polling starts, after the host validated the options.</summary>
    protected abstract TimeSpan Interval { get; }

    protected abstract Uri RequestUri { get; }

    protected virtual void Prepare(HttpRequestMessage request)
    {
    }

    /// <summary>Reads an answer into ticks; what is wrong with parts of it goes to the defects.</summary>
    protected abstract void Parse(ReadOnlySpan<byte> body, DateTimeOffset polledAt, List<PriceTick> ticks, List<(string Kind, string Detail)> defects);

    /// <summary>False for a tick that repeats what was already published (a cached answer).</summary>
    protected virtual bool IsNew(PriceTick tick) => true;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = Interval;
        var http = httpClients.CreateClient(httpClientName);
        var backoff = new ReconnectBackoff(interval, interval > MaxBackoff ? interval : MaxBackoff, Random.Shared);
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            var started = time.GetTimestamp();
            TimeSpan? pause;
            try
            {
                pause = await PollAsync(http, backoff, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                pause = backoff.Next();
                LogFailed(exchange, e.Message, pause.Value.TotalSeconds);
            }

            var wait = pause ?? interval - time.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>One poll; a pause longer than the interval when the server asked for one.</summary>
    private async Task<TimeSpan?> PollAsync(HttpClient http, ReconnectBackoff backoff, CancellationToken stoppingToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, RequestUri);
        Prepare(request);
        using var response = await http.SendAsync(request, stoppingToken);
        if (response.StatusCode is HttpStatusCode.TooManyRequests or (HttpStatusCode)418)
        {
            var pause = RetryAfter(response) ?? backoff.Next();
            telemetry.CountMessage(exchange, "rate-limited");
            LogRateLimited(exchange, (int)response.StatusCode, pause.TotalSeconds);
            return pause;
        }

        if (!response.IsSuccessStatusCode)
        {
            var pause = backoff.Next();
            LogFailed(exchange, $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}", pause.TotalSeconds);
            return pause;
        }

        backoff.Reset();
        var body = await response.Content.ReadAsByteArrayAsync(stoppingToken);
        var polledAt = time.GetUtcNow();
        _ticks.Clear();
        _defects.Clear();
        Parse(body, polledAt, _ticks, _defects);
        foreach (var (kind, detail) in _defects)
        {
            badInput.Report(exchange, kind, detail, body);
        }

        foreach (var tick in _ticks)
        {
            telemetry.CountMessage(exchange, "price");
            if (IsNew(tick))
            {
                await sink.PublishAsync(tick, stoppingToken);
            }
        }

        return null;
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response) =>
        response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } when date > time.GetUtcNow() => date - time.GetUtcNow(),
            _ => null,
        };

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Exchange} answered {Status} (rate limit); pausing polls for {Seconds:0.#} s.")]
    private partial void LogRateLimited(string exchange, int status, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Polling {Exchange} failed ({Problem}); next try in {Seconds:0.#} s.")]
    private partial void LogFailed(string exchange, string problem, double seconds);
}
