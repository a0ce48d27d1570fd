using CryptoPipeline.FakeExchange.Binance;
using CryptoPipeline.Testing;
using Npgsql;

namespace CryptoPipeline.FaultInjection.Tests.Infrastructure;

/// <summary>What the audit of one run found; <see cref="Problems"/> is empty when the run is exact.</summary>
internal sealed record AuditResult(long ExpectedTrades, long CountedTrades, long Lost, long Duplicated, IReadOnlyList<string> Problems);

/// <summary>
/// Checks the candles of a run trade by trade: every trade of the recordings counted (none lost), each once (none
/// twice), every minute's figures those of exactly its trades, the official klines on the minutes the recordings
/// cover, and the tables equal to the uninterrupted reference run's, row by row.
/// </summary>
internal static class CandleAudit
{
    /// <summary>
    /// The tables a reference run is compared on: the candles. Not the hourly rollups: an open hour is rebuilt when
    /// one of its minutes becomes final, so what it holds of the minutes still open depends on where the batches
    /// happened to end, in an uninterrupted run as much as in any other (docs/reliability.md).
    /// </summary>
    public static readonly string[] ComparedTables = ["trades_1min_agg"];

    /// <summary>
    /// Left out of the comparison besides the bookkeeping columns: <c>source</c>, the trades' provenance. A minute
    /// whose trades all came from the REST back-fill (Ingest was down for all of it) is rightly labelled
    /// <c>backfill</c>, where the uninterrupted run received them live.
    /// </summary>
    public static readonly string[] IgnoredColumns = [.. PipelineTables.RunSpecificColumns, "source"];

    private const int MaxShown = 8;

    public static async Task<AuditResult> RunAsync(Pipeline pipeline, Dictionary<string, List<string>>? reference, CancellationToken cancellationToken)
    {
        var rows = await ReadAsync(pipeline.Database, cancellationToken);
        var problems = new List<string>();
        long expectedTrades = 0, counted = 0, lost = 0, duplicated = 0;
        foreach (var feed in pipeline.Dataset.Feeds)
        {
            foreach (var (symbol, expected) in feed.ExpectedTrades)
            {
                expectedTrades += expected.Count;
                var seen = new HashSet<long>();
                foreach (var row in rows.Where(r => r.Exchange == feed.Exchange && r.Symbol == symbol))
                {
                    counted += row.TradeCount;
                    duplicated += CheckRow(row, expected, seen, problems);
                }

                var missing = expected.Keys.Where(id => !seen.Contains(id)).ToList();
                lost += missing.Count;
                if (missing.Count > 0)
                {
                    problems.Add($"{feed.Exchange} {symbol}: {missing.Count} trades lost, ids {Describe(missing)}");
                }

                foreach (var kline in Dataset.FullMinuteKlines(feed, symbol))
                {
                    var row = rows.SingleOrDefault(r => r.Exchange == feed.Exchange && r.Symbol == symbol && r.WindowStart == kline.OpenTime);
                    var actual = row is null ? null : new OfficialKline(
                        row.WindowStart, row.Open, row.High, row.Low, row.Close, row.Volume, row.QuoteVolume, row.TradeCount, row.TakerBuyVolume, row.TakerBuyQuoteVolume);
                    if (actual != kline)
                    {
                        problems.Add($"{feed.Exchange} {symbol} {kline.OpenTime:HH:mm}: candle {actual?.ToString() ?? "missing"} is not the official kline {kline}");
                    }
                }
            }
        }

        if (reference is not null)
        {
            var snapshot = await PipelineTables.SnapshotAsync(pipeline.Database, ComparedTables, IgnoredColumns, cancellationToken);
            problems.AddRange(PipelineTables.Differences(reference, snapshot).Select(d => "differs from the uninterrupted run: " + d));
        }

        return new AuditResult(expectedTrades, counted, lost, duplicated, problems);
    }

    /// <summary>Checks one minute against the recorded trades its ids name; returns how many trades it counts twice.</summary>
    private static long CheckRow(CandleRow row, SortedDictionary<long, RecordedTrade> expected, HashSet<long> seen, List<string> problems)
    {
        var where = $"{row.Exchange} {row.Symbol} {row.WindowStart:HH:mm}";
        long duplicated = 0;
        var ids = row.TradeIds.SelectMany(r => Range(r.First, r.Last)).ToList();
        if (row.TradeCount != ids.Count)
        {
            duplicated += Math.Max(0, row.TradeCount - ids.Count);
            problems.Add($"{where}: trade_count {row.TradeCount} but {ids.Count} trade ids");
        }

        var twice = ids.Where(id => !seen.Add(id)).ToList();
        if (twice.Count > 0)
        {
            duplicated += twice.Count;
            problems.Add($"{where}: {twice.Count} trades already counted in another minute, ids {Describe(twice)}");
        }

        var unknown = ids.Where(id => !expected.ContainsKey(id)).ToList();
        if (unknown.Count > 0)
        {
            problems.Add($"{where}: {unknown.Count} trade ids that are not market trades of the recording, {Describe(unknown)}");
        }

        var trades = ids.Where(expected.ContainsKey).Select(id => expected[id]).ToList();
        var elsewhere = trades.Where(t => Dataset.MinuteOf(t.TimeMs) != row.WindowStart).Select(t => t.Id).ToList();
        if (elsewhere.Count > 0)
        {
            problems.Add($"{where}: trades of other minutes, ids {Describe(elsewhere)}");
        }

        if (trades.Count == 0)
        {
            return duplicated;
        }

        var prices = trades.Select(t => Dataset.Decimal(t.Price)).ToList();
        var volume = trades.Sum(t => Dataset.Decimal(t.Quantity));
        var quoteVolume = trades.Sum(t => Dataset.Decimal(t.Price) * Dataset.Decimal(t.Quantity));
        var takers = trades.Where(t => !t.IsBuyerMaker).ToList();
        (string Field, decimal Actual, decimal Expected)[] fields =
        [
            ("open", row.Open, prices[0]),
            ("close", row.Close, prices[^1]),
            ("high", row.High, prices.Max()),
            ("low", row.Low, prices.Min()),
            ("volume", row.Volume, volume),
            ("quote_volume", row.QuoteVolume, quoteVolume),
            ("taker_buy_volume", row.TakerBuyVolume, takers.Sum(t => Dataset.Decimal(t.Quantity))),
            ("taker_buy_quote_volume", row.TakerBuyQuoteVolume, takers.Sum(t => Dataset.Decimal(t.Price) * Dataset.Decimal(t.Quantity))),
            ("first_trade_id", row.FirstTradeId, trades[0].Id),
            ("last_trade_id", row.LastTradeId, trades[^1].Id),
        ];
        foreach (var (field, actual, wanted) in fields.Where(f => f.Actual != f.Expected))
        {
            problems.Add($"{where}: {field} {actual}, but its {trades.Count} trades give {wanted}");
            if (field is "volume" && actual > wanted)
            {
                // Counted more than its trades hold: at least one trade counted twice.
                duplicated++;
            }
        }

        return duplicated;
    }

    private static IEnumerable<long> Range(long first, long last)
    {
        for (var id = first; id <= last; id++)
        {
            yield return id;
        }
    }

    /// <summary>Ids as ranges, the first few of them.</summary>
    private static string Describe(IReadOnlyList<long> ids)
    {
        var ranges = new List<string>();
        var sorted = ids.Order().ToList();
        var start = 0;
        for (var i = 1; i <= sorted.Count; i++)
        {
            if (i == sorted.Count || sorted[i] != sorted[i - 1] + 1)
            {
                ranges.Add(i - 1 == start ? $"{sorted[start]}" : $"{sorted[start]}..{sorted[i - 1]}");
                start = i;
            }
        }

        return string.Join(", ", ranges.Take(MaxShown)) + (ranges.Count > MaxShown ? $" and {ranges.Count - MaxShown} more ranges" : "");
    }

    private static async Task<List<CandleRow>> ReadAsync(string database, CancellationToken cancellationToken)
    {
        await using var connection = await PipelineTables.OpenAsync(database, cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT exchange, symbol, window_start, open, high, low, close, volume, quote_volume, taker_buy_volume, taker_buy_quote_volume,
                   trade_count, first_trade_id, last_trade_id, coalesce(trade_ids::text, '{}')
            FROM trades_1min_agg ORDER BY exchange, symbol, window_start
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<CandleRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new CandleRow(
                reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2),
                reader.GetDecimal(3), reader.GetDecimal(4), reader.GetDecimal(5), reader.GetDecimal(6), reader.GetDecimal(7), reader.GetDecimal(8),
                reader.GetDecimal(9), reader.GetDecimal(10), reader.GetInt64(11), reader.GetInt64(12), reader.GetInt64(13),
                [.. Pipeline.ParseRanges(reader.GetString(14))]));
        }

        return rows;
    }

    private sealed record CandleRow(
        string Exchange, string Symbol, DateTimeOffset WindowStart, decimal Open, decimal High, decimal Low, decimal Close,
        decimal Volume, decimal QuoteVolume, decimal TakerBuyVolume, decimal TakerBuyQuoteVolume, long TradeCount,
        long FirstTradeId, long LastTradeId, IReadOnlyList<(long First, long Last)> TradeIds);
}
