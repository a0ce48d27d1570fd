using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace CryptoPipeline.ServiceDefaults;

/// <summary>
/// A service's one <see cref="ActivitySource"/> and one <see cref="Meter"/>, both named
/// <c>CryptoPipeline.&lt;Service&gt;</c>, which <see cref="OpenTelemetryDefaults"/> subscribes to.
/// Each service derives its own class (so Standalone can hold them all in one container) and declares its
/// instruments there: <c>sealed class ProcessorTelemetry(IMeterFactory meters) : ServiceTelemetry("Processor", meters)</c>.
/// </summary>
public abstract class ServiceTelemetry : IDisposable
{
    public const string NamePrefix = "CryptoPipeline.";

    protected ServiceTelemetry(string service, IMeterFactory meterFactory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(service);
        ArgumentNullException.ThrowIfNull(meterFactory);
        Name = NamePrefix + service;
        ActivitySource = new ActivitySource(Name);

        // Meters from the container's factory are disposed with the container, so hosts in one process
        // (Standalone, tests) do not share instruments.
        Meter = meterFactory.Create(Name);
    }

    /// <summary><c>CryptoPipeline.&lt;Service&gt;</c>.</summary>
    public string Name { get; }

    public ActivitySource ActivitySource { get; }

    public Meter Meter { get; }

    public void Dispose()
    {
        ActivitySource.Dispose();
        GC.SuppressFinalize(this);
    }
}
