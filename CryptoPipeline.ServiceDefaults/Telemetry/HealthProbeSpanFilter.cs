using System.Diagnostics;
using OpenTelemetry;

namespace CryptoPipeline.ServiceDefaults;

/// <summary>
/// Keeps health and liveness probes out of exported traces: orchestrators poll them every few seconds,
/// which would bury the pipeline's own spans. Their request metrics stay.
/// </summary>
internal sealed class HealthProbeSpanFilter : BaseProcessor<Activity>
{
    public override void OnEnd(Activity data)
    {
        if (data.Kind == ActivityKind.Server
            && data.GetTagItem("http.route") is HealthEndpoints.HealthPath or HealthEndpoints.AlivePath)
        {
            // Export processors skip activities that are not recorded; this one runs before them.
            data.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
        }
    }
}
