using Confluent.Kafka;
using CryptoPipeline.Contracts;
using CryptoPipeline.Processor.Sink;
using CryptoPipeline.Processor.Telemetry;

namespace CryptoPipeline.Processor.Consuming;

/// <summary>
/// The consumer loop, on one dedicated thread: collects micro-batches (at most
/// <see cref="ProcessorOptions.MaxBatchMessages"/> messages or <see cref="ProcessorOptions.MaxBatchDelay"/>
/// after the first one) and hands them to <see cref="BatchProcessor"/>.
/// <para>
/// Offsets live in PostgreSQL with the results, per Kafka cluster id. Every assigned partition starts at the
/// offset stored there (or at <see cref="ProcessorOptions.StartPosition"/> without one). A revoked partition is
/// flushed first, so its next owner continues exactly where this one stopped. When a batch cannot be committed
/// (PostgreSQL down, a dead letter not delivered, or the offsets moved by another consumer), consumption pauses,
/// the in-memory windows are dropped, and once PostgreSQL answers again every assigned partition is sought back
/// to its stored offset: no loss, no double count. Kafka's own committed offsets are kept up to date in the
/// background only for lag tooling; they are never read.
/// </para>
/// </summary>
internal sealed partial class StreamConsumer : IDisposable
{
    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan PausedPoll = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LagRefreshInterval = TimeSpan.FromSeconds(1);

    private readonly IConsumer<byte[]?, byte[]?> _consumer;
    private readonly BatchProcessor _processor;
    private readonly PostgresSink _sink;
    private readonly ProcessorOptions _options;
    private readonly ProcessorTelemetry _telemetry;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _clusterId;

    private readonly List<ConsumeResult<byte[]?, byte[]?>> _pending = [];

    // Each assigned partition's next offset as stored in PostgreSQL (null: no row yet), as this processor last
    // read or wrote it; a commit succeeds only while PostgreSQL still holds exactly this.
    private readonly Dictionary<TopicPartition, long?> _checkpoints = [];

    private bool _resyncNeeded;
    private TimeSpan _retryDelay;
    private long _nextAttempt;
    private long _nextLagRefresh;
    private Error? _fatalError;

    public StreamConsumer(
        ConsumerConfig config,
        string clusterId,
        BatchProcessor processor,
        PostgresSink sink,
        ProcessorOptions options,
        ProcessorTelemetry telemetry,
        TimeProvider timeProvider,
        ILogger logger)
    {
        _clusterId = clusterId;
        _processor = processor;
        _sink = sink;
        _options = options;
        _telemetry = telemetry;
        _time = timeProvider;
        _logger = logger;
        _retryDelay = options.FirstRetryDelay;
        _consumer = new ConsumerBuilder<byte[]?, byte[]?>(config)
            .SetPartitionsAssignedHandler(OnAssigned)
            .SetPartitionsRevokedHandler(OnRevoked)
            .SetPartitionsLostHandler(OnLost)
            .SetErrorHandler(OnError)
            .SetLogHandler((_, message) => LogLibrdkafka(_logger, LevelOf(message.Level), message.Facility, message.Message))
            .Build();
    }

    /// <summary>Consumes until <paramref name="stopping"/> is cancelled, then leaves the group cleanly.</summary>
    /// <exception cref="KafkaException">The consumer hit a fatal error.</exception>
    public void Run(CancellationToken stopping)
    {
        _consumer.Subscribe(Topics.Data);
        LogSubscribed(_logger, string.Join(", ", Topics.Data), _options.ConsumerGroup, _clusterId);
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                if (_fatalError is { } fatal)
                {
                    throw new KafkaException(fatal);
                }

                if (_resyncNeeded)
                {
                    Resync();
                    continue;
                }

                Collect(stopping);
                if (!_resyncNeeded && _pending.Count > 0)
                {
                    Flush();
                }

                RefreshLag();
            }
        }
        finally
        {
            Close();
        }
    }

    public void Dispose() => _consumer.Dispose();

    private void Collect(CancellationToken stopping)
    {
        long? batchStart = null;
        while (_pending.Count < _options.MaxBatchMessages && !stopping.IsCancellationRequested && !_resyncNeeded)
        {
            var timeout = IdlePoll;
            if (batchStart is { } start)
            {
                timeout = _options.MaxBatchDelay - _time.GetElapsedTime(start);
                if (timeout <= TimeSpan.Zero)
                {
                    return;
                }
            }

            var result = Consume(timeout);
            if (result is null)
            {
                if (batchStart is null)
                {
                    return;
                }

                continue;
            }

            _pending.Add(result);
            batchStart ??= _time.GetTimestamp();
        }
    }

    /// <summary>Processes and commits what was collected; on failure, pauses and schedules a resync.</summary>
    private void Flush()
    {
        // Messages of partitions this processor no longer owns, or from before its stored offset (fetched
        // before a seek took effect), are not its to process.
        var messages = _pending.Where(m => _checkpoints.TryGetValue(m.TopicPartition, out var next) && (next is null || m.Offset.Value >= next)).ToList();
        _pending.Clear();
        if (messages.Count == 0)
        {
            return;
        }

        try
        {
            var committed = _processor.Process(messages, _checkpoints, _clusterId, _options.ConsumerGroup);
            if (committed is null)
            {
                LogCheckpointsMoved(_logger);
                EnterResync(immediately: true);
                return;
            }

            foreach (var (partition, next) in committed)
            {
                _checkpoints[partition] = next;
                StoreOffsetInKafka(partition, next);
            }

            _retryDelay = _options.FirstRetryDelay;
        }
        catch (Exception e)
        {
            LogBatchFailed(_logger, e, messages.Count, _retryDelay.TotalMilliseconds);
            _telemetry.RetryFailed("commit");
            EnterResync(immediately: false);
        }
    }

    private void EnterResync(bool immediately)
    {
        _resyncNeeded = true;
        _pending.Clear();
        _processor.Reset();
        _nextAttempt = _time.GetTimestamp() + (immediately ? 0 : (long)(_retryDelay.TotalSeconds * _time.TimestampFrequency));
        if (!immediately)
        {
            _retryDelay = TimeSpan.FromTicks(Math.Min(_retryDelay.Ticks * 2, _options.MaxRetryDelay.Ticks));
        }
    }

    /// <summary>
    /// While paused: keeps serving the group (rebalances happen inside Consume) and, when the retry is due,
    /// reads every assigned partition's stored offset, seeks to it and resumes.
    /// </summary>
    private void Resync()
    {
        var assignment = _consumer.Assignment;
        if (assignment.Count > 0)
        {
            _consumer.Pause(assignment);
        }

        var wait = TimeSpan.FromSeconds((double)(_nextAttempt - _time.GetTimestamp()) / _time.TimestampFrequency);
        if (wait <= TimeSpan.Zero)
        {
            try
            {
                var stored = _sink.ReadPartitions(_clusterId, _options.ConsumerGroup, assignment);
                _checkpoints.Clear();
                foreach (var position in TakeOver(stored))
                {
                    _consumer.Seek(position);
                }

                _consumer.Resume(assignment);
                _resyncNeeded = false;
                _retryDelay = _options.FirstRetryDelay;
                LogResumed(_logger, assignment.Count);
                return;
            }
            catch (Exception e)
            {
                LogResumeFailed(_logger, e, _retryDelay.TotalMilliseconds);
                _telemetry.RetryFailed("resume");
                EnterResync(immediately: false);
            }
        }

        // Whatever arrives is dropped: consumption restarts from PostgreSQL's offsets.
        Consume(wait > TimeSpan.Zero && wait < PausedPoll ? wait : PausedPoll);
    }

    /// <summary>One message, or null after <paramref name="timeout"/>; rebalance callbacks run inside, on this thread.</summary>
    private ConsumeResult<byte[]?, byte[]?>? Consume(TimeSpan timeout)
    {
        try
        {
            return _consumer.Consume(timeout);
        }
        catch (ConsumeException e) when (!e.Error.IsFatal)
        {
            LogConsumeFailed(_logger, e.Error.Code, e.Error.Reason);
            return null;
        }
    }

    private IEnumerable<TopicPartitionOffset> OnAssigned(IConsumer<byte[]?, byte[]?> consumer, List<TopicPartition> partitions)
    {
        LogAssigned(_logger, partitions.Count, string.Join(", ", partitions));
        if (!_resyncNeeded)
        {
            try
            {
                return TakeOver(_sink.ReadPartitions(_clusterId, _options.ConsumerGroup, partitions));
            }
            catch (Exception e)
            {
                LogAssignmentReadFailed(_logger, e);
                _telemetry.RetryFailed("assign");
                EnterResync(immediately: false);
            }
        }

        // The resync seeks every assigned partition, these too, once PostgreSQL answers.
        return partitions.Select(p => new TopicPartitionOffset(p, Offset.Unset));
    }

    private void OnRevoked(IConsumer<byte[]?, byte[]?> consumer, List<TopicPartitionOffset> partitions)
    {
        LogRevoked(_logger, partitions.Count, string.Join(", ", partitions.Select(p => p.TopicPartition)));

        // Commit what was consumed before the partitions move, so the next owner continues from there.
        if (!_resyncNeeded && _pending.Count > 0)
        {
            Flush();
        }

        Forget(partitions.Select(p => p.TopicPartition));
    }

    private void OnLost(IConsumer<byte[]?, byte[]?> consumer, List<TopicPartitionOffset> partitions)
    {
        // Another member may own them already: committing for them could undo its work.
        LogLost(_logger, partitions.Count, string.Join(", ", partitions.Select(p => p.TopicPartition)));
        Forget(partitions.Select(p => p.TopicPartition));
    }

    private void Forget(IEnumerable<TopicPartition> partitions)
    {
        var gone = partitions.ToHashSet();
        _pending.RemoveAll(m => gone.Contains(m.TopicPartition));
        foreach (var partition in gone)
        {
            _checkpoints.Remove(partition);
            _processor.Forget(partition);
            _telemetry.Forget(partition);
        }
    }

    /// <summary>Resumes each partition from its stored state; returns where to start consuming it.</summary>
    private List<TopicPartitionOffset> TakeOver(List<PartitionState> partitions)
    {
        var positions = new List<TopicPartitionOffset>(partitions.Count);
        foreach (var state in partitions)
        {
            _checkpoints[state.Partition] = state.NextOffset;
            _processor.Resume(state);
            positions.Add(new TopicPartitionOffset(
                state.Partition,
                state.NextOffset ?? (_options.StartPosition == StartPosition.Latest ? Offset.End : Offset.Beginning)));
        }

        LogStartPositions(_logger, string.Join(", ", positions));
        return positions;
    }

    // Best effort, for lag tooling: librdkafka commits stored offsets in the background.
    private void StoreOffsetInKafka(TopicPartition partition, long next)
    {
        try
        {
            _consumer.StoreOffset(new TopicPartitionOffset(partition, next));
        }
        catch (KafkaException e)
        {
            LogOffsetNotStored(_logger, partition, e.Error.Reason);
        }
    }

    private void RefreshLag()
    {
        if (_time.GetTimestamp() < _nextLagRefresh)
        {
            return;
        }

        _nextLagRefresh = _time.GetTimestamp() + (long)(LagRefreshInterval.TotalSeconds * _time.TimestampFrequency);
        foreach (var (partition, next) in _checkpoints)
        {
            // Cached from fetch responses: no broker round trip.
            var watermarks = _consumer.GetWatermarkOffsets(partition);
            var from = next ?? watermarks.Low.Value;
            if (watermarks.High.Value >= 0 && from >= 0)
            {
                _telemetry.SetConsumerLag(partition, Math.Max(0, watermarks.High.Value - from));
            }
        }
    }

    private void Close()
    {
        try
        {
            // Leaves the group now (the revocation commits what is pending) instead of after the session timeout.
            _consumer.Close();
        }
        catch (Exception e)
        {
            LogCloseFailed(_logger, e);
        }
    }

    private void OnError(IConsumer<byte[]?, byte[]?> consumer, Error error)
    {
        if (error.IsFatal)
        {
            _fatalError = error;
        }

        LogKafkaError(_logger, error.IsFatal ? LogLevel.Critical : LogLevel.Warning, error.Code, error.Reason);
    }

    private static LogLevel LevelOf(SyslogLevel level) => level switch
    {
        SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical => LogLevel.Critical,
        SyslogLevel.Error => LogLevel.Error,
        SyslogLevel.Warning => LogLevel.Warning,
        SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
        _ => LogLevel.Debug,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Subscribed to {Topics} in consumer group {Group} on Kafka cluster {ClusterId}")]
    private static partial void LogSubscribed(ILogger logger, string topics, string group, string clusterId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Assigned {Count} partition(s): {Partitions}")]
    private static partial void LogAssigned(ILogger logger, int count, string partitions);

    [LoggerMessage(Level = LogLevel.Information, Message = "Starting partitions at the offsets stored in PostgreSQL (or the start position): {Positions}")]
    private static partial void LogStartPositions(ILogger logger, string positions);

    [LoggerMessage(Level = LogLevel.Information, Message = "Revoked {Count} partition(s) after committing what was consumed: {Partitions}")]
    private static partial void LogRevoked(ILogger logger, int count, string partitions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost {Count} partition(s) without a revocation; their uncommitted messages are left to the next owner: {Partitions}")]
    private static partial void LogLost(ILogger logger, int count, string partitions);

    [LoggerMessage(Level = LogLevel.Error, Message = "A batch of {Count} message(s) could not be committed; consumption is paused and resumes from PostgreSQL's offsets in {DelayMs} ms")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, int count, double delayMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Another consumer moved this processor's offsets in PostgreSQL (a partition changed hands); re-reading them and seeking back")]
    private static partial void LogCheckpointsMoved(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the stored offsets to resume; retrying in {DelayMs} ms")]
    private static partial void LogResumeFailed(ILogger logger, Exception exception, double delayMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the stored offsets of newly assigned partitions; pausing until PostgreSQL answers")]
    private static partial void LogAssignmentReadFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Resumed {Count} partition(s) from the offsets stored in PostgreSQL")]
    private static partial void LogResumed(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not record offset for {Partition} in Kafka (lag tooling only): {Reason}")]
    private static partial void LogOffsetNotStored(ILogger logger, TopicPartition partition, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kafka could not deliver a message ({Code}: {Reason}); consuming on")]
    private static partial void LogConsumeFailed(ILogger logger, ErrorCode code, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing the Kafka consumer failed")]
    private static partial void LogCloseFailed(ILogger logger, Exception exception);

    [LoggerMessage(Message = "Kafka consumer error {Code}: {Reason}")]
    private static partial void LogKafkaError(ILogger logger, LogLevel level, ErrorCode code, string reason);

    [LoggerMessage(Message = "librdkafka {Facility}: {Message}")]
    private static partial void LogLibrdkafka(ILogger logger, LogLevel level, string facility, string message);
}
