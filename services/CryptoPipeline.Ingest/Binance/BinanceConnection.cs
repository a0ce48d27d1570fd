using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;

using CryptoPipeline.Ingest.Feeds;

namespace CryptoPipeline.Ingest.Binance;

/// <summary>
/// One combined-stream WebSocket: connects, subscribes its streams with SUBSCRIBE messages paced under
/// Binance's 5 messages per second, parses every frame and hands trades and quotes to its shard. A watchdog
/// aborts it when nothing arrives for <see cref="BinanceOptions.NoDataTimeout"/>. Binance's ping frames are
/// answered by <see cref="ClientWebSocket"/> itself, with a pong carrying the ping's payload, while a receive is
/// pending, and one always is.
/// </summary>
internal sealed class BinanceConnection : IAsyncDisposable
{
    /// <summary>Streams per SUBSCRIBE message; 1024 streams take six messages.</summary>
    private const int StreamsPerSubscribeMessage = 200;

    private const int InitialBufferBytes = 16 * 1024;

    /// <summary>Three messages a second leaves room under Binance's five for the pongs, which count too.</summary>
    private static readonly TimeSpan SubscribeInterval = TimeSpan.FromMilliseconds(334);

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    private readonly BinanceFeedContext _feed;
    private readonly BinanceStreamParser _parser;
    private readonly ChannelWriter<ShardItem> _output;
    private readonly Uri _uri;
    private readonly IReadOnlyList<string> _streams;
    private readonly ClientWebSocket _socket = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ITimer? _watchdog;
    private long _lastFrameTimestamp;
    private int _pendingAnswers;
    private volatile bool _delivered;
    private volatile bool _stalled;
    private volatile bool _waitingOnShard;
    private volatile string? _closingReason;
    private int _disposed;

    public BinanceConnection(string id, Uri uri, IReadOnlyList<string> streams, BinanceFeedContext feed, BinanceStreamParser parser, ChannelWriter<ShardItem> output)
    {
        Id = id;
        _uri = uri;
        _streams = streams;
        _feed = feed;
        _parser = parser;
        _output = output;
        Completion = Task.FromResult(new Disconnect(Disconnect.Local, "never opened"));
    }

    /// <summary>Names the connection in the journal and the logs, e.g. <c>binance/stream#0.3</c>.</summary>
    public string Id { get; }

    /// <summary>Ends with the reason when the connection is gone.</summary>
    public Task<Disconnect> Completion { get; private set; }

    /// <summary>Completes once every SUBSCRIBE is answered and a trade or quote has arrived.</summary>
    public Task Ready => _ready.Task;

    /// <summary>Whether a trade or quote ever arrived: a connection that worked is reopened without delay.</summary>
    public bool DeliveredData => _delivered;

    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        using (var timeout = new CancellationTokenSource(ConnectTimeout, _feed.Time))
        using (var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token))
        {
            await _socket.ConnectAsync(_uri, connect.Token);
        }

        Volatile.Write(ref _lastFrameTimestamp, _feed.Time.GetTimestamp());
        _watchdog = _feed.Time.CreateTimer(_ => CheckWatchdog(), null, _feed.Options.NoDataTimeout, Timeout.InfiniteTimeSpan);

        var batches = _streams.Chunk(StreamsPerSubscribeMessage).ToArray();
        _pendingAnswers = batches.Length;
        Completion = ReceiveAsync(CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token));
        for (var i = 0; i < batches.Length; i++)
        {
            if (i > 0)
            {
                await Task.Delay(SubscribeInterval, _feed.Time, cancellationToken);
            }

            await _socket.SendAsync(SubscribeMessage(batches[i], i + 1), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        }
    }

    /// <summary>Closes the connection on purpose (rotation, shutdown) and waits for it to end.</summary>
    public async Task CloseAsync(string reason)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        _closingReason = reason;
        using var timeout = new CancellationTokenSource(CloseTimeout, _feed.Time);
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, reason, timeout.Token);
            }

            await Completion.WaitAsync(timeout.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or TimeoutException)
        {
            // The server did not finish the closing handshake in time: drop the connection.
            _socket.Abort();
        }
        finally
        {
            await _stop.CancelAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync();
        _socket.Abort();
        await ((Task)Completion).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _socket.Dispose();
        _stop.Dispose();

        if (_watchdog is not null)
        {
            await _watchdog.DisposeAsync();
        }
    }

    private static byte[] SubscribeMessage(string[] streams, int id)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + (streams.Length * 32));
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("method"u8, "SUBSCRIBE"u8);
            json.WriteStartArray("params"u8);
            foreach (var stream in streams)
            {
                json.WriteStringValue(stream);
            }

            json.WriteEndArray();
            json.WriteNumber("id"u8, id);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private void CheckWatchdog()
    {
        // Frames waiting for the publisher (back-pressure from Kafka) are not silence on the wire.
        var idle = _waitingOnShard ? TimeSpan.Zero : _feed.Time.GetElapsedTime(Volatile.Read(ref _lastFrameTimestamp));
        if (idle >= _feed.Options.NoDataTimeout)
        {
            _stalled = true;
            _socket.Abort();
        }
        else
        {
            _watchdog?.Change(_feed.Options.NoDataTimeout - idle, Timeout.InfiniteTimeSpan);
        }
    }

    private async Task<Disconnect> ReceiveAsync(CancellationTokenSource receiveScope)
    {
        using var scope = receiveScope;
        var cancellationToken = scope.Token;
        var maxBytes = _feed.Options.MaxMessageBytes;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialBufferBytes, maxBytes));
        var count = 0;
        byte[]? oversizedSample = null;
        var oversizedBytes = 0L;
        try
        {
            while (true)
            {
                if (count == buffer.Length)
                {
                    if (buffer.Length >= maxBytes)
                    {
                        // Keep the start as the sample, drop the rest of the frame as it comes.
                        oversizedSample ??= buffer.AsSpan(0, Math.Min(count, 300)).ToArray();
                        oversizedBytes += count;
                        count = 0;
                    }
                    else
                    {
                        var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, maxBytes));
                        buffer.AsSpan(0, count).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }
                }

                var result = await _socket.ReceiveAsync(buffer.AsMemory(count), cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return _closingReason is { } reason
                        ? new Disconnect(Disconnect.Local, reason)
                        : new Disconnect(Disconnect.Closed, $"closed by the server ({_socket.CloseStatus} {_socket.CloseStatusDescription})".TrimEnd());
                }

                count += result.Count;
                if (!result.EndOfMessage)
                {
                    continue;
                }

                var receivedAt = _feed.Time.GetUtcNow();
                Volatile.Write(ref _lastFrameTimestamp, _feed.Time.GetTimestamp());
                if (oversizedSample is not null)
                {
                    _feed.Telemetry.CountMessage(_feed.Exchange, "bad");
                    _feed.BadInput.Report(_feed.Exchange, BadInputKinds.OversizedFrame, $"a frame of {oversizedBytes + count} bytes passes MaxMessageBytes ({maxBytes})", oversizedSample);
                    oversizedSample = null;
                    oversizedBytes = 0;
                }
                else
                {
                    await HandleFrameAsync(buffer.AsMemory(0, count), receivedAt, cancellationToken);
                }

                count = 0;
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ChannelClosedException)
        {
            return _stalled ? new Disconnect(Disconnect.Stalled, $"no data for {_feed.Options.NoDataTimeout.TotalSeconds:0.#} s")
                : _closingReason is { } reason ? new Disconnect(Disconnect.Local, reason)
                : _stop.IsCancellationRequested || e is not WebSocketException ? new Disconnect(Disconnect.Local, "stopped")
                : new Disconnect(Disconnect.Error, e.Message);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async ValueTask HandleFrameAsync(ReadOnlyMemory<byte> frame, DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        foreach (var observer in _feed.RawFrameObservers)
        {
            observer.OnFrame(_feed.Exchange, frame.Span, receivedAt);
        }

        var parsed = _parser.Parse(frame.Span, receivedAt);
        switch (parsed.Kind)
        {
            case BinanceFrameKind.Trade:
                _feed.Telemetry.CountMessage(_feed.Exchange, "trade");
                Delivered();
                await HandOverAsync(ShardItem.ForTrade(parsed.Trade!), cancellationToken);
                break;
            case BinanceFrameKind.Quote:
                _feed.Telemetry.CountMessage(_feed.Exchange, "quote");
                Delivered();
                await HandOverAsync(ShardItem.ForQuote(parsed.Quote!), cancellationToken);
                break;
            case BinanceFrameKind.Ignored:
                _feed.Telemetry.CountMessage(_feed.Exchange, "ignored");
                break;
            case BinanceFrameKind.Response:
                _feed.Telemetry.CountMessage(_feed.Exchange, "control");
                await AnsweredAsync(parsed, cancellationToken);
                break;
            default:
                _feed.Telemetry.CountMessage(_feed.Exchange, "bad");
                _feed.BadInput.Report(_feed.Exchange, BinanceBadInputNames.TagOf(parsed.BadInput), parsed.Detail!, frame.Span);
                break;
        }
    }

    private async ValueTask HandOverAsync(ShardItem item, CancellationToken cancellationToken)
    {
        if (_output.TryWrite(item))
        {
            return;
        }

        _waitingOnShard = true;
        try
        {
            await _output.WriteAsync(item, cancellationToken);
        }
        finally
        {
            Volatile.Write(ref _lastFrameTimestamp, _feed.Time.GetTimestamp());
            _waitingOnShard = false;
        }
    }

    private void Delivered()
    {
        if (!_delivered)
        {
            _delivered = true;
            TryBecomeReady();
        }
    }

    private async ValueTask AnsweredAsync(BinanceFrame answer, CancellationToken cancellationToken)
    {
        if (answer.Detail is { } error)
        {
            // The other batches still work; the streams of this one stay silent, which the operator must see.
            BinanceLog.SubscribeFailed(_feed.Logger, _feed.Exchange, Id, answer.ResponseId, error);
            await _feed.Journal.RecordEventAsync(_feed.Exchange, Id, BinanceEvents.SubscribeFailed, $"SUBSCRIBE #{answer.ResponseId}: {error}", cancellationToken);
        }

        Interlocked.Decrement(ref _pendingAnswers);
        TryBecomeReady();
    }

    private void TryBecomeReady()
    {
        if (_delivered && Volatile.Read(ref _pendingAnswers) <= 0)
        {
            _ready.TrySetResult();
        }
    }
}

/// <summary>Why a connection ended: <see cref="Tag"/> for metrics, <see cref="Detail"/> for people.</summary>
internal readonly record struct Disconnect(string Tag, string Detail)
{
    public const string Closed = "closed";
    public const string Error = "error";
    public const string Stalled = "stalled";
    public const string Local = "local";
}
