namespace CryptoPipeline.Ingest.Publishing;

/// <summary>
/// Sees every raw frame a live Binance feed receives, before parsing (combined-stream JSON, as Binance sent it).
/// The recorder behind it writes the recorded-feed format that <c>replay</c> reads. Implementations copy the
/// frame and return at once: a feed never waits for an observer.
/// </summary>
public interface IRawFrameObserver
{
    /// <summary>One frame of <paramref name="exchange"/> (<c>binance</c> or <c>binance-usdm</c>; recordings are kept apart per exchange).</summary>
    void OnFrame(string exchange, ReadOnlySpan<byte> frame, DateTimeOffset receivedAt);
}
