using CryptoPipeline.FaultInjection.Tests.Infrastructure;
using CryptoPipeline.Testing;

namespace CryptoPipeline.FaultInjection.Tests.Scenarios;

/// <summary>
/// Scenario 5: the exchange drops every connection without a closing handshake and a range of trade ids after the
/// drop never goes out on the socket (the market moves past them; REST serves them): the back-fill must fill it.
/// </summary>
[Collection(FaultScenarios.Name)]
public sealed class ExchangeGapTests(PostgresFixture postgres)
{
    [Fact]
    public Task Connection_dropped_and_trade_ids_skipped_are_backfilled_so_every_trade_is_counted_once() =>
        ScenarioRunner.RunAsync("exchange drop + skipped ids", postgres, async context =>
        {
            foreach (var point in context.FaultPoints())
            {
                var (_, server) = context.Pipeline.Feeds[context.Random.Next(context.Pipeline.Feeds.Count)];
                var symbols = server.Recording.Symbols.Order(StringComparer.Ordinal).ToList();
                var symbol = symbols[context.Random.Next(symbols.Count)];
                var trades = server.Recording.Trades(symbol);

                // The drop comes after a trade at the point's share of the recording, or later when the market is past it.
                var ahead = trades.ToList().FindIndex(t => t.MessageIndex > server.ReplayPosition + 100);
                var at = Math.Max((int)(trades.Count * point), ahead);
                var skipped = context.Random.Next(20, context.Suite.IsFull ? 2_000 : 400);
                if (ahead < 0 || at + skipped + 1 >= trades.Count)
                {
                    ScenarioContext.Log($"{symbol}: the market is too far on for another gap");
                    break;
                }

                var dropAfter = trades[at];
                var (first, last) = (trades[at + 1].Id, trades[at + skipped].Id);
                server.Faults.SkipOnSocket(symbol, first, last);
                server.Faults.DropConnectionsAfter(symbol, dropAfter.Id);
                await Eventually.Until(
                    () => Task.FromResult(server.ReplayPosition),
                    position => position > dropAfter.MessageIndex,
                    TimeSpan.FromSeconds(180),
                    $"the market to pass trade {dropAfter.Id}",
                    context.Cancellation);
                var fault = await context.FaultStartingAsync();
                ScenarioContext.Log($"{server.Market.RestPrefix} dropped every connection after {symbol} trade {dropAfter.Id}; ids {first}..{last} skipped on the socket");
                context.FaultOver(fault);
            }
        });
}
