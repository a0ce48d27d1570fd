using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using CryptoPipeline.Contracts;
using CryptoPipeline.Kafka;
using CryptoPipeline.Processor.Sink;
using CryptoPipeline.Processor.Telemetry;
using CryptoPipeline.Windowing;

namespace CryptoPipeline.Processor.Consuming;

/// <summary>
/// Processes one micro-batch: parses the messages (dead-lettering what cannot be used), loads the windows
/// the trades need in one query, runs the windowing engine, and commits candles, prices and offsets in one
/// transaction. When anything fails, or the offsets were moved by another consumer, the in-memory state no
/// longer matches the database, which is the truth: the caller calls <see cref="Reset"/>, re-reads the stored
/// state (<see cref="Resume"/>) and seeks back to the stored offsets.
/// </summary>
internal sealed class BatchProcessor(
    WindowingEngine engine,
    PostgresSink sink,
    DeadLetterPublisher deadLetters,
    ProcessorTelemetry telemetry,
    ProcessorOptions options,
    TimeProvider timeProvider)
{
    // More links than this make a span heavy for little gain (OpenTelemetry's default span limit is 128).
    private const int MaxLinks = 128;

    private static readonly int OutcomeCount = Enum.GetValues<TradeOutcome>().Length;

    // The instruments PostgreSQL records for each owned partition; new ones are recorded with the batch.
    private readonly Dictionary<TopicPartition, HashSet<(string Exchange, string Symbol)>> _instruments = [];

    /// <summary>
    /// Processes and commits <paramref name="messages"/>; returns the next offset of each partition it
    /// committed, or null when a partition's stored offset no longer matched <paramref name="expected"/>.
    /// </summary>
    public Dictionary<TopicPartition, long>? Process(
        IReadOnlyList<ConsumeResult<byte[]?, byte[]?>> messages,
        IReadOnlyDictionary<TopicPartition, long?> expected,
        string clusterId,
        string consumerGroup)
    {
        using var activity = StartActivity(messages);
        try
        {
            var committed = ProcessCore(messages, expected, clusterId, consumerGroup);
            if (committed is null)
            {
                activity?.SetStatus(ActivityStatusCode.Error, "Offsets moved by another consumer");
            }

            return committed;
        }
        catch (Exception e)
        {
            activity?.AddException(e);
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
    }

    /// <summary>Drops all in-memory state: after a failed commit, the database is the truth.</summary>
    public void Reset()
    {
        engine.Reset();
        _instruments.Clear();
    }

    /// <summary>
    /// Takes a partition over from its stored state: its instruments, and for <c>raw_trades</c> its event time
    /// and open windows, so that it continues exactly as an uninterrupted run would.
    /// </summary>
    public void Resume(PartitionState state)
    {
        _instruments[state.Partition] = [.. state.Instruments];
        if (state.Partition.Topic != Topics.RawTrades)
        {
            return;
        }

        var partition = state.Partition.Partition.Value;
        engine.Reset(partition);
        if (state.MaxEventTime is { } maxEventTime)
        {
            engine.RestoreMaxEventTime(partition, maxEventTime);
        }

        foreach (var window in state.OpenWindows)
        {
            RestoreUnlessResident(window, partition);
        }
    }

    /// <summary>The partition is no longer this processor's: drop what this class remembers of it.</summary>
    public void Forget(TopicPartition partition)
    {
        _instruments.Remove(partition);
        if (partition.Topic == Topics.RawTrades)
        {
            engine.Reset(partition.Partition.Value);
        }
    }

    private Dictionary<TopicPartition, long>? ProcessCore(
        IReadOnlyList<ConsumeResult<byte[]?, byte[]?>> messages,
        IReadOnlyDictionary<TopicPartition, long?> expected,
        string clusterId,
        string consumerGroup)
    {
        var nextOffsets = new Dictionary<TopicPartition, long>();

        // raw_trades in partition order: trades, and end-of-input marks (Trade null).
        var tradeItems = new List<(ConsumeResult<byte[]?, byte[]?> Message, Trade? Trade)>(messages.Count);
        var trades = new List<Trade>(messages.Count);
        var lastQuotes = new Dictionary<(string, string), Quote>();
        var ticks = new List<PriceTick>();
        var lastTickTimes = new Dictionary<(string Exchange, string Symbol), DateTimeOffset>();
        var finishedPricePartitions = new List<int>();
        var newInstruments = new HashSet<PartitionInstrument>();

        foreach (var message in messages)
        {
            nextOffsets[message.TopicPartition] = message.Offset.Value + 1;
            if (TryGetControl(message, out var control))
            {
                if (control != ControlMessages.EndOfInput)
                {
                    DeadLetter(message, DeadLetterHeaders.Unparseable, $"Unknown control message '{control}' ({ControlMessages.KindHeader} header).");
                }
                else if (message.Topic == Topics.RawTrades)
                {
                    tradeItems.Add((message, null));
                }
                else if (message.Topic == Topics.Prices)
                {
                    finishedPricePartitions.Add(message.Partition.Value);
                }

                continue;
            }

            var value = message.Message.Value;
            if (value is null || value.Length == 0)
            {
                DeadLetter(message, DeadLetterHeaders.Unparseable, "The message has no value.");
                continue;
            }

            switch (message.Topic)
            {
                case Topics.RawTrades:
                    if (TradeJson.TryParse(value, out var trade, out var tradeError))
                    {
                        NoteInstrument(message.TopicPartition, trade.Exchange, trade.Symbol, newInstruments);
                        tradeItems.Add((message, trade));
                        trades.Add(trade);
                    }
                    else
                    {
                        DeadLetter(message, DeadLetterHeaders.Unparseable, "Not a valid trade: " + tradeError);
                    }

                    break;
                case Topics.Quotes:
                    if (QuoteJson.TryParse(value, out var quote, out var quoteError))
                    {
                        // The rule the sink applies against the stored quote (a newer or equal time replaces it),
                        // so the result does not depend on where batches were cut.
                        var instrument = (quote.Exchange, quote.Symbol);
                        if (!lastQuotes.TryGetValue(instrument, out var current) || PostgresSink.QuoteTime(quote) >= PostgresSink.QuoteTime(current))
                        {
                            lastQuotes[instrument] = quote;
                        }
                    }
                    else
                    {
                        DeadLetter(message, DeadLetterHeaders.Unparseable, "Not a valid quote: " + quoteError);
                    }

                    break;
                case Topics.Prices:
                    if (PriceTickJson.TryParse(value, out var tick, out var tickError))
                    {
                        var instrument = (tick.Exchange, tick.Symbol);
                        NoteInstrument(message.TopicPartition, tick.Exchange, tick.Symbol, newInstruments);
                        if (!lastTickTimes.TryGetValue(instrument, out var previous) || tick.Time > previous)
                        {
                            lastTickTimes[instrument] = tick.Time;
                            ticks.Add(tick);
                        }
                    }
                    else
                    {
                        DeadLetter(message, DeadLetterHeaders.Unparseable, "Not a valid price tick: " + tickError);
                    }

                    break;
            }
        }

        RestoreWindows(tradeItems, newInstruments);

        var outcomes = new long[OutcomeCount];
        var lastTrades = new Dictionary<(string, string), Trade>();
        var receivedTimes = telemetry.EndToEndLatencyEnabled ? new List<DateTimeOffset>(trades.Count) : null;
        foreach (var (message, trade) in tradeItems)
        {
            var partition = message.Partition.Value;
            if (trade is null)
            {
                engine.EndOfInput(partition);
                continue;
            }

            var outcome = engine.Apply(trade, partition);
            outcomes[(int)outcome]++;
            switch (outcome)
            {
                case TradeOutcome.TooLate:
                    DeadLetter(message, DeadLetterHeaders.TooLate,
                        $"Trade {trade.TradeId} of {trade.Key} at {trade.TradeTime:O} is too late: its minute ended more than " +
                        $"{options.HardLatenessBound} ({ProcessorOptions.SectionName}:{nameof(ProcessorOptions.HardLatenessBound)}) before " +
                        $"the watermark of partition {partition}, {engine.Watermark(partition):O}. It was not counted.");
                    continue;
                case TradeOutcome.Excluded:
                    continue;
                case TradeOutcome.Applied or TradeOutcome.LateApplied:
                    receivedTimes?.Add(trade.ReceivedAt);
                    break;
            }

            var instrument = (trade.Exchange, trade.Symbol);
            if (!lastTrades.TryGetValue(instrument, out var last) || (trade.TradeTime, trade.TradeId).CompareTo((last.TradeTime, last.TradeId)) > 0)
            {
                lastTrades[instrument] = trade;
            }
        }

        var candles = engine.PendingChanges();
        var batch = new SinkBatch
        {
            ClusterId = clusterId,
            ConsumerGroup = consumerGroup,
            Checkpoints = [.. nextOffsets.Select(p => new CheckpointUpdate(
                p.Key.Topic,
                p.Key.Partition.Value,
                expected[p.Key],
                p.Value,
                p.Key.Topic == Topics.RawTrades ? engine.MaxEventTime(p.Key.Partition.Value) : null))],
            NewInstruments = [.. newInstruments],
            Candles = candles,
            LastTrades = [.. lastTrades.Values],
            LastQuotes = [.. lastQuotes.Values],
            PriceTicks = ticks,
            PriceFinalizations = PriceFinalizations(lastTickTimes),
            FinishedPricePartitions = finishedPricePartitions,
            History = options.RawTradeHistory.Enabled ? trades : [],
            RollupHours = candles.Where(c => c.IsFinal).Select(c => StartOfHour(c.WindowStart)).ToHashSet(),
        };

        // Dead letters first: a crash after them but before the commit repeats them, never loses them.
        deadLetters.WaitForDelivery();

        var clock = Stopwatch.StartNew();
        using (telemetry.ActivitySource.StartActivity("commit", ActivityKind.Internal))
        {
            if (!sink.Commit(batch))
            {
                return null;
            }
        }

        var commitDuration = clock.Elapsed;
        engine.MarkCommitted();
        foreach (var instrument in newInstruments)
        {
            _instruments[new TopicPartition(instrument.Topic, instrument.Partition)].Add((instrument.Exchange, instrument.Symbol));
        }

        Report(outcomes, receivedTimes, messages.Count, commitDuration, nextOffsets.Keys);
        return nextOffsets;
    }

    /// <summary>
    /// Makes resident, in one query, the windows the trades need and, for instruments new to their partition,
    /// every open window they have: rows left open by a run on another Kafka cluster (a Standalone restart with
    /// a fresh in-memory Kafka), which the watermark and the end of input must still finalize.
    /// </summary>
    private void RestoreWindows(List<(ConsumeResult<byte[]?, byte[]?> Message, Trade? Trade)> tradeItems, HashSet<PartitionInstrument> newInstruments)
    {
        var newTradeInstruments = new Dictionary<(string Exchange, string Symbol), int>();
        foreach (var instrument in newInstruments.Where(i => i.Topic == Topics.RawTrades))
        {
            newTradeInstruments.TryAdd((instrument.Exchange, instrument.Symbol), instrument.Partition);
        }

        var missing = engine.MissingWindows(tradeItems.Where(i => i.Trade is not null).Select(i => i.Trade!));
        if (missing.Count == 0 && newTradeInstruments.Count == 0)
        {
            return;
        }

        var stored = sink.LoadWindows(missing, newTradeInstruments.Keys);
        var unrestored = new HashSet<WindowKey>(missing);
        foreach (var window in stored.Values)
        {
            if (!unrestored.Contains(window.Key) && newTradeInstruments.TryGetValue((window.Exchange, window.Symbol), out var partition))
            {
                RestoreUnlessResident(window, partition);
            }
        }

        foreach (var (message, trade) in tradeItems)
        {
            if (unrestored.Count == 0)
            {
                return;
            }

            if (trade is null)
            {
                continue;
            }

            var key = WindowKey.For(trade);
            if (unrestored.Remove(key))
            {
                engine.Restore(key, stored.GetValueOrDefault(key), message.Partition.Value);
            }
        }
    }

    private void RestoreUnlessResident(CandleState window, int partition)
    {
        try
        {
            engine.Restore(window.Key, window, partition);
        }
        catch (InvalidOperationException)
        {
            // Resident already: its instrument came through another partition this processor owns (the topic's
            // partition count changed), and what is in memory is at least as new as the row.
        }
    }

    private List<PriceFinalization> PriceFinalizations(Dictionary<(string Exchange, string Symbol), DateTimeOffset> lastTickTimes) =>
        // Polled prices have no partition watermark of their own: an instrument's minutes are final once its
        // own ticks are the allowed lateness past their end (or once its partition's input ended).
        [.. lastTickTimes.Select(t => new PriceFinalization(t.Key.Exchange, t.Key.Symbol, t.Value - options.AllowedLateness))];

    private void NoteInstrument(TopicPartition partition, string exchange, string symbol, HashSet<PartitionInstrument> newInstruments)
    {
        if (!_instruments[partition].Contains((exchange, symbol)))
        {
            newInstruments.Add(new PartitionInstrument(partition.Topic, partition.Partition.Value, exchange, symbol));
        }
    }

    private void DeadLetter(ConsumeResult<byte[]?, byte[]?> message, string reason, string error)
    {
        deadLetters.Publish(message, reason, error);
        telemetry.DeadLettered(message.Topic, reason);
    }

    private void Report(long[] outcomes, List<DateTimeOffset>? receivedTimes, int messages, TimeSpan commitDuration, IEnumerable<TopicPartition> partitions)
    {
        for (var i = 0; i < outcomes.Length; i++)
        {
            telemetry.TradesProcessed((TradeOutcome)i, outcomes[i]);
        }

        telemetry.BatchCommitted(messages, commitDuration);
        if (receivedTimes is not null)
        {
            var now = timeProvider.GetUtcNow();
            foreach (var received in receivedTimes)
            {
                telemetry.EndToEndLatency(now - received);
            }
        }

        foreach (var partition in partitions)
        {
            if (partition.Topic == Topics.RawTrades && engine.Watermark(partition.Partition.Value) is { } watermark)
            {
                telemetry.SetWatermark(partition.Partition.Value, watermark);
            }
        }
    }

    private Activity? StartActivity(IReadOnlyList<ConsumeResult<byte[]?, byte[]?>> messages)
    {
        if (!telemetry.ActivitySource.HasListeners())
        {
            return null;
        }

        // The batch continues the trace of its first traced message and links the others, so one trace runs
        // from the exchange message through Kafka to the database commit.
        ActivityContext parent = default;
        var links = new List<ActivityLink>();
        foreach (var message in messages)
        {
            if (!KafkaTraceContext.TryExtract(message.Message.Headers, out var context))
            {
                continue;
            }

            if (parent == default)
            {
                parent = context;
            }
            else if (links.Count < MaxLinks && context.TraceId != parent.TraceId)
            {
                links.Add(new ActivityLink(context));
            }
        }

        return telemetry.StartBatch(parent, links, messages.Count);
    }

    private static bool TryGetControl(ConsumeResult<byte[]?, byte[]?> message, out string control)
    {
        if (message.Message.Headers is { } headers && headers.TryGetLastBytes(ControlMessages.KindHeader, out var kind))
        {
            control = kind is null ? "" : Encoding.UTF8.GetString(kind);
            return true;
        }

        control = "";
        return false;
    }

    private static DateTimeOffset StartOfHour(DateTimeOffset time) =>
        new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerHour), TimeSpan.Zero);
}
