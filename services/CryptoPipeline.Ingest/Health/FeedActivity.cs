using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using CryptoPipeline.Contracts;

namespace CryptoPipeline.Ingest.Health;

/// <summary>
/// When each exchange and symbol last delivered a trade, quote or price tick to the publisher: the
/// <c>cryptopipeline.ingest.last_trade_age</c> gauge and the feed staleness the health check reports.
/// </summary>
public sealed class FeedActivity
{
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, SymbolActivity> _symbols = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ExchangeActivity> _exchanges = new(StringComparer.Ordinal);
    private readonly List<(FeedExpectation Expectation, long Since)> _expected;

    public FeedActivity(TimeProvider time, IngestTelemetry telemetry, IEnumerable<FeedExpectation> expectations)
    {
        _time = time;

        // Silence counts from start-up until a feed's first message.
        var now = time.GetTimestamp();
        _expected = [.. expectations.Select(e => (e, now))];

        telemetry.Meter.CreateObservableGauge(
            "cryptopipeline.ingest.last_trade_age",
            ObserveTradeAges,
            "s",
            "Seconds since the last trade of each exchange and symbol reached the publisher.");
    }


    /// <summary>Called by the publisher for every message it accepts; <paramref name="key"/> is <c>exchange:symbol</c>.</summary>
    internal void Observe(string key, string exchange, string symbol, string topic)
    {
        var activity = _symbols.TryGetValue(key, out var known) ? known : _symbols.GetOrAdd(key, _ => new SymbolActivity(exchange, symbol, _exchanges.GetOrAdd(exchange, _ => new ExchangeActivity())));
        var now = _time.GetTimestamp();
        switch (topic)
        {
            case Topics.RawTrades:
                Volatile.Write(ref activity.LastTrade, now);
                Volatile.Write(ref activity.Exchange.LastTrade, now);
                break;
            case Topics.Quotes:
                Volatile.Write(ref activity.Exchange.LastQuote, now);
                break;
            default:
                Volatile.Write(ref activity.Exchange.LastTick, now);
                break;
        }
    }

    /// <summary>Every watched feed with how long it has been silent.</summary>
    public IReadOnlyList<FeedSilence> Check()
    {
        var result = new List<FeedSilence>(_expected.Count);
        foreach (var (expectation, since) in _expected)
        {
            var last = since;
            if (_exchanges.TryGetValue(expectation.Exchange, out var exchange))
            {
                foreach (var topic in expectation.Topics)
                {
                    last = Math.Max(last, exchange.Last(topic));
                }
            }

            result.Add(new FeedSilence(expectation, _time.GetElapsedTime(last)));
        }

        return result;
    }

    private IEnumerable<Measurement<double>> ObserveTradeAges()
    {
        foreach (var activity in _symbols.Values)
        {
            var last = Volatile.Read(ref activity.LastTrade);
            if (last != 0)
            {
                yield return new Measurement<double>(
                    _time.GetElapsedTime(last).TotalSeconds,
                    new(IngestTelemetry.ExchangeTag, activity.ExchangeName),
                    new(IngestTelemetry.SymbolTag, activity.Symbol));
            }
        }
    }

    private sealed class SymbolActivity(string exchangeName, string symbol, ExchangeActivity exchange)
    {
        public long LastTrade;

        public string ExchangeName { get; } = exchangeName;

        public string Symbol { get; } = symbol;

        public ExchangeActivity Exchange { get; } = exchange;
    }

    private sealed class ExchangeActivity
    {
        public long LastTrade;
        public long LastQuote;
        public long LastTick;

        public long Last(string topic) => topic switch
        {
            Topics.RawTrades => Volatile.Read(ref LastTrade),
            Topics.Quotes => Volatile.Read(ref LastQuote),
            _ => Volatile.Read(ref LastTick),
        };
    }
}

/// <summary>A watched feed and how long it has delivered nothing.</summary>
public readonly record struct FeedSilence(FeedExpectation Expectation, TimeSpan Silence)
{
    public bool IsStale => Silence > Expectation.MaxSilence;
}
