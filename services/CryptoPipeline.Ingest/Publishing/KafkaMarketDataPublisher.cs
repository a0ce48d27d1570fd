using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Threading.Channels;
using Confluent.Kafka;
using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.Health;
using CryptoPipeline.Kafka;
using Microsoft.Extensions.Options;

namespace CryptoPipeline.Ingest.Publishing;

/// <summary>
/// <see cref="IMarketDataSink"/> on Kafka (DESIGN.md §3): trades to <c>raw_trades</c>, quotes to <c>quotes</c>,
/// price ticks to <c>prices</c>, keyed <c>exchange:symbol</c>, with an idempotent <c>acks=all</c> producer.
/// </summary>
/// <remarks>
/// <para>
/// At most <see cref="PublishingOptions.BufferCapacity"/> messages wait in the process for Kafka's
/// acknowledgement, wherever they are (the hand-off queue or librdkafka's): a publish call beyond that waits
/// for a slot, which holds the source back while Kafka is slow or away, and nothing grows without bound.
/// </para>
/// <para>
/// One loop hands the queued messages to the producer in the order they were published, so each symbol's
/// messages reach its partition in order; idempotence keeps them in order and single through retries. Each
/// batch of up to <see cref="MaxBatch"/> messages gets one producer span, linked to the activities that
/// published its messages, and every message carries that span's W3C context in its headers.
/// </para>
/// <para>
/// Kafka's acknowledgement of a live trade moves its symbol's position in <see cref="PublishedTradeProgress"/>, where a
/// restarted feed continues.
/// </para>
/// </remarks>
internal sealed partial class KafkaMarketDataPublisher : IMarketDataSink, IHostedService, IDisposable
{
    internal const int MaxBatch = 1_000;

    private const int MaxLinks = 16;
    private static readonly TimeSpan MetadataTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan QueueFullPoll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan FailureLogInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RecentFailureWindow = TimeSpan.FromMinutes(5);
    private static readonly byte[] EndOfInputKind = Encoding.UTF8.GetBytes(ControlMessages.EndOfInput);

    private readonly IOptions<KafkaOptions> _kafkaOptions;
    private readonly IOptions<PublishingOptions> _publishingOptions;
    private readonly IngestTelemetry _telemetry;
    private readonly FeedActivity _activity;
    private readonly PublishedTradeProgress _progress;
    private readonly TimeProvider _time;
    private readonly ILogger<KafkaMarketDataPublisher> _logger;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Action<DeliveryReport<string, byte[]>> _onDelivery;
    private readonly ConcurrentDictionary<ErrorCode, FailureLog> _failureLogs = new();
    private readonly CancellationTokenSource _abandon = new();
    private KafkaOptions _kafka = new();
    private PublishingOptions _options = new();
    private SemaphoreSlim _slots = new(0);
    private int _capacity;
    private IProducer<string, byte[]>? _producer;
    private IAdminClient? _admin;
    private Task _run = Task.CompletedTask;
    private int _disposed;

    private volatile bool _topicsReady;
    private volatile string? _topicsProblem;
    private volatile Error? _fatalError;
    private long _lastAcknowledged;
    private long _lastFailure;
    private long _failures;
    private volatile string? _lastFailureText;

    public KafkaMarketDataPublisher(
        IOptions<KafkaOptions> kafka,
        IOptions<PublishingOptions> options,
        IngestTelemetry telemetry,
        FeedActivity activity,
        PublishedTradeProgress progress,
        TimeProvider time,
        ILogger<KafkaMarketDataPublisher> logger)
    {
        // Read at start, not here: the host builds every hosted service before it validates the options, and
        // reading them now would report only this class's settings instead of every bad one.
        _kafkaOptions = kafka;
        _publishingOptions = options;
        _telemetry = telemetry;
        _activity = activity;
        _progress = progress;
        _time = time;
        _logger = logger;
        _onDelivery = OnDelivery;
        _lastAcknowledged = time.GetTimestamp();
        telemetry.Meter.CreateObservableGauge(
            "cryptopipeline.ingest.buffer_depth",
            () => Buffered,
            "{message}",
            "Messages waiting in the process for Kafka's acknowledgement; sources wait when it reaches Ingest:Publishing:BufferCapacity.");
    }

    /// <summary>Messages accepted and not yet acknowledged (or failed) by Kafka.</summary>
    public int Buffered => _capacity - _slots.CurrentCount;

    public ValueTask PublishAsync(Trade trade, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(trade);
        var key = trade.Key;
        var pending = _progress.PositionOf(key, trade) is { } position
            ? new FollowedTrade(key, TradeJson.Serialize(trade), position, trade.TradeId, trade.TradeTime)
            : new Pending(Topics.RawTrades, key, TradeJson.Serialize(trade));
        IngestTelemetry.Add(_telemetry.Trades, 1, trade.Exchange, trade.Symbol);
        _activity.Observe(key, trade.Exchange, trade.Symbol, Topics.RawTrades);
        return EnqueueAsync(pending, cancellationToken);
    }

    public ValueTask PublishAsync(Quote quote, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(quote);
        var key = quote.Key;
        var pending = new Pending(Topics.Quotes, key, QuoteJson.Serialize(quote));
        IngestTelemetry.Add(_telemetry.Quotes, 1, quote.Exchange, quote.Symbol);
        _activity.Observe(key, quote.Exchange, quote.Symbol, Topics.Quotes);
        return EnqueueAsync(pending, cancellationToken);
    }

    public ValueTask PublishAsync(PriceTick tick, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tick);
        var key = tick.Key;
        var pending = new Pending(Topics.Prices, key, PriceTickJson.Serialize(tick));
        IngestTelemetry.Add(_telemetry.PriceTicks, 1, tick.Exchange, tick.Symbol);
        _activity.Observe(key, tick.Exchange, tick.Symbol, Topics.Prices);
        return EnqueueAsync(pending, cancellationToken);
    }

    /// <summary>
    /// Queues an end-of-input marker behind everything published so far and completes once Kafka has
    /// acknowledged it on every partition of <c>raw_trades</c>, <c>quotes</c> and <c>prices</c>, which
    /// means everything published before it is in Kafka too.
    /// </summary>
    public async ValueTask PublishEndOfInputAsync(CancellationToken cancellationToken)
    {
        var marker = new EndOfInput();
        if (!_queue.Writer.TryWrite(marker))
        {
            throw Stopped();
        }

        await marker.Delivered.Task.WaitAsync(cancellationToken);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _kafka = _kafkaOptions.Value;
        _options = _publishingOptions.Value;
        _capacity = _options.BufferCapacity;
        _slots = new SemaphoreSlim(_capacity, _capacity);
        var config = _kafka.CreateProducerConfig();

        // 0 is librdkafka's "retry until delivered".
        config.MessageTimeoutMs = _options.DeliveryTimeout is { } timeout ? (int)timeout.TotalMilliseconds : 0;

        // JSON market data compresses several times over: less network, disk and broker memory (LZ4 is built
        // into librdkafka, cheap on the CPU, and every Kafka client reads it).
        config.CompressionType = CompressionType.Lz4;

        // librdkafka's own queue must never be the limit that bites first: the slots are.
        config.QueueBufferingMaxMessages = _options.BufferCapacity + (Topics.Data.Count * 1_000);
        _producer = new ProducerBuilder<string, byte[]>(config)
            .SetErrorHandler((_, error) => OnClientError(error))
            .SetLogHandler((_, message) => LogClient(ToLogLevel(message.Level), message.Facility, message.Message))
            .Build();
        _admin = new DependentAdminClientBuilder(_producer.Handle).Build();
        _run = Task.Run(() => RunAsync(_abandon.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops accepting messages, hands what is queued to Kafka and waits up to
    /// <see cref="PublishingOptions.ShutdownTimeout"/> for the acknowledgements. The sources stop first
    /// (hosted services stop in reverse order of registration), so nothing new arrives meanwhile.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        var started = _time.GetTimestamp();
        try
        {
            await _run.WaitAsync(_options.ShutdownTimeout, _time, cancellationToken);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            LogShutdownWaitEnded();
        }
        finally
        {
            await _abandon.CancelAsync();
        }

        if (_producer is { } producer)
        {
            var left = _options.ShutdownTimeout - _time.GetElapsedTime(started);
            var undelivered = producer.Flush(left > TimeSpan.Zero ? left : TimeSpan.Zero);
            while (_queue.Reader.TryRead(out _))
            {
                undelivered++;
            }

            if (undelivered > 0)
            {
                LogUndeliveredAtShutdown(undelivered, _options.ShutdownTimeout.TotalSeconds);
            }
        }
    }

    public PublisherStatus GetStatus()
    {
        var now = _time.GetTimestamp();
        var lastFailure = Interlocked.Read(ref _lastFailure);
        return new PublisherStatus(
            _topicsReady,
            _topicsProblem,
            _fatalError?.ToString(),
            Buffered,
            _options.BufferCapacity,
            _time.GetElapsedTime(Interlocked.Read(ref _lastAcknowledged), now),
            Interlocked.Read(ref _failures),
            lastFailure != 0 && _time.GetElapsedTime(lastFailure, now) < RecentFailureWindow ? _lastFailureText : null);
    }

    public void Dispose()
    {
        // The container hands this one instance out as the sink and the hosted service too, and disposes each.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _admin?.Dispose();
        _producer?.Dispose();
        _slots.Dispose();
        _abandon.Dispose();
    }

    private static InvalidOperationException Stopped() =>
        new("The Kafka publisher has stopped: the host is shutting down, so nothing more can be published.");

    private static LogLevel ToLogLevel(SyslogLevel level) => level switch
    {
        SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical or SyslogLevel.Error => LogLevel.Error,
        SyslogLevel.Warning => LogLevel.Warning,
        SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
        _ => LogLevel.Debug,
    };

    private ValueTask EnqueueAsync(Pending pending, CancellationToken cancellationToken)
    {
        var slot = _slots.WaitAsync(cancellationToken);
        if (slot.IsCompletedSuccessfully)
        {
            Enqueue(pending);
            return ValueTask.CompletedTask;
        }

        return EnqueueWhenRoomAsync(slot, pending);
    }

    private async ValueTask EnqueueWhenRoomAsync(Task slot, Pending pending)
    {
        await slot;
        Enqueue(pending);
    }

    private void Enqueue(Pending pending)
    {
        // The Kafka timestamp is when the message was handed over: publish latency runs from here.
        pending.Timestamp = new Timestamp(_time.GetUtcNow());
        if (!_queue.Writer.TryWrite(pending))
        {
            _slots.Release();
            throw Stopped();
        }
    }

    private async Task RunAsync(CancellationToken abandon)
    {
        try
        {
            await EnsureTopicsAsync(abandon);
            var reader = _queue.Reader;
            var batch = new List<Pending>(MaxBatch);
            while (await reader.WaitToReadAsync(abandon))
            {
                while (batch.Count < MaxBatch && reader.TryRead(out var pending))
                {
                    if (pending is EndOfInput marker)
                    {
                        Produce(batch, abandon);
                        batch.Clear();
                        ProduceEndOfInput(marker, abandon);
                        continue;
                    }

                    batch.Add(pending);
                }

                Produce(batch, abandon);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (abandon.IsCancellationRequested)
        {
            // Shutdown gave up waiting; StopAsync reports what was not delivered.
        }
        catch (Exception e)
        {
            LogPublisherFailed(e);
            throw;
        }
    }

    private async Task EnsureTopicsAsync(CancellationToken abandon)
    {
        var backoff = new Feeds.ReconnectBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), Random.Shared);
        while (true)
        {
            try
            {
                var created = await _admin!.EnsureTopicsAsync(_kafka);
                if (created.Count > 0)
                {
                    LogTopicsCreated(string.Join(", ", created), _kafka.Partitions);
                }

                _topicsProblem = null;
                _topicsReady = true;
                return;
            }
            catch (Exception e) when (e is InvalidOperationException or KafkaException)
            {
                _topicsProblem = e.Message;
                var delay = backoff.Next();
                LogTopicsNotReady(e.Message, delay.TotalSeconds);
                await Task.Delay(delay, _time, abandon);
            }
        }
    }

    private void Produce(List<Pending> batch, CancellationToken abandon)
    {
        if (batch.Count == 0)
        {
            return;
        }

        using var span = StartBatchSpan(batch);
        Headers? context = null;
        if (span is not null)
        {
            context = [];
            KafkaTraceContext.Inject(span, context);
        }

        var producer = _producer!;
        foreach (var pending in batch)
        {
            if (context is not null)
            {
                pending.Headers = [];
                foreach (var header in context)
                {
                    pending.Headers.Add(header.Key, header.GetValueBytes());
                }
            }

            var onDelivery = pending is FollowedTrade followed ? followed.OnDelivery(_onDelivery) : _onDelivery;
            Send(producer, new TopicPartition(pending.Topic, Partition.Any), pending, onDelivery, abandon);
        }
    }

    private Activity? StartBatchSpan(List<Pending> batch)
    {
        var source = _telemetry.ActivitySource;
        if (!source.HasListeners())
        {
            return null;
        }

        List<ActivityLink>? links = null;
        foreach (var pending in batch)
        {
            if (pending.Origin == default || links?.Count >= MaxLinks)
            {
                continue;
            }

            links ??= [];
            if (!links.Exists(l => l.Context == pending.Origin))
            {
                links.Add(new ActivityLink(pending.Origin));
            }
        }

        var span = source.StartActivity(IngestTelemetry.PublishSpanName, ActivityKind.Producer, default(ActivityContext), links: links);
        span?.SetTag("messaging.system", "kafka");
        span?.SetTag("messaging.operation.type", "send");
        span?.SetTag("messaging.batch.message_count", batch.Count);
        return span;
    }

    private void ProduceEndOfInput(EndOfInput marker, CancellationToken abandon)
    {
        var partitions = new List<TopicPartition>();
        foreach (var topic in Topics.Data)
        {
            var metadata = _admin!.GetMetadata(topic, MetadataTimeout).Topics.Single(t => t.Topic == topic);
            if (metadata.Error.IsError || metadata.Partitions.Count == 0)
            {
                marker.Delivered.TrySetException(new InvalidOperationException($"Cannot mark the end of input on '{topic}': {metadata.Error.Reason}"));
                return;
            }

            partitions.AddRange(metadata.Partitions.Select(p => new TopicPartition(topic, p.PartitionId)));
        }

        var outstanding = partitions.Count;
        void OnMarkerDelivered(DeliveryReport<string, byte[]> report)
        {
            if (report.Error.IsError)
            {
                marker.Delivered.TrySetException(new KafkaException(report.Error));
            }
            else if (Interlocked.Decrement(ref outstanding) == 0)
            {
                marker.Delivered.TrySetResult();
            }
        }

        foreach (var partition in partitions)
        {
            var message = new Message<string, byte[]>
            {
                Value = [],
                Headers = new Headers { { ControlMessages.KindHeader, EndOfInputKind } },
                Timestamp = new Timestamp(_time.GetUtcNow()),
            };
            Send(_producer!, partition, message, OnMarkerDelivered, abandon);
        }

        LogEndOfInput(partitions.Count);
    }

    private static void Send(IProducer<string, byte[]> producer, TopicPartition partition, Message<string, byte[]> message, Action<DeliveryReport<string, byte[]>> onDelivery, CancellationToken abandon)
    {
        while (true)
        {
            try
            {
                producer.Produce(partition, message, onDelivery);
                return;
            }
            catch (ProduceException<string, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                // librdkafka's queue drains as acknowledgements are served.
                abandon.ThrowIfCancellationRequested();
                producer.Poll(QueueFullPoll);
            }
        }
    }

    private void OnDelivery(DeliveryReport<string, byte[]> report)
    {
        _slots.Release();
        var topic = new KeyValuePair<string, object?>(IngestTelemetry.TopicTag, report.Topic);
        if (!report.Error.IsError)
        {
            Interlocked.Exchange(ref _lastAcknowledged, _time.GetTimestamp());
            _telemetry.Published.Add(1, topic);
            _telemetry.PublishLatency.Record((_time.GetUtcNow() - report.Message.Timestamp.UtcDateTime).TotalMilliseconds, topic);
            return;
        }

        var error = report.Error;
        _telemetry.DeliveryErrors.Add(1, topic, new(IngestTelemetry.ReasonTag, error.Code.ToString()));
        Interlocked.Increment(ref _failures);
        Interlocked.Exchange(ref _lastFailure, _time.GetTimestamp());
        _lastFailureText = $"{error.Code}: {error.Reason} (topic {report.Topic}, key {report.Message.Key})";

        // Logged once per error code and interval, with how many failed meanwhile: an outage must not flood the log.
        var log = _failureLogs.GetOrAdd(error.Code, _ => new FailureLog());
        var now = _time.GetTimestamp();
        lock (log)
        {
            log.Suppressed++;
            if (log.LastLogged != 0 && _time.GetElapsedTime(log.LastLogged, now) < FailureLogInterval)
            {
                return;
            }

            LogDeliveryFailed(report.Topic, report.Message.Key, error.Code, error.Reason, log.Suppressed);
            log.LastLogged = now;
            log.Suppressed = 0;
        }
    }

    private void OnClientError(Error error)
    {
        if (error.IsFatal)
        {
            _fatalError = error;
            LogFatal(error.Code, error.Reason);
            return;
        }

        LogClientError(error.Code, error.Reason);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created Kafka topic(s) {Topics} with {Partitions} partition(s).")]
    private partial void LogTopicsCreated(string topics, int partitions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kafka topics are not ready ({Problem}); publishing waits, retrying in {DelaySeconds:0.#} s.")]
    private partial void LogTopicsNotReady(string problem, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Kafka did not take a message for {Topic} (key {Key}): {Code} {Reason}. {Count} message(s) failed this way since the last report; they are lost.")]
    private partial void LogDeliveryFailed(string topic, string? key, ErrorCode code, string reason, long count);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The Kafka producer failed fatally ({Code}: {Reason}); nothing more will be published until the process restarts.")]
    private partial void LogFatal(ErrorCode code, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kafka client: {Code} {Reason}")]
    private partial void LogClientError(ErrorCode code, string reason);

    [LoggerMessage(Message = "librdkafka {Facility}: {Text}")]
    private partial void LogClient(LogLevel level, string facility, string text);

    [LoggerMessage(Level = LogLevel.Information, Message = "End of input marked on {Partitions} partition(s).")]
    private partial void LogEndOfInput(int partitions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopped waiting for Kafka to take the buffered messages.")]
    private partial void LogShutdownWaitEnded();

    [LoggerMessage(Level = LogLevel.Error, Message = "{Count} message(s) were not delivered to Kafka within {Seconds} s of shutdown and are lost.")]
    private partial void LogUndeliveredAtShutdown(int count, double seconds);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The Kafka publishing loop failed; nothing more will be published.")]
    private partial void LogPublisherFailed(Exception exception);

    /// <summary>A message waiting for the producer, with the activity that published it.</summary>
    private class Pending : Message<string, byte[]>
    {
        public Pending(string topic, string key, byte[] value)
        {
            Topic = topic;
            Key = key;
            Value = value;
            Origin = Activity.Current?.Context ?? default;
        }

        protected Pending()
        {
            Topic = "";
        }

        public string Topic { get; }

        public ActivityContext Origin { get; }
    }

    /// <summary>A trade whose acknowledgement moves its symbol's position.</summary>
    private sealed class FollowedTrade(string key, byte[] value, TradePosition position, long tradeId, DateTimeOffset tradeTime)
        : Pending(Topics.RawTrades, key, value)
    {
        public Action<DeliveryReport<string, byte[]>> OnDelivery(Action<DeliveryReport<string, byte[]>> onDelivery) => report =>
        {
            onDelivery(report);
            if (!report.Error.IsError)
            {
                position.Acknowledged(tradeId, tradeTime);
            }
        };
    }

    private sealed class EndOfInput : Pending
    {
        public TaskCompletionSource Delivered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class FailureLog
    {
        public long LastLogged;
        public long Suppressed;
    }
}

/// <summary>What the <c>kafka-publisher</c> health check reports.</summary>
internal sealed record PublisherStatus(
    bool TopicsReady,
    string? TopicsProblem,
    string? FatalError,
    int Buffered,
    int Capacity,
    TimeSpan SinceLastAcknowledgement,
    long DeliveryFailures,
    string? RecentFailure);
