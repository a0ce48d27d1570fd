using System.Diagnostics;
using System.Text;
using Confluent.Kafka;

namespace CryptoPipeline.Kafka;

/// <summary>
/// W3C trace context (<c>traceparent</c>, <c>tracestate</c>) in Kafka message headers, so one
/// trace runs from the exchange message through Kafka to the database commit.
/// </summary>
public static class KafkaTraceContext
{
    public const string TraceParentHeader = "traceparent";
    public const string TraceStateHeader = "tracestate";

    /// <summary>
    /// Writes <paramref name="activity"/>'s context into <paramref name="headers"/>, replacing any
    /// context already there (a forwarded message continues the current trace). Does nothing
    /// without an activity or for the legacy hierarchical id format, which W3C cannot express.
    /// </summary>
    public static void Inject(Activity? activity, Headers headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (activity is null || activity.IdFormat != ActivityIdFormat.W3C)
        {
            return;
        }

        var flags = activity.ActivityTraceFlags.HasFlag(ActivityTraceFlags.Recorded) ? "01" : "00";
        headers.Remove(TraceParentHeader);
        headers.Remove(TraceStateHeader);
        headers.Add(TraceParentHeader, Encoding.ASCII.GetBytes($"00-{activity.TraceId.ToHexString()}-{activity.SpanId.ToHexString()}-{flags}"));
        if (!string.IsNullOrEmpty(activity.TraceStateString))
        {
            headers.Add(TraceStateHeader, Encoding.ASCII.GetBytes(activity.TraceStateString));
        }
    }

    /// <summary>
    /// Reads the remote parent context a producer injected, to start the consumer's activity
    /// under it. False when the headers carry no valid <c>traceparent</c>.
    /// </summary>
    public static bool TryExtract(Headers? headers, out ActivityContext context)
    {
        context = default;
        if (headers is null || !headers.TryGetLastBytes(TraceParentHeader, out var traceParent) || traceParent is null)
        {
            return false;
        }

        var traceState = headers.TryGetLastBytes(TraceStateHeader, out var state) && state is not null
            ? Encoding.ASCII.GetString(state)
            : null;
        return ActivityContext.TryParse(Encoding.ASCII.GetString(traceParent), traceState, isRemote: true, out context);
    }
}
