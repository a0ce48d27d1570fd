using CryptoPipeline.Contracts;

namespace CryptoPipeline.Windowing.UnitTests;

/// <summary>
/// Drives a <see cref="WindowingEngine"/> the way the processor service does, with dictionaries standing
/// in for <c>trades_1min_agg</c> and the consumer checkpoints: a commit copies rows out (id ranges as
/// arrays, as <c>int8multirange</c> stores them) and restoring builds states from those copies, so nothing
/// survives a <see cref="Restart"/> that a database row would not carry. A row remembers the partition
/// that wrote it, so that a restart can take back that partition's open windows.
/// </summary>
internal sealed class InMemoryProcessor
{
    private readonly WindowingOptions _options;
    private readonly HashSet<int> _partitions = [];
    private readonly Dictionary<int, DateTimeOffset> _checkpoints = [];

    public InMemoryProcessor(WindowingOptions? options = null)
    {
        _options = options ?? new WindowingOptions();
        Engine = new WindowingEngine(_options);
    }

    public WindowingEngine Engine { get; private set; }

    public Dictionary<WindowKey, StoredCandle> Rows { get; } = [];

    /// <summary>How many rows each commit wrote, in order.</summary>
    public List<int> RowsWrittenPerCommit { get; } = [];

    public Candle Candle(WindowKey key) => Rows[key].Candle;

    public IReadOnlyList<TradeOutcome> Process(IEnumerable<Trade> batch, int partition = 0)
    {
        var trades = batch.ToList();
        _partitions.Add(partition);
        foreach (var key in Engine.MissingWindows(trades))
        {
            Engine.Restore(key, Rows.GetValueOrDefault(key)?.ToState(), partition);
        }

        var outcomes = trades.Select(trade => Engine.Apply(trade, partition)).ToList();
        Commit();
        return outcomes;
    }

    public TradeOutcome Process(Trade trade, int partition = 0) => Process([trade], partition)[0];

    /// <summary>Processes the trades in batches of <paramref name="batchSize"/>.</summary>
    public List<TradeOutcome> ProcessAll(IEnumerable<Trade> trades, int batchSize, int partition = 0) =>
        [.. trades.Chunk(batchSize).SelectMany(batch => Process(batch, partition))];

    public void EndOfInput(int partition = 0)
    {
        Engine.EndOfInput(partition);
        Commit();
    }

    /// <summary>
    /// A crash and restart: memory is gone, rows and checkpoints stay. As on a partition assignment, the
    /// event time comes back from the checkpoint and the partition's open windows from their rows, so that
    /// a window whose instrument trades no more is still finalized.
    /// </summary>
    public void Restart()
    {
        Engine = new WindowingEngine(_options);
        foreach (var (partition, maxEventTime) in _checkpoints)
        {
            Engine.RestoreMaxEventTime(partition, maxEventTime);
        }

        foreach (var (key, row) in Rows.Where(row => !row.Value.Candle.IsFinal))
        {
            Engine.Restore(key, row.ToState(), row.Partition);
        }
    }

    private void Commit()
    {
        var changes = Engine.PendingChanges();
        foreach (var state in changes)
        {
            Rows[state.Key] = StoredCandle.From(state);
        }

        RowsWrittenPerCommit.Add(changes.Count);
        foreach (var partition in _partitions)
        {
            if (Engine.MaxEventTime(partition) is { } maxEventTime)
            {
                _checkpoints[partition] = maxEventTime;
            }
        }

        Engine.MarkCommitted();
    }
}

/// <summary>A committed row: the candle columns, <c>price_sum</c>, the trade id ranges and the partition that wrote it.</summary>
internal sealed record StoredCandle(Candle Candle, decimal PriceSum, (long First, long Last)[] TradeIdRanges, int Partition)
{
    public static StoredCandle From(CandleState state) => new(state.ToCandle(), state.PriceSum, [.. state.TradeIds.Ranges], state.Partition!.Value);

    public CandleState ToState() => CandleState.Restore(Candle, PriceSum, TradeIdSet.FromRanges(TradeIdRanges));

    public static void AssertSame(IReadOnlyDictionary<WindowKey, StoredCandle> expected, IReadOnlyDictionary<WindowKey, StoredCandle> actual)
    {
        Assert.Equal(Sorted(expected.Keys), Sorted(actual.Keys));
        foreach (var (key, row) in expected)
        {
            Assert.Equal(row.Candle, actual[key].Candle);
            Assert.Equal(row.PriceSum, actual[key].PriceSum);
            Assert.Equal(row.TradeIdRanges, actual[key].TradeIdRanges);
            Assert.Equal(row.Partition, actual[key].Partition);
        }
    }

    private static List<WindowKey> Sorted(IEnumerable<WindowKey> keys) =>
        [.. keys.OrderBy(key => key.Exchange, StringComparer.Ordinal).ThenBy(key => key.Symbol, StringComparer.Ordinal).ThenBy(key => key.WindowStart)];
}
