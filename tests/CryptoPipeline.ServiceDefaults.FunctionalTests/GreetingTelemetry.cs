using System.Diagnostics.Metrics;

namespace CryptoPipeline.ServiceDefaults.FunctionalTests;

/// <summary>A service's telemetry as a real service declares it: one source, one meter, its instruments.</summary>
internal sealed class GreetingTelemetry : ServiceTelemetry
{
    public const string SpanName = "greeting.compose";
    public const string CounterName = "greeting.composed";

    public GreetingTelemetry(IMeterFactory meterFactory)
        : base("FunctionalTests", meterFactory)
    {
        Greetings = Meter.CreateCounter<long>(CounterName, description: "Greetings composed.");
    }

    public Counter<long> Greetings { get; }
}
