using System.Diagnostics.CodeAnalysis;
using CryptoPipeline.Contracts;

namespace CryptoPipeline.Windowing;

/// <summary>
/// Event-time 1-minute candles over a stream of trades (DESIGN.md §5), without I/O: the processor feeds
/// it micro-batches and persists what it reports.
/// <para>
/// Per batch: <see cref="MissingWindows"/> names the windows the batch needs that are not in memory; the
/// service loads their rows and hands each to <see cref="Restore"/> (null when there is no row);
/// <see cref="Apply"/> counts each trade; <see cref="PendingChanges"/> returns the windows to upsert; once
/// they and the offsets are committed, <see cref="MarkCommitted"/>. After a failed commit or a revocation,
/// <see cref="Reset()"/> and reload: the database is the truth. When a partition is assigned (start,
/// rebalance, after a reset), pass its checkpointed event time to <see cref="RestoreMaxEventTime"/> and
/// <see cref="Restore"/> its non-final rows: a window is only finalized while resident, and its instrument
/// may never trade again.
/// </para>
/// <para>
/// Each (exchange, symbol, trade id) counts once: a window keeps the ids it counted, stored with its row,
/// so a trade that arrives twice, however late, is a <see cref="TradeOutcome.Duplicate"/>. The watermark
/// of a partition is the latest trade time seen on it minus <see cref="WindowingOptions.AllowedLateness"/>;
/// a window is final once the watermark reaches its end. A window counts as final from that moment, so
/// what happens to a trade never depends on where the batches were cut.
/// </para>
/// <para>
/// Not thread-safe: one engine per processor, driven by one thread. Only <see cref="Counters"/> may be read
/// from another (e.g. an observable instrument's callback).
/// </para>
/// </summary>
public sealed class WindowingEngine
{
    private readonly WindowingOptions _options;
    private readonly bool _includeNonMarketTrades;
    private readonly long _allowedLatenessTicks;
    private readonly long _hardLatenessBoundTicks;
    // By exchange, then symbol: a string key gets the dictionary's fast non-randomized hash (randomized only under
    // collisions), a (string, string) tuple the randomized one twice; a trade that changes instrument looks one up.
    private readonly Dictionary<string, Dictionary<string, SymbolWindows>> _symbols = [];
    private readonly Dictionary<int, PartitionProgress> _partitions = [];

    // Resident windows that were not final when last looked at (some may have become final since).
    private readonly List<CandleState> _open = [];

    // Windows changed since the last commit; each has trades and IsDirty set.
    private readonly List<CandleState> _dirty = [];

    // Resident windows that became final (or were restored final) since the last commit, which evicts them.
    private readonly List<CandleState> _final = [];

    private SymbolWindows? _lastSymbol;
    private PartitionProgress? _lastPartition;
    private bool _changedSincePendingChanges;
    private long _applied, _lateApplied, _duplicates, _excluded, _tooLate;

    public WindowingEngine(WindowingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.AllowedLateness, TimeSpan.Zero, nameof(options.AllowedLateness));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.HardLatenessBound, TimeSpan.Zero, nameof(options.HardLatenessBound));
        _options = options;
        _includeNonMarketTrades = options.IncludeNonMarketTrades;
        _allowedLatenessTicks = options.AllowedLateness.Ticks;
        _hardLatenessBoundTicks = options.HardLatenessBound.Ticks;
    }

    /// <summary>Readable from any thread: each count is exact, though the five are not taken at one instant.</summary>
    public WindowingCounters Counters => new(
        Volatile.Read(ref _applied),
        Volatile.Read(ref _lateApplied),
        Volatile.Read(ref _duplicates),
        Volatile.Read(ref _excluded),
        Volatile.Read(ref _tooLate));

    /// <summary>How many windows are in memory (open ones, and final ones not yet evicted).</summary>
    public int ResidentWindows { get; private set; }

    /// <summary>
    /// The windows the batch's trades belong to that are not in memory, each once. Trades the options
    /// exclude need no window and are left out.
    /// </summary>
    public IReadOnlyCollection<WindowKey> MissingWindows(IEnumerable<Trade> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        HashSet<WindowKey>? missing = null;
        foreach (var trade in batch)
        {
            if (!IsExcluded(trade) && Find(trade) is null)
            {
                (missing ??= []).Add(WindowKey.For(trade));
            }
        }

        return missing ?? [];
    }

    /// <summary>
    /// Makes a window resident for <paramref name="partition"/>: the state of its stored row, or null when
    /// it has no row yet. The engine owns and updates the state from here on. Restore what
    /// <see cref="MissingWindows"/> names, and a partition's non-final rows when it is assigned.
    /// </summary>
    /// <exception cref="InvalidOperationException">The window is already resident.</exception>
    public void Restore(WindowKey key, CandleState? storedState, int partition)
    {
        if (storedState is not null && storedState.Key != key)
        {
            throw new ArgumentException($"The state of {storedState.Key} was passed for window {key}.", nameof(storedState));
        }

        if (!TryGetSymbol(key.Exchange, key.Symbol, out var symbol))
        {
            if (!_symbols.TryGetValue(key.Exchange, out var ofExchange))
            {
                ofExchange = [];
                _symbols.Add(key.Exchange, ofExchange);
            }

            symbol = new SymbolWindows(key.Exchange, key.Symbol);
            ofExchange.Add(key.Symbol, symbol);
        }

        var window = storedState ?? new CandleState(key);
        if (!symbol.ByMinute.TryAdd(window.Minute, window))
        {
            throw new InvalidOperationException($"Window {key} is already resident; restore only windows that are not (MissingWindows names them).");
        }

        ResidentWindows++;
        window.Progress = Progress(partition);
        window.IsDirty = false;
        (window.IsFinal ? _final : _open).Add(window);
    }

    /// <summary>
    /// Counts one trade, in this order: a trade the options exclude is <see cref="TradeOutcome.Excluded"/>;
    /// an id its window already counted is <see cref="TradeOutcome.Duplicate"/>, however late; a new trade
    /// whose window ended more than the hard bound before the watermark is <see cref="TradeOutcome.TooLate"/>;
    /// otherwise it is counted, as <see cref="TradeOutcome.LateApplied"/> when its window is already final.
    /// Every trade advances its partition's event time.
    /// </summary>
    /// <exception cref="InvalidOperationException">The trade's window is not resident (see <see cref="MissingWindows"/>).</exception>
    public TradeOutcome Apply(Trade trade, int partition)
    {
        ArgumentNullException.ThrowIfNull(trade);
        var progress = Progress(partition);
        TradeOutcome outcome;
        if (IsExcluded(trade))
        {
            outcome = TradeOutcome.Excluded;
            _excluded++;
        }
        else
        {
            var window = Find(trade)
                ?? throw new InvalidOperationException($"Window {WindowKey.For(trade)} of trade {trade.TradeId} is not resident: restore the windows MissingWindows names before applying a batch.");
            outcome = Count(window, trade, progress);
        }

        progress.Observe(trade.TradeTime.UtcTicks);
        return outcome;
    }

    /// <summary>
    /// A bounded input (a replay) ended on <paramref name="partition"/>: every window of it is final now.
    /// The watermark stays where the trades put it, so data that follows on the partition is not all late.
    /// </summary>
    public void EndOfInput(int partition)
    {
        if (!_partitions.TryGetValue(partition, out var progress))
        {
            return;
        }

        foreach (var window in _open)
        {
            if (window.Progress == progress && !window.IsFinal)
            {
                Finalize(window);
                _changedSincePendingChanges |= window.IsDirty;
            }
        }
    }

    /// <summary>
    /// The windows to upsert: every window changed since the last commit, with <see cref="CandleState.IsFinal"/>
    /// set on those the watermark has passed (which is a change too). The list and the states are the
    /// engine's own: write them out before calling anything else.
    /// </summary>
    public IReadOnlyList<CandleState> PendingChanges()
    {
        var kept = 0;
        for (var i = 0; i < _open.Count; i++)
        {
            var window = _open[i];
            if (!window.IsFinal && window.EndTicks <= window.Progress!.WatermarkTicks)
            {
                Finalize(window);
            }

            if (!window.IsFinal)
            {
                _open[kept++] = window;
            }
        }

        _open.RemoveRange(kept, _open.Count - kept);
        _changedSincePendingChanges = false;
        return _dirty;
    }

    /// <summary>
    /// The changes from the last <see cref="PendingChanges"/> are committed: forget them, and evict final
    /// windows when <see cref="WindowingOptions.EvictFinalWindowsAfterCommit"/> says so.
    /// </summary>
    /// <exception cref="InvalidOperationException">Windows changed after <see cref="PendingChanges"/>, so the commit missed them.</exception>
    public void MarkCommitted()
    {
        if (_changedSincePendingChanges)
        {
            throw new InvalidOperationException("Windows changed after PendingChanges was taken; take and commit PendingChanges again.");
        }

        foreach (var window in _dirty)
        {
            window.IsDirty = false;
        }

        _dirty.Clear();
        if (_options.EvictFinalWindowsAfterCommit)
        {
            foreach (var window in _final)
            {
                Evict(window);
            }
        }

        _final.Clear();
    }

    /// <summary>Forgets every window and the event time of <paramref name="partition"/>, e.g. when it is revoked.</summary>
    public void Reset(int partition)
    {
        if (!_partitions.Remove(partition, out var progress))
        {
            return;
        }

        foreach (var symbol in _symbols.Values.SelectMany(ofExchange => ofExchange.Values))
        {
            foreach (var (minute, window) in symbol.ByMinute)
            {
                if (window.Progress == progress)
                {
                    symbol.ByMinute.Remove(minute);
                    ResidentWindows--;
                }
            }

            if (symbol.Last?.Progress == progress)
            {
                symbol.Last = null;
            }
        }

        bool OfPartition(CandleState window) => window.Progress == progress;
        _open.RemoveAll(OfPartition);
        _dirty.RemoveAll(OfPartition);
        _final.RemoveAll(OfPartition);
        _lastPartition = null;
    }

    /// <summary>Forgets every window and every partition's event time, e.g. after a failed commit.</summary>
    public void Reset()
    {
        _symbols.Clear();
        _partitions.Clear();
        _open.Clear();
        _dirty.Clear();
        _final.Clear();
        _lastSymbol = null;
        _lastPartition = null;
        _changedSincePendingChanges = false;
        ResidentWindows = 0;
    }

    /// <summary>The latest trade time seen on the partition; null before its first trade.</summary>
    public DateTimeOffset? MaxEventTime(int partition) =>
        _partitions.TryGetValue(partition, out var progress) && progress.HasEvents
            ? new DateTimeOffset(progress.MaxEventTicks, TimeSpan.Zero)
            : null;

    /// <summary>Windows of the partition ending at or before this are final; null before its first trade.</summary>
    public DateTimeOffset? Watermark(int partition) =>
        _partitions.TryGetValue(partition, out var progress) && progress.HasEvents
            ? new DateTimeOffset(Math.Max(progress.WatermarkTicks, 0), TimeSpan.Zero)
            : null;

    /// <summary>
    /// Carries a partition's event time over a restart: the service stores <see cref="MaxEventTime"/> with the
    /// committed offsets and passes it back here after seeking, so trades are classified as late exactly as
    /// in an uninterrupted run. Never moves the event time backwards.
    /// </summary>
    public void RestoreMaxEventTime(int partition, DateTimeOffset maxEventTime) =>
        Progress(partition).Observe(maxEventTime.UtcTicks);

    private TradeOutcome Count(CandleState window, Trade trade, PartitionProgress progress)
    {
        if (window.EndTicks < progress.TooLateBeforeTicks)
        {
            if (window.TradeIds.Contains(trade.TradeId))
            {
                _duplicates++;
                return TradeOutcome.Duplicate;
            }

            _tooLate++;
            return TradeOutcome.TooLate;
        }

        if (!window.TryAdd(trade))
        {
            _duplicates++;
            return TradeOutcome.Duplicate;
        }

        // The window follows the partition its trades come from (they move only if the topic's partition
        // count changes).
        window.Progress = progress;
        _changedSincePendingChanges = true;
        MarkDirty(window);
        if (window.IsFinal || window.EndTicks <= progress.WatermarkTicks)
        {
            if (!window.IsFinal)
            {
                Finalize(window);
            }

            _lateApplied++;
            return TradeOutcome.LateApplied;
        }

        _applied++;
        return TradeOutcome.Applied;
    }

    private void Finalize(CandleState window)
    {
        window.IsFinal = true;
        _final.Add(window);
        if (window.TradeCount > 0)
        {
            MarkDirty(window);
        }
    }

    private void MarkDirty(CandleState window)
    {
        if (!window.IsDirty)
        {
            window.IsDirty = true;
            _dirty.Add(window);
        }
    }

    private void Evict(CandleState window)
    {
        var symbol = _symbols[window.Exchange][window.Symbol];
        symbol.ByMinute.Remove(window.Minute);
        if (symbol.Last == window)
        {
            symbol.Last = null;
        }

        ResidentWindows--;
    }

    private bool IsExcluded(Trade trade) => trade.Kind != TradeKind.Market && !_includeNonMarketTrades;

    private CandleState? Find(Trade trade)
    {
        var symbol = _lastSymbol;
        if (symbol is null || !symbol.Is(trade.Exchange, trade.Symbol))
        {
            if (!TryGetSymbol(trade.Exchange, trade.Symbol, out symbol))
            {
                return null;
            }

            _lastSymbol = symbol;
        }

        var minute = WindowKey.MinuteOf(trade.TradeTime.UtcTicks);
        var last = symbol.Last;
        if (last is not null && last.Minute == minute)
        {
            return last;
        }

        if (!symbol.ByMinute.TryGetValue(minute, out var window))
        {
            return null;
        }

        symbol.Last = window;
        return window;
    }

    private bool TryGetSymbol(string exchange, string symbol, [NotNullWhen(true)] out SymbolWindows? windows)
    {
        windows = null;
        return _symbols.TryGetValue(exchange, out var ofExchange) && ofExchange.TryGetValue(symbol, out windows);
    }

    private PartitionProgress Progress(int partition)
    {
        var progress = _lastPartition;
        if (progress is null || progress.Partition != partition)
        {
            if (!_partitions.TryGetValue(partition, out progress))
            {
                progress = new PartitionProgress(partition, _allowedLatenessTicks, _hardLatenessBoundTicks);
                _partitions.Add(partition, progress);
            }

            _lastPartition = progress;
        }

        return progress;
    }
}
