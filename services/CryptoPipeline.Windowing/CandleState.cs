using CryptoPipeline.Contracts;

namespace CryptoPipeline.Windowing;

/// <summary>
/// The mergeable state of one 1-minute window, which is also its <c>trades_1min_agg</c> row: open and
/// close follow trade id order (a trade with a lower id than the current first one becomes the open,
/// whatever order trades arrive in), high and low follow price, and every sum is an exact decimal. A state
/// restored from its stored row with <see cref="Restore"/> continues exactly where it stopped, including
/// which trade ids it has counted (<see cref="TradeIds"/>).
/// <para>
/// Sums stay exact as long as they fit a decimal's 28 significant digits (price × quantity carries the
/// scales of both, e.g. 16 decimals for Binance spot): far beyond any minute of real volume.
/// </para>
/// </summary>
public sealed class CandleState
{
    internal CandleState(WindowKey key)
        : this(key, new TradeIdSet())
    {
    }

    private CandleState(WindowKey key, TradeIdSet tradeIds)
    {
        Key = key;
        Minute = key.Minute;
        EndTicks = key.WindowEnd.UtcTicks;
        TradeIds = tradeIds;
    }

    public WindowKey Key { get; }

    public string Exchange => Key.Exchange;

    public string Symbol => Key.Symbol;

    public DateTimeOffset WindowStart => Key.WindowStart;

    /// <summary>Exclusive: <see cref="WindowStart"/> plus one minute.</summary>
    public DateTimeOffset WindowEnd => Key.WindowEnd;

    /// <summary>Price of the trade with the lowest id.</summary>
    public decimal Open { get; private set; }

    public decimal High { get; private set; }

    public decimal Low { get; private set; }

    /// <summary>Price of the trade with the highest id.</summary>
    public decimal Close { get; private set; }

    public decimal Volume { get; private set; }

    /// <summary>Sum of price × quantity.</summary>
    public decimal QuoteVolume { get; private set; }

    /// <summary>Volume of the trades whose taker bought (<see cref="Trade.IsBuyerMaker"/> false).</summary>
    public decimal TakerBuyVolume { get; private set; }

    public decimal TakerBuyQuoteVolume { get; private set; }

    /// <summary>Sum of the trade prices: stored so that <see cref="AvgPrice"/> stays mergeable.</summary>
    public decimal PriceSum { get; private set; }

    /// <summary>
    /// At least one in every state the engine hands out; zero only inside the engine, for a resident window
    /// that has no row yet.
    /// </summary>
    public long TradeCount { get; private set; }

    public long FirstTradeId { get; private set; }

    public long LastTradeId { get; private set; }

    public DateTimeOffset FirstTradeTime { get; private set; }

    public DateTimeOffset LastTradeTime { get; private set; }

    /// <summary>
    /// Where the trades came from; when sources mix, <see cref="DataSource.Simulated"/> wins over
    /// <see cref="DataSource.Replay"/>, which wins over <see cref="DataSource.Live"/>, which wins over
    /// <see cref="DataSource.Backfill"/>.
    /// </summary>
    public DataSource Source { get; private set; }

    /// <summary>True once the watermark passed <see cref="WindowEnd"/> (or the input ended); a late trade may still update the window.</summary>
    public bool IsFinal { get; internal set; }

    /// <summary>
    /// The input partition the window's trades come from (the service restores a partition's open windows
    /// when it is assigned); null until the state is restored into an engine.
    /// </summary>
    public int? Partition => Progress?.Partition;

    /// <summary>Every trade id counted in this window; stored with the row.</summary>
    public TradeIdSet TradeIds { get; }

    /// <summary>Quote volume over volume; the average price when every trade had zero quantity.</summary>
    public decimal Vwap => Volume == 0 ? AvgPrice : QuoteVolume / Volume;

    /// <summary>Unweighted mean of the trade prices.</summary>
    public decimal AvgPrice => PriceSum / TradeCount;

    // Engine bookkeeping, kept here so the hot path touches one object per trade.
    internal long Minute { get; }

    internal long EndTicks { get; }

    internal PartitionProgress? Progress { get; set; }

    internal bool IsDirty { get; set; }

    /// <summary>
    /// The state of a stored row, to continue from: <paramref name="stored"/> carries the row's columns
    /// (its <see cref="Candle.Vwap"/> and <see cref="Candle.AvgPrice"/> are derived and ignored),
    /// <paramref name="priceSum"/> its <c>price_sum</c> and <paramref name="tradeIds"/> its id ranges.
    /// </summary>
    /// <exception cref="ArgumentException">The row is not a consistent 1-minute window.</exception>
    public static CandleState Restore(Candle stored, decimal priceSum, TradeIdSet tradeIds)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(tradeIds);
        var key = new WindowKey(stored.Exchange, stored.Symbol, stored.WindowStart);
        var problem = Inconsistency(stored, key, tradeIds);
        if (problem is not null)
        {
            throw new ArgumentException($"Stored candle {key} cannot be restored: {problem}.", nameof(stored));
        }

        return new CandleState(key, tradeIds)
        {
            Open = stored.Open,
            High = stored.High,
            Low = stored.Low,
            Close = stored.Close,
            Volume = stored.Volume,
            QuoteVolume = stored.QuoteVolume,
            TakerBuyVolume = stored.TakerBuyVolume,
            TakerBuyQuoteVolume = stored.TakerBuyQuoteVolume,
            PriceSum = priceSum,
            TradeCount = stored.TradeCount,
            FirstTradeId = stored.FirstTradeId,
            LastTradeId = stored.LastTradeId,
            FirstTradeTime = stored.FirstTradeTime,
            LastTradeTime = stored.LastTradeTime,
            Source = stored.Source,
            IsFinal = stored.IsFinal,
        };
    }

    public Candle ToCandle() => new()
    {
        Exchange = Exchange,
        Symbol = Symbol,
        WindowStart = WindowStart,
        WindowEnd = WindowEnd,
        Open = Open,
        High = High,
        Low = Low,
        Close = Close,
        Volume = Volume,
        QuoteVolume = QuoteVolume,
        TakerBuyVolume = TakerBuyVolume,
        TakerBuyQuoteVolume = TakerBuyQuoteVolume,
        Vwap = Vwap,
        AvgPrice = AvgPrice,
        TradeCount = TradeCount,
        FirstTradeId = FirstTradeId,
        LastTradeId = LastTradeId,
        FirstTradeTime = FirstTradeTime,
        LastTradeTime = LastTradeTime,
        IsFinal = IsFinal,
        Source = Source,
    };

    /// <summary>
    /// Counts a trade of this window; false, changing nothing, when its id is already counted.
    /// The caller has checked that the trade belongs to this window.
    /// </summary>
    internal bool TryAdd(Trade trade)
    {
        // Ranked before anything changes, so an undefined source cannot leave the state half-updated.
        var source = trade.Source == Source && TradeCount > 0 ? Source : Combine(trade.Source);
        var id = trade.TradeId;
        if (!TradeIds.Add(id))
        {
            return false;
        }

        var price = trade.Price;
        var quantity = trade.Quantity;
        var quote = price * quantity;
        if (TradeCount == 0)
        {
            Open = High = Low = Close = price;
            FirstTradeId = LastTradeId = id;
            FirstTradeTime = LastTradeTime = trade.TradeTime;
        }
        else
        {
            if (price > High)
            {
                High = price;
            }
            else if (price < Low)
            {
                Low = price;
            }

            if (id < FirstTradeId)
            {
                Open = price;
                FirstTradeId = id;
                FirstTradeTime = trade.TradeTime;
            }
            else if (id > LastTradeId)
            {
                Close = price;
                LastTradeId = id;
                LastTradeTime = trade.TradeTime;
            }
        }

        Source = source;
        TradeCount++;
        Volume += quantity;
        QuoteVolume += quote;
        PriceSum += price;
        if (!trade.IsBuyerMaker)
        {
            TakerBuyVolume += quantity;
            TakerBuyQuoteVolume += quote;
        }

        return true;
    }

    private static string? Inconsistency(Candle stored, WindowKey key, TradeIdSet tradeIds)
    {
        if (stored.WindowEnd != key.WindowEnd)
        {
            return $"window end {stored.WindowEnd:O} is not start + 1 minute";
        }

        if (!Enum.IsDefined(stored.Source))
        {
            return $"source {stored.Source} is not defined";
        }

        if (stored.TradeCount <= 0)
        {
            return $"trade count {stored.TradeCount} is not positive";
        }

        if (tradeIds.Count != stored.TradeCount)
        {
            return $"it holds {tradeIds.Count} trade ids for {stored.TradeCount} trades";
        }

        if (tradeIds.Ranges[0].First != stored.FirstTradeId || tradeIds.Ranges[^1].Last != stored.LastTradeId)
        {
            return $"trade ids {tradeIds.Ranges[0].First}..{tradeIds.Ranges[^1].Last} disagree with first/last trade id {stored.FirstTradeId}/{stored.LastTradeId}";
        }

        if (stored.FirstTradeTime < key.WindowStart || stored.FirstTradeTime >= key.WindowEnd
            || stored.LastTradeTime < key.WindowStart || stored.LastTradeTime >= key.WindowEnd)
        {
            return $"trade times {stored.FirstTradeTime:O}/{stored.LastTradeTime:O} fall outside the window";
        }

        return stored.Low > stored.High || stored.Open < stored.Low || stored.Open > stored.High
            || stored.Close < stored.Low || stored.Close > stored.High
            ? $"open {stored.Open} / close {stored.Close} lie outside low {stored.Low} .. high {stored.High}"
            : null;
    }

    private DataSource Combine(DataSource incoming) =>
        Rank(incoming) > Rank(Source) || TradeCount == 0 ? incoming : Source;

    // When trades of several sources meet in one window the highest rank wins. Back-filled trades fill a
    // gap of the live stream, so live data with a back-filled hole is still live; replayed or simulated
    // trades keep their label whatever they are mixed with (DESIGN.md §6).
    private static int Rank(DataSource source) => source switch
    {
        DataSource.Backfill => 0,
        DataSource.Live => 1,
        DataSource.Replay => 2,
        DataSource.Simulated => 3,
        _ => throw new ArgumentOutOfRangeException(nameof(source), source, "Not a defined data source."),
    };
}
