using System.Net;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace CryptoPipeline.Monitor.Alerts;

/// <summary>The JSON an alert webhook receives. <c>text</c> makes it readable as a Slack-style incoming webhook too.</summary>
public sealed record AlertWebhookPayload(
    string Text,
    string Event,
    long AlertId,
    string Rule,
    string Subject,
    string Severity,
    DateTimeOffset RaisedAt,
    DateTimeOffset? ResolvedAt,
    string Summary,
    JsonObject Detail,
    string Source);

/// <summary>
/// Sends alert events to <see cref="AlertOptions.WebhookUrl"/>, one at a time in the order they happened, each with
/// up to <see cref="AlertOptions.WebhookMaxAttempts"/> attempts and exponential backoff (honouring Retry-After) on
/// network errors, timeouts, 408, 429 and 5xx. The queue is bounded: while the receiver is away for long, the oldest
/// events are dropped and logged, so alerting never holds up the jobs.
/// </summary>
internal sealed partial class AlertWebhook : BackgroundService
{
    public const string HttpClientName = "CryptoPipeline.Monitor.AlertWebhook";
    private const int Capacity = 1_000;

    private readonly IHttpClientFactory _httpClients;
    private readonly IOptions<AlertOptions> _options;
    private readonly MonitorTelemetry _telemetry;
    private readonly TimeProvider _time;
    private readonly ILogger<AlertWebhook> _logger;
    private readonly Channel<AlertEvent> _queue;

    // Read when first needed: the host builds its hosted services before it validates the options.
    private readonly Lazy<Uri?> _url;

    public AlertWebhook(IHttpClientFactory httpClients, IOptions<AlertOptions> options, MonitorTelemetry telemetry, TimeProvider time, ILogger<AlertWebhook> logger)
    {
        _httpClients = httpClients;
        _options = options;
        _telemetry = telemetry;
        _time = time;
        _logger = logger;
        _url = new(() => string.IsNullOrWhiteSpace(options.Value.WebhookUrl) ? null : new Uri(options.Value.WebhookUrl.Trim()));
        _queue = Channel.CreateBounded<AlertEvent>(
            new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest },
            dropped =>
            {
                Count("dropped");
                LogDropped(dropped.Rule, dropped.Subject, dropped.Event);
            });
    }

    /// <summary>Queues <paramref name="alertEvent"/> for delivery; does nothing without a webhook URL.</summary>
    public void Enqueue(AlertEvent alertEvent)
    {
        if (_url.Value is not null && !_queue.Writer.TryWrite(alertEvent))
        {
            LogDropped(alertEvent.Rule, alertEvent.Subject, alertEvent.Event);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_url.Value is not { } url)
        {
            return;
        }

        try
        {
            await foreach (var alertEvent in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                await DeliverAsync(url, alertEvent, _options.Value, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: what is still queued is lost, as the log says for each dropped event above.
        }
    }

    private async Task DeliverAsync(Uri url, AlertEvent alertEvent, AlertOptions options, CancellationToken stoppingToken)
    {
        var payload = new AlertWebhookPayload(
            $"[{alertEvent.Severity.ToUpperInvariant()}] {alertEvent.Rule} {alertEvent.Subject} {alertEvent.Event}: {alertEvent.Summary}",
            alertEvent.Event,
            alertEvent.AlertId,
            alertEvent.Rule,
            alertEvent.Subject,
            alertEvent.Severity,
            alertEvent.RaisedAt,
            alertEvent.ResolvedAt,
            alertEvent.Summary,
            alertEvent.Detail,
            MonitorTelemetry.ServiceName);
        var delay = options.WebhookFirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            TimeSpan? retryAfter = null;
            string problem;
            try
            {
                using var attemptTimeout = new CancellationTokenSource(options.WebhookTimeout, _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, attemptTimeout.Token);
                using var response = await _httpClients.CreateClient(HttpClientName)
                    .PostAsJsonAsync(url, payload, MonitorJsonContext.Default.AlertWebhookPayload, linked.Token);
                if (response.IsSuccessStatusCode)
                {
                    Count("delivered");
                    LogDelivered(alertEvent.Rule, alertEvent.Subject, alertEvent.Event, attempt);
                    return;
                }

                problem = $"HTTP {(int)response.StatusCode}";
                if (!IsRetryable(response.StatusCode))
                {
                    Count("failed");
                    LogRejected(alertEvent.Rule, alertEvent.Subject, alertEvent.Event, problem);
                    return;
                }

                retryAfter = response.Headers.RetryAfter?.Delta
                    ?? (response.Headers.RetryAfter?.Date is { } date ? date - _time.GetUtcNow() : null);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !stoppingToken.IsCancellationRequested)
            {
                problem = e is OperationCanceledException ? $"no answer within {options.WebhookTimeout}" : e.Message;
            }

            if (attempt >= options.WebhookMaxAttempts)
            {
                Count("failed");
                LogGaveUp(alertEvent.Rule, alertEvent.Subject, alertEvent.Event, attempt, problem);
                return;
            }

            var wait = retryAfter is { } asked && asked > TimeSpan.Zero
                ? (asked < options.WebhookMaxRetryDelay ? asked : options.WebhookMaxRetryDelay)
                : delay;
            LogRetrying(alertEvent.Rule, alertEvent.Subject, attempt, problem, wait);
            await Task.Delay(wait, _time, stoppingToken);
            delay = delay * 2 < options.WebhookMaxRetryDelay ? delay * 2 : options.WebhookMaxRetryDelay;
        }
    }

    private static bool IsRetryable(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    private void Count(string outcome) => _telemetry.WebhookDeliveries.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    [LoggerMessage(Level = LogLevel.Debug, Message = "Alert webhook: {Rule} {Subject} {Event} delivered (attempt {Attempt})")]
    private partial void LogDelivered(string rule, string subject, string @event, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert webhook: {Rule} {Subject} attempt {Attempt} failed ({Problem}); retrying in {Delay}")]
    private partial void LogRetrying(string rule, string subject, int attempt, string problem, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "Alert webhook: gave up on {Rule} {Subject} {Event} after {Attempts} attempts ({Problem}) (Monitor:Alerts:WebhookMaxAttempts)")]
    private partial void LogGaveUp(string rule, string subject, string @event, int attempts, string problem);

    [LoggerMessage(Level = LogLevel.Error, Message = "Alert webhook: the receiver refused {Rule} {Subject} {Event} ({Problem}); not retried")]
    private partial void LogRejected(string rule, string subject, string @event, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert webhook: dropped {Rule} {Subject} {Event}: the queue is full or closed")]
    private partial void LogDropped(string rule, string subject, string @event);
}
