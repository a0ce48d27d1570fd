using System.Collections.Concurrent;
using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.Publishing;

namespace CryptoPipeline.Ingest.FunctionalTests.Binance;

/// <summary>The boundary the feeds publish to, keeping what arrives in arrival order.</summary>
internal sealed class CollectingSink : IMarketDataSink
{
    private readonly ConcurrentQueue<Trade> _trades = new();
    private readonly ConcurrentQueue<Quote> _quotes = new();

    public IReadOnlyList<Trade> Trades => [.. _trades];

    public IReadOnlyList<Quote> Quotes => [.. _quotes];

    public IReadOnlyList<Trade> TradesOf(string symbol) => [.. _trades.Where(t => t.Symbol == symbol)];

    public ValueTask PublishAsync(Trade trade, CancellationToken cancellationToken)
    {
        _trades.Enqueue(trade);
        return ValueTask.CompletedTask;
    }

    public ValueTask PublishAsync(Quote quote, CancellationToken cancellationToken)
    {
        _quotes.Enqueue(quote);
        return ValueTask.CompletedTask;
    }

    public ValueTask PublishAsync(PriceTick tick, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("The Binance feeds publish no price ticks.");

    public ValueTask PublishEndOfInputAsync(CancellationToken cancellationToken) =>
        throw new InvalidOperationException("A live feed has no end of input.");
}
