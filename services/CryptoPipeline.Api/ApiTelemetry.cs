using System.Diagnostics.Metrics;
using CryptoPipeline.ServiceDefaults;

namespace CryptoPipeline.Api;

/// <summary>The Api's <see cref="System.Diagnostics.ActivitySource"/> and <see cref="Meter"/> (<c>CryptoPipeline.Api</c>) and its instruments.</summary>
public sealed class ApiTelemetry : ServiceTelemetry
{
    public const string EventTag = "event";

    public ApiTelemetry(IMeterFactory meterFactory)
        : base("Api", meterFactory)
    {
        StreamClients = Meter.CreateUpDownCounter<long>("cryptopipeline.api.stream.clients", "{client}", "Clients connected to the live stream.");
        StreamEvents = Meter.CreateCounter<long>("cryptopipeline.api.stream.events", "{event}", "Events queued for stream clients, by event (candle, tick).");
        StreamPollDuration = Meter.CreateHistogram<double>("cryptopipeline.api.stream.poll_duration", "ms", "One look of the stream's poller for committed rows.");
    }

    public UpDownCounter<long> StreamClients { get; }

    public Counter<long> StreamEvents { get; }

    public Histogram<double> StreamPollDuration { get; }
}
