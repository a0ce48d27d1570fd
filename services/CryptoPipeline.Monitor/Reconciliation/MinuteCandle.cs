namespace CryptoPipeline.Monitor.Reconciliation;

/// <summary>
/// The nine fields a Binance 1-minute kline and our candle share (data/README.md: they must be equal exactly), with
/// the values' own scale kept, so that a mismatch shows each side as it was written.
/// </summary>
internal sealed record MinuteCandle(
    DateTimeOffset OpenTime,
    decimal Open,
    decimal High,
    decimal Low,
    decimal Close,
    decimal Volume,
    decimal QuoteVolume,
    long TradeCount,
    decimal TakerBuyVolume,
    decimal TakerBuyQuoteVolume);

/// <summary>One of our candles and whether its minute is final.</summary>
internal sealed record StoredCandle(MinuteCandle Candle, bool IsFinal);

/// <summary>A difference from the exchange: a field (<c>field</c>), a kline we have no candle for (<c>missing</c>), or a candle the exchange has no kline for (<c>unexpected</c>).</summary>
internal sealed record CandleMismatch(DateTimeOffset WindowStart, string Kind, string? Field, string? Ours, string? Exchange)
{
    public const string FieldKind = "field";
    public const string Missing = "missing";
    public const string Unexpected = "unexpected";
}

/// <summary>How one instrument's candles compare: the mismatches, how many final candles had a kline, how many were not final yet.</summary>
internal sealed record CandleComparison(IReadOnlyList<CandleMismatch> Mismatches, int Compared, int NotFinal)
{
    private static readonly (string Field, Func<MinuteCandle, object> Value)[] Fields =
    [
        ("open", c => c.Open),
        ("high", c => c.High),
        ("low", c => c.Low),
        ("close", c => c.Close),
        ("volume", c => c.Volume),
        ("quote_volume", c => c.QuoteVolume),
        ("trade_count", c => c.TradeCount),
        ("taker_buy_volume", c => c.TakerBuyVolume),
        ("taker_buy_quote_volume", c => c.TakerBuyQuoteVolume),
    ];

    /// <summary>The minutes with at least one mismatch.</summary>
    public int MismatchedCandles => Mismatches.Select(m => m.WindowStart).Distinct().Count();

    /// <summary>
    /// Compares our final candles with the exchange's klines of the same window. Candles not final yet are left out.
    /// A kline without a candle counts as missing only between our first and last candle of the window: before and
    /// after them the instrument was not being ingested (or the window cuts it), which the freshness check reports.
    /// </summary>
    public static CandleComparison Compare(IReadOnlyList<StoredCandle> ours, IReadOnlyList<MinuteCandle> exchange)
    {
        var klines = exchange.ToDictionary(k => k.OpenTime);
        var mismatches = new List<CandleMismatch>();
        var compared = 0;
        var notFinal = 0;
        foreach (var (candle, isFinal) in ours)
        {
            if (!isFinal)
            {
                notFinal++;
                continue;
            }

            if (!klines.TryGetValue(candle.OpenTime, out var kline))
            {
                mismatches.Add(new CandleMismatch(candle.OpenTime, CandleMismatch.Unexpected, null, "candle", null));
                continue;
            }

            compared++;
            foreach (var (field, value) in Fields)
            {
                var (mine, theirs) = (value(candle), value(kline));
                if (!mine.Equals(theirs))
                {
                    mismatches.Add(new CandleMismatch(candle.OpenTime, CandleMismatch.FieldKind, field, Text(mine), Text(theirs)));
                }
            }
        }

        if (ours.Count > 0)
        {
            var stored = ours.Select(c => c.Candle.OpenTime).ToHashSet();
            var (first, last) = (ours[0].Candle.OpenTime, ours[^1].Candle.OpenTime);
            mismatches.AddRange(exchange
                .Where(k => k.OpenTime > first && k.OpenTime < last && !stored.Contains(k.OpenTime))
                .Select(k => new CandleMismatch(k.OpenTime, CandleMismatch.Missing, null, null, "kline")));
        }

        return new CandleComparison([.. mismatches.OrderBy(m => m.WindowStart)], compared, notFinal);
    }

    private static string Text(object value) => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!;
}
