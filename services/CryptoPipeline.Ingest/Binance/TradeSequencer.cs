using CryptoPipeline.Contracts;

namespace CryptoPipeline.Ingest.Binance;

/// <summary>
/// Keeps one symbol's trades in trade-id order, each id once. Binance ids are contiguous per symbol (futures
/// ids include the non-MARKET kinds), so a jump is a gap: the trades after it are held until the gap is closed,
/// by late live frames or by the back-fill, and then released in order. Not thread-safe: one shard owns it.
/// </summary>
internal sealed class TradeSequencer
{
    private readonly List<Trade> _held = [];
    private long _nextId = -1;

    // Set by ResumeAfter until the first trade after the restart has been placed.
    private DateTimeOffset? _resumedAfter;

    /// <summary>The gap the symbol is waiting on, or null while trades flow in order.</summary>
    public TradeGap? OpenGap { get; private set; }

    /// <summary>Trades after the open gap, waiting for it to close.</summary>
    public int HeldCount => _held.Count;

    /// <summary>
    /// Continues the sequence after <paramref name="lastId"/>, the last trade published before a restart (traded at
    /// <paramref name="lastTradeTime"/>): ids up to it are duplicates, and a first trade beyond its successor opens a gap
    /// marked <see cref="TradeGap.Restart"/>, the trades that happened while Ingest was not running.
    /// </summary>
    public void ResumeAfter(long lastId, DateTimeOffset lastTradeTime)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lastId);
        if (_nextId >= 0)
        {
            throw new InvalidOperationException("The sequence has started already: resume before the first trade.");
        }

        _nextId = lastId + 1;
        _resumedAfter = lastTradeTime;
    }

    /// <summary>
    /// Takes a live trade. Appends to <paramref name="ready"/> whatever may be published now, in id order
    /// (the trade itself, or a whole gap and the held trades behind it when this trade was the last one missing).
    /// </summary>
    public TradeOffer Offer(Trade trade, List<Trade> ready)
    {
        var id = trade.TradeId;
        if (_nextId < 0)
        {
            ready.Add(trade);
            _nextId = id + 1;
            return TradeOffer.Published;
        }

        if (id < _nextId)
        {
            return TradeOffer.Duplicate;
        }

        if (OpenGap is { } gap)
        {
            if (id > gap.LastId)
            {
                return Hold(trade) ? TradeOffer.Held : TradeOffer.Duplicate;
            }

            if (!gap.TryAdd(trade))
            {
                return TradeOffer.Duplicate;
            }

            if (!gap.IsComplete)
            {
                return TradeOffer.Held;
            }

            Close(gap, ready);
            return TradeOffer.Published;
        }

        if (id == _nextId)
        {
            ready.Add(trade);
            _nextId++;
            _resumedAfter = null;
            return TradeOffer.Published;
        }

        OpenGap = new TradeGap(_nextId, id - 1)
        {
            Restart = _resumedAfter is { } lastTradeTime ? new RestartSpan(lastTradeTime, trade.TradeTime) : null,
        };
        _resumedAfter = null;
        _held.Add(trade);
        return TradeOffer.Held;
    }

    /// <summary>
    /// Ends the open gap with the back-filled trades (none when it is given up): publishes the trades of the gap
    /// that are here, in id order, then the held trades up to the next hole, which opens the next gap.
    /// </summary>
    /// <returns>How many of <paramref name="backfilled"/> were needed.</returns>
    public int CloseGap(IEnumerable<Trade> backfilled, List<Trade> ready)
    {
        var gap = OpenGap ?? throw new InvalidOperationException("No gap is open.");
        var added = 0;
        foreach (var trade in backfilled)
        {
            if (trade.TradeId >= gap.FirstId && trade.TradeId <= gap.LastId && gap.TryAdd(trade))
            {
                added++;
            }
        }

        Close(gap, ready);
        return added;
    }

    private void Close(TradeGap gap, List<Trade> ready)
    {
        gap.AppendInOrder(ready);
        _nextId = gap.LastId + 1;
        OpenGap = null;

        // Held trades are distinct and all after the gap, so they either continue the sequence or open the next gap.
        var released = 0;
        foreach (var trade in _held)
        {
            if (trade.TradeId != _nextId)
            {
                OpenGap = new TradeGap(_nextId, trade.TradeId - 1);
                break;
            }

            ready.Add(trade);
            _nextId++;
            released++;
        }

        _held.RemoveRange(0, released);
    }

    private bool Hold(Trade trade)
    {
        var id = trade.TradeId;
        if (_held.Count == 0 || _held[^1].TradeId < id)
        {
            _held.Add(trade);
            return true;
        }

        var low = 0;
        var high = _held.Count - 1;
        while (low <= high)
        {
            var middle = low + ((high - low) / 2);
            var heldId = _held[middle].TradeId;
            if (heldId == id)
            {
                return false;
            }

            if (heldId < id)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        _held.Insert(low, trade);
        return true;
    }
}

internal enum TradeOffer
{
    /// <summary>Published now, possibly with the gap it completed and the trades held behind it.</summary>
    Published,

    /// <summary>Kept back behind an open gap.</summary>
    Held,

    /// <summary>An id already published or already waiting: dropped.</summary>
    Duplicate,
}

/// <summary>A range of trade ids the stream skipped, and the trades of that range collected so far.</summary>
internal sealed class TradeGap(long firstId, long lastId)
{
    private readonly Dictionary<long, Trade> _trades = [];

    public long FirstId { get; } = firstId;

    public long LastId { get; } = lastId;

    public long Size => LastId - FirstId + 1;

    public bool IsComplete => _trades.Count == Size;

    /// <summary>Set once the gap is in the journal, so that its end is recorded too.</summary>
    public bool Recorded { get; set; }

    /// <summary>Set when the gap is the trades that happened while Ingest was not running.</summary>
    public RestartSpan? Restart { get; init; }

    /// <summary>The lowest id of the range still missing, where the back-fill starts.</summary>
    public long FirstMissingId
    {
        get
        {
            var id = FirstId;
            while (id < LastId && _trades.ContainsKey(id))
            {
                id++;
            }

            return id;
        }
    }

    public bool TryAdd(Trade trade) => _trades.TryAdd(trade.TradeId, trade);

    /// <summary>The ranges of ids still missing, in order.</summary>
    public List<(long First, long Last)> MissingRanges()
    {
        var ranges = new List<(long, long)>();
        var next = FirstId;
        foreach (var id in _trades.Keys.Order())
        {
            if (id > next)
            {
                ranges.Add((next, id - 1));
            }

            next = id + 1;
        }

        if (next <= LastId)
        {
            ranges.Add((next, LastId));
        }

        return ranges;
    }

    public void AppendInOrder(List<Trade> ready) => ready.AddRange(_trades.Values.OrderBy(t => t.TradeId));

    public override string ToString() => $"{FirstId}..{LastId}";
}

/// <summary>
/// A gap that spans a restart: when the last trade published before it and the first trade seen after it were traded.
/// </summary>
internal sealed record RestartSpan(DateTimeOffset LastTradeTime, DateTimeOffset FirstTradeTime);
