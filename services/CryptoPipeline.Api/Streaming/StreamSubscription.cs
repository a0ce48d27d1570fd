using System.Net.ServerSentEvents;
using System.Threading.Channels;

namespace CryptoPipeline.Api;

/// <summary>
/// What one stream client listens to: the ticks of every instrument of <see cref="Exchange"/>, and the candles of
/// <see cref="Symbol"/> at <see cref="Interval"/> when it names a symbol. Its events wait in a bounded queue; a client
/// that falls behind loses the oldest, which later events of the same candle or ticker supersede.
/// </summary>
internal sealed class StreamSubscription(string exchange, string? symbol, CandleInterval interval, int buffer)
{
    public string Exchange { get; } = exchange;

    public string? Symbol { get; } = symbol;

    public CandleInterval Interval { get; } = interval;

    public Channel<SseItem<string>> Events { get; } = Channel.CreateBounded<SseItem<string>>(
        new BoundedChannelOptions(buffer) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    public bool WantsCandles(string exchange, string symbol) =>
        string.Equals(Exchange, exchange, StringComparison.Ordinal) && string.Equals(Symbol, symbol, StringComparison.Ordinal);

    public bool WantsTicks(string exchange) => string.Equals(Exchange, exchange, StringComparison.Ordinal);
}
