using CryptoPipeline.Ingest.Publishing;
using CryptoPipeline.ServiceDefaults;

namespace CryptoPipeline.Ingest.Recording;

public static class RecordingServiceCollectionExtensions
{
    /// <summary>
    /// When <c>Ingest:Recording:Directory</c> is set, registers the <see cref="IRawFrameObserver"/> that records the
    /// live Binance feeds there; otherwise nothing. Register it before the feeds: hosted services stop in reverse
    /// order, so the feeds stop first and the recorder still writes the frames they handed over.
    /// </summary>
    public static IServiceCollection AddFeedRecording(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (string.IsNullOrWhiteSpace(configuration[$"{RecordingOptions.SectionName}:{nameof(RecordingOptions.Directory)}"]))
        {
            return services;
        }

        services.AddValidatedOptions<RecordingOptions>(configuration, RecordingOptions.SectionName);
        services.AddSingleton<FeedRecorder>();
        services.AddSingleton<IRawFrameObserver>(sp => sp.GetRequiredService<FeedRecorder>());
        services.AddHostedService(sp => sp.GetRequiredService<FeedRecorder>());
        return services;
    }
}
