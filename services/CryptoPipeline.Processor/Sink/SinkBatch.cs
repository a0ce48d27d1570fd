using Confluent.Kafka;
using CryptoPipeline.Contracts;
using CryptoPipeline.Windowing;

namespace CryptoPipeline.Processor.Sink;

/// <summary>
/// What PostgreSQL holds for one partition of one Kafka cluster and consumer group: the next offset to consume
/// (null: none yet), its event time, the instruments it has carried and, for <c>raw_trades</c>, their open windows.
/// </summary>
internal sealed record PartitionState(
    TopicPartition Partition,
    long? NextOffset,
    DateTimeOffset? MaxEventTime,
    IReadOnlyList<(string Exchange, string Symbol)> Instruments,
    IReadOnlyList<CandleState> OpenWindows);

/// <summary>An instrument seen on a partition for the first time.</summary>
internal sealed record PartitionInstrument(string Topic, int Partition, string Exchange, string Symbol);

/// <summary>
/// The new checkpoint of a partition the batch consumed from. <see cref="ExpectedNextOffset"/> is what this
/// processor last read or wrote for it (null: no row): the write fails when another consumer moved it since.
/// </summary>
internal sealed record CheckpointUpdate(string Topic, int Partition, long? ExpectedNextOffset, long NextOffset, DateTimeOffset? MaxEventTime);

/// <summary>The price minutes of an instrument ending at or before <see cref="Until"/> are final.</summary>
internal sealed record PriceFinalization(string Exchange, string Symbol, DateTimeOffset Until);

/// <summary>Everything one micro-batch commits, in one PostgreSQL transaction.</summary>
internal sealed class SinkBatch
{
    public required string ClusterId { get; init; }

    public required string ConsumerGroup { get; init; }

    public required IReadOnlyList<CheckpointUpdate> Checkpoints { get; init; }

    public IReadOnlyList<PartitionInstrument> NewInstruments { get; init; } = [];

    public IReadOnlyList<CandleState> Candles { get; init; } = [];

    /// <summary>The latest trade of each instrument in the batch.</summary>
    public IReadOnlyList<Trade> LastTrades { get; init; } = [];

    /// <summary>The latest quote of each instrument in the batch.</summary>
    public IReadOnlyList<Quote> LastQuotes { get; init; } = [];

    /// <summary>Price ticks in arrival order, each instrument's strictly increasing in time.</summary>
    public IReadOnlyList<PriceTick> PriceTicks { get; init; } = [];

    public IReadOnlyList<PriceFinalization> PriceFinalizations { get; init; } = [];

    /// <summary>Partitions of <c>prices</c> whose input ended: every price minute of their instruments is final.</summary>
    public IReadOnlyList<int> FinishedPricePartitions { get; init; } = [];

    /// <summary>Trades for the raw history, when it is on.</summary>
    public IReadOnlyList<Trade> History { get; init; } = [];

    /// <summary>Hours whose hourly candles to rebuild, because some of their minutes are final and changed.</summary>
    public IReadOnlyCollection<DateTimeOffset> RollupHours { get; init; } = [];
}
