using System.Text;
using System.Text.Json;
using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.Publishing;

namespace CryptoPipeline.Ingest.Binance;

/// <summary>
/// Recovers missing trade ids of one market over REST (<c>historicalTrades</c>, paged from the first missing id) and
/// records how a gap ended. The live shards use it for the gaps they see and gap repair for the gaps the Monitor asks
/// about, so both fetch, decide and record alike.
/// </summary>
internal sealed class BinanceBackfill(BinanceRestClient rest, IngestTelemetry telemetry, TimeProvider time, ILogger logger)
{
    /// <summary>Tries per back-fill step before the gap is given up (REST errors, or REST not yet serving the ids).</summary>
    private const int Attempts = 4;

    private const int MaxRangesShown = 5;

    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    public BinanceMarket Market => rest.Market;

    public string Exchange => rest.Market.Exchange;

    /// <summary>Pages through historicalTrades from <paramref name="fromId"/> until <paramref name="lastId"/> is covered.</summary>
    public async Task<BackfillResult> FetchAsync(string symbol, long fromId, long lastId, CancellationToken cancellationToken)
    {
        var trades = new List<Trade>();
        var covered = fromId - 1;
        var next = fromId;
        var failures = 0;
        var waits = 0;
        while (next <= lastId)
        {
            List<Trade> page;
            try
            {
                page = await rest.GetHistoricalTradesAsync(symbol, next, cancellationToken);
            }
            catch (Exception e) when (e is HttpRequestException or JsonException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                if (++failures >= Attempts)
                {
                    return new BackfillResult(trades, covered, $"REST failed {failures} times, last: {e.Message}");
                }

                await Task.Delay(RetryDelay * Math.Pow(2, failures - 1), time, cancellationToken);
                continue;
            }

            var highest = page.Count == 0 ? long.MinValue : page.Max(t => t.TradeId);
            trades.AddRange(page.Where(t => t.TradeId >= next && t.TradeId <= lastId));
            if (highest >= next)
            {
                covered = highest;
                next = highest + 1;
                if (page.Count >= Market.HistoricalTradesLimit)
                {
                    continue;
                }
            }

            if (next > lastId)
            {
                break;
            }

            // REST serves from a database that can trail the stream by a moment.
            if (++waits >= Attempts)
            {
                return new BackfillResult(trades, covered, $"REST served no trade after id {next - 1}");
            }

            await Task.Delay(RetryDelay, time, cancellationToken);
        }

        return new BackfillResult(trades, covered, Error: null);
    }

    /// <summary>
    /// Records the end of the gap <paramref name="firstId"/>..<paramref name="lastId"/> once the trades the back-fill
    /// recovered are published, <paramref name="missing"/> being the ids still absent: filled when none is; on futures
    /// also filled when REST listed trades past every missing id (insurance-fund and ADL trades, which REST never serves
    /// and futures klines leave out); unfillable, with the reason, otherwise.
    /// </summary>
    /// <returns>Whether the gap counts as filled.</returns>
    public async Task<bool> ResolveAsync(
        IIngestionJournal journal,
        string symbol,
        long firstId,
        long lastId,
        BackfillResult result,
        List<(long First, long Last)> missing,
        int backfilled,
        CancellationToken cancellationToken)
    {
        if (missing.Count == 0)
        {
            await FilledAsync(journal, symbol, firstId, lastId, backfilled, cancellationToken);
            return true;
        }

        if (Market.IsFutures && result.Error is null && missing[^1].Last <= result.CoveredThroughId)
        {
            // REST listed trades past these ids but not these: every trade a candle needs is back.
            await FilledAsync(journal, symbol, firstId, lastId, backfilled, cancellationToken);
            await journal.RecordEventAsync(
                Exchange,
                connection: null,
                BinanceEvents.NonMarketTradesUnavailable,
                $"{symbol} ids {Describe(missing)}: not served by {Market.HistoricalTradesPath}, which lists order-book trades only",
                cancellationToken);
            return true;
        }

        await UnfillableAsync(journal, symbol, firstId, lastId, result.Error ?? $"{Market.HistoricalTradesPath} did not serve ids {Describe(missing)}", cancellationToken);
        return false;
    }

    public async ValueTask FilledAsync(IIngestionJournal journal, string symbol, long firstId, long lastId, int backfilled, CancellationToken cancellationToken)
    {
        IngestTelemetry.Add(telemetry.GapsFilled, 1, Exchange, symbol);
        BinanceLog.GapFilled(logger, Exchange, symbol, firstId, lastId, backfilled);
        await journal.MarkGapFilledAsync(Exchange, symbol, firstId, lastId, cancellationToken);
    }

    public async ValueTask UnfillableAsync(IIngestionJournal journal, string symbol, long firstId, long lastId, string reason, CancellationToken cancellationToken)
    {
        BinanceLog.GapUnfillable(logger, Exchange, symbol, firstId, lastId, reason);
        await journal.MarkGapUnfillableAsync(Exchange, symbol, firstId, lastId, reason, cancellationToken);
    }

    private static string Describe(List<(long First, long Last)> ranges)
    {
        var text = new StringBuilder();
        foreach (var (first, last) in ranges.Take(MaxRangesShown))
        {
            text.Append(text.Length == 0 ? "" : ", ").Append(first);
            if (last != first)
            {
                text.Append("..").Append(last);
            }
        }

        if (ranges.Count > MaxRangesShown)
        {
            text.Append(" and ").Append(ranges.Count - MaxRangesShown).Append(" more ranges");
        }

        return text.ToString();
    }
}
