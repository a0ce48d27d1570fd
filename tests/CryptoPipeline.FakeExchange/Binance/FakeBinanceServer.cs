using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CryptoPipeline.FakeExchange.Binance;

/// <summary>
/// A Binance stand-in on 127.0.0.1: a real Kestrel server with the combined-stream WebSocket endpoints
/// (<c>/stream?streams=…</c> and SUBSCRIBE messages) replaying recorded feeds, and the REST endpoints a client
/// needs (<c>exchangeInfo</c>, <c>historicalTrades</c>, <c>trades</c>, <c>aggTrades</c>, <c>klines</c>) served
/// from the same recording and the official klines in shared/data.
/// <para>
/// The replay is one market, like the exchange's: it opens once every recorded symbol's <c>@trade</c> stream is
/// subscribed (so a client sees the recording from its first trade), then a cursor moves through the recording
/// while at least one connection is subscribed, and each frame goes to the connections subscribed to its stream
/// at that moment. A client that is away misses nothing unless a fault says so (<see cref="Faults"/>) or another
/// connection keeps the market moving; REST serves every trade the cursor has passed. By default the replay runs
/// as fast as the connections take it.
/// </para>
/// </summary>
public sealed partial class FakeBinanceServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly FakeBinanceServerOptions _options;
    private readonly ConcurrentDictionary<int, FakeConnection> _connections = new();
    private readonly ConcurrentQueue<byte[]> _pongs = new();
    private readonly ConcurrentQueue<string> _restRequests = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _replayLock = new();
    private readonly TaskCompletionSource _replayFinished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _replayWake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private (string Symbol, long TradeId)? _pauseAfter;
    private bool _paused;
    private int _cursor;
    private int _connectionIds;
    private int _connectionsAccepted;
    private int _rateViolations;
    private Task _replay = Task.CompletedTask;

    private FakeBinanceServer(FakeBinanceServerOptions options, BinanceRecording recording, WebApplication app)
    {
        _options = options;
        Recording = recording;
        _app = app;
        Klines = FakeKlines.For(options.Market);
    }

    public FakeBinanceMarket Market => _options.Market;

    public BinanceRecording Recording { get; }

    public FakeBinanceFaults Faults { get; } = new();

    /// <summary><c>ws://127.0.0.1:port</c>: the client's WebSocket base URL.</summary>
    public string WebSocketBaseUrl { get; private set; } = "";

    /// <summary><c>http://127.0.0.1:port</c>: the client's REST base URL.</summary>
    public string RestBaseUrl { get; private set; } = "";

    /// <summary>WebSocket connections accepted since the start.</summary>
    public int ConnectionsAccepted => Volatile.Read(ref _connectionsAccepted);

    public int OpenConnections => _connections.Count;

    /// <summary>The streams the open connections are subscribed to.</summary>
    public IReadOnlySet<string> Subscriptions => _connections.Values.SelectMany(c => c.Streams).ToHashSet(StringComparer.Ordinal);

    /// <summary>The payloads of the pongs clients sent, in arrival order.</summary>
    public IReadOnlyList<byte[]> Pongs => [.. _pongs];

    /// <summary>Connections dropped for sending more than <see cref="FakeBinanceServerOptions.MaxIncomingMessagesPerSecond"/>.</summary>
    public int RateLimitViolations => Volatile.Read(ref _rateViolations);

    /// <summary>Every REST request as path and query, in arrival order.</summary>
    public IReadOnlyList<string> RestRequests => [.. _restRequests];

    /// <summary>
    /// How many recorded messages the replay has passed: the market's position. Trades among them have happened
    /// (REST serves them), including those a fault kept off the socket.
    /// </summary>
    public int ReplayPosition => Volatile.Read(ref _cursor);

    /// <summary>Completes when the cursor reached the end of the recording.</summary>
    public Task ReplayFinished => _replayFinished.Task;

    private FakeKlines Klines { get; }

    public static Task<FakeBinanceServer> StartAsync(FakeBinanceMarket market, params string[] recordings) =>
        StartAsync(new FakeBinanceServerOptions { Market = market, Recordings = recordings });

    public static async Task<FakeBinanceServer> StartAsync(FakeBinanceServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var recording = BinanceRecording.Load(options.Recordings);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new FakeBinanceServer(options, recording, app);
        server.Map(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(address).Port;
        server.WebSocketBaseUrl = $"ws://127.0.0.1:{port}";
        server.RestBaseUrl = $"http://127.0.0.1:{port}";
        server._replay = server.ReplayAsync(server._stopping.Token);
        return server;
    }

    /// <summary>Holds the replay before its next frame; connections stay open (a stall, as the watchdog sees it).</summary>
    public void Pause() => SetPaused(true);

    public void Resume() => SetPaused(false);

    /// <summary>Pauses the replay right after the socket sent this trade.</summary>
    public void PauseAfter(string symbol, long tradeId)
    {
        lock (_replayLock)
        {
            _pauseAfter = (symbol, tradeId);
        }
    }

    /// <summary>Sends a ping frame with <paramref name="payload"/> on every open connection.</summary>
    public Task SendPingAsync(byte[] payload) =>
        Task.WhenAll(_connections.Values.Select(c => c.SendAsync(s => s.SendPingAsync(payload, _stopping.Token))));

    /// <summary>Sends <paramref name="frame"/> as a text frame on every open connection, e.g. malformed input.</summary>
    public Task SendRawAsync(string frame)
    {
        var bytes = Encoding.UTF8.GetBytes(frame);
        return Task.WhenAll(_connections.Values.Select(c => c.SendAsync(s => s.SendTextAsync(bytes, _stopping.Token))));
    }

    public async ValueTask DisposeAsync()
    {
        // Cancelling ends the replay and every connection's read loop, whose handler then drops its connection.
        await _stopping.CancelAsync();
        await _replay.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stopping.Dispose();
    }

    private void Map(WebApplication app)
    {
        foreach (var path in _options.Market.StreamPaths)
        {
            app.Map(path, context => ServeStreamAsync(context, path));
        }

        MapRest(app);
    }

    private void SetPaused(bool paused)
    {
        lock (_replayLock)
        {
            _paused = paused;
        }

        WakeReplay();
    }

    private void WakeReplay()
    {
        lock (_replayLock)
        {
            _replayWake.TrySetResult();
            _replayWake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    private async Task ServeStreamAsync(HttpContext context, string path)
    {
        if (await RawWebSocket.AcceptAsync(context) is not { } socket)
        {
            return;
        }

        var connection = new FakeConnection(Interlocked.Increment(ref _connectionIds), path, socket);
        Interlocked.Increment(ref _connectionsAccepted);
        _connections[connection.Id] = connection;
        try
        {
            var streams = context.Request.Query["streams"].ToString();
            if (streams.Length > 0)
            {
                connection.Subscribe(streams.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => Market.Serves(path, s)));
                WakeReplay();
            }

            await ReadAsync(connection);
        }
        finally
        {
            _connections.TryRemove(connection.Id, out _);
            await socket.DisposeAsync();
        }
    }

    private async Task ReadAsync(FakeConnection connection)
    {
        var recent = new Queue<long>();
        while (await connection.Socket.ReceiveAsync(_stopping.Token) is { } message)
        {
            var (opcode, payload) = message;
            if (RawWebSocket.IsClose(opcode))
            {
                await connection.SendAsync(s => s.SendCloseAsync(1000, "", _stopping.Token));
                return;
            }

            // Binance counts every incoming frame, control frames included, against 5 a second.
            var now = Stopwatch.GetTimestamp();
            recent.Enqueue(now);
            while (Stopwatch.GetElapsedTime(recent.Peek(), now) > TimeSpan.FromSeconds(1))
            {
                recent.Dequeue();
            }

            if (recent.Count > _options.MaxIncomingMessagesPerSecond)
            {
                Interlocked.Increment(ref _rateViolations);
                await connection.SendAsync(s => s.SendCloseAsync(1008, "Too many requests", _stopping.Token));
                connection.Socket.Abort();
                return;
            }

            if (RawWebSocket.IsPing(opcode))
            {
                await connection.SendAsync(s => s.SendPongAsync(payload, _stopping.Token));
            }
            else if (RawWebSocket.IsPong(opcode))
            {
                _pongs.Enqueue(payload);
            }
            else if (RawWebSocket.IsText(opcode))
            {
                var answer = Command(connection, payload);
                await connection.SendAsync(s => s.SendTextAsync(answer, _stopping.Token));
            }
        }
    }

    /// <summary>SUBSCRIBE, answered as Binance answers it.</summary>
    private byte[] Command(FakeConnection connection, byte[] payload)
    {
        long? id = null;
        try
        {
            using var request = JsonDocument.Parse(payload);
            var root = request.RootElement;
            id = root.TryGetProperty("id", out var idElement) && idElement.TryGetInt64(out var number) ? number : null;
            var method = root.TryGetProperty("method", out var methodElement) ? methodElement.GetString() : null;
            var streams = root.TryGetProperty("params", out var parameters) && parameters.ValueKind == JsonValueKind.Array
                ? parameters.EnumerateArray().Select(p => p.GetString() ?? "").ToList()
                : [];
            switch (method)
            {
                case "SUBSCRIBE":
                    if (streams.FirstOrDefault(s => !s.Contains('@', StringComparison.Ordinal) || !Market.Serves(connection.Path, s)) is { } refused)
                    {
                        return Error(id, 2, $"Invalid request: stream {refused} is not served on {connection.Path}");
                    }

                    connection.Subscribe(streams);
                    WakeReplay();
                    return Answer(id);
                default:
                    return Error(id, 1, $"Invalid request: unknown method '{method}'");
            }
        }
        catch (JsonException e)
        {
            return Error(id, 3, $"Invalid JSON: {e.Message}");
        }
    }

    private static byte[] Answer(long? id) => Json(json =>
    {
        json.WriteStartObject();
        json.WriteNull("result");
        WriteId(json, id);
        json.WriteEndObject();
    });

    private static byte[] Error(long? id, int code, string message) => Json(json =>
    {
        json.WriteStartObject();
        json.WriteStartObject("error");
        json.WriteNumber("code", code);
        json.WriteString("msg", message);
        json.WriteEndObject();
        WriteId(json, id);
        json.WriteEndObject();
    });

    private static void WriteId(Utf8JsonWriter json, long? id)
    {
        if (id is { } value)
        {
            json.WriteNumber("id", value);
        }
        else
        {
            json.WriteNull("id");
        }
    }

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            write(json);
        }

        return buffer.ToArray();
    }

    private async Task ReplayAsync(CancellationToken cancellationToken)
    {
        var messages = Recording.Messages;
        var tradeFrames = 0;
        (RecordedMessage Message, byte[][] Frames)? heldBack = null;
        var anchor = (Real: Stopwatch.GetTimestamp(), Recorded: 0L, Set: false);
        var tradeStreams = Recording.Symbols.Select(s => s.ToLowerInvariant() + "@trade").ToHashSet(StringComparer.Ordinal);
        var opened = false;
        while (Volatile.Read(ref _cursor) < messages.Count)
        {
            Task wake;
            bool paused;
            lock (_replayLock)
            {
                wake = _replayWake.Task;
                paused = _paused;
            }

            if (paused || !(opened ? _connections.Values.Any(c => c.HasStreams) : tradeStreams.IsSubsetOf(Subscriptions)))
            {
                anchor.Set = false;
                await wake.WaitAsync(cancellationToken);
                continue;
            }

            opened = true;

            var message = messages[_cursor];
            if (_options.Speed is { } speed)
            {
                if (!anchor.Set)
                {
                    anchor = (Stopwatch.GetTimestamp(), message.ReceivedAtMicros, true);
                }

                var due = TimeSpan.FromMicroseconds((message.ReceivedAtMicros - anchor.Recorded) / speed) - Stopwatch.GetElapsedTime(anchor.Real);
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, cancellationToken);
                }
            }

            IEnumerable<(RecordedMessage, byte[][])> batch = [(message, [message.Json])];
            if (message.Trade is { } trade)
            {
                if (Faults.IsSkipped(trade))
                {
                    batch = [];
                }
                else
                {
                    tradeFrames++;
                    var frames = Faults.DuplicateEveryNthTrade > 0 && tradeFrames % Faults.DuplicateEveryNthTrade == 0
                        ? new[] { message.Json, message.Json }
                        : [message.Json];
                    if (heldBack is { } held)
                    {
                        batch = [(message, frames), held];
                        heldBack = null;
                    }
                    else if (Faults.SwapEveryNthTrade > 0 && tradeFrames % Faults.SwapEveryNthTrade == 0)
                    {
                        heldBack = (message, frames);
                        batch = [];
                    }
                    else
                    {
                        batch = [(message, frames)];
                    }
                }
            }

            foreach (var (recorded, frames) in batch)
            {
                await SendAsync(recorded, frames);
            }

            Volatile.Write(ref _cursor, _cursor + 1);
            if (message.Trade is { } sent)
            {
                AfterTrade(sent);
            }
        }

        if (heldBack is { } last)
        {
            await SendAsync(last.Message, last.Frames);
        }

        _replayFinished.TrySetResult();
    }

    private async Task SendAsync(RecordedMessage message, byte[][] frames)
    {
        foreach (var connection in _connections.Values)
        {
            if (!connection.Wants(message, _options.SendUnsubscribedStreams))
            {
                continue;
            }

            foreach (var frame in frames)
            {
                await connection.SendAsync(s => s.SendTextAsync(frame, _stopping.Token));
            }
        }
    }

    private void AfterTrade(RecordedTrade trade)
    {
        if (Faults.TakeDropAfter(trade))
        {
            foreach (var connection in _connections.Values)
            {
                connection.Socket.Abort();
            }
        }

        lock (_replayLock)
        {
            if (_pauseAfter is { } pause && pause.Symbol == trade.Symbol && pause.TradeId == trade.Id)
            {
                _pauseAfter = null;
                _paused = true;
            }
        }
    }

    /// <summary>One client connection and the streams it subscribed.</summary>
    private sealed class FakeConnection(int id, string path, RawWebSocket socket)
    {
        private readonly Lock _lock = new();
        private readonly HashSet<string> _streams = new(StringComparer.Ordinal);
        private readonly HashSet<string> _symbols = new(StringComparer.Ordinal);

        public int Id { get; } = id;

        public string Path { get; } = path;

        public RawWebSocket Socket { get; } = socket;

        /// <summary>Whether the connection is open and subscribed: only then does it keep the market moving.</summary>
        public bool HasStreams
        {
            get
            {
                lock (_lock)
                {
                    return Socket.IsOpen && _streams.Count > 0;
                }
            }
        }

        public IReadOnlyList<string> Streams
        {
            get
            {
                lock (_lock)
                {
                    return [.. _streams];
                }
            }
        }

        public void Subscribe(IEnumerable<string> streams)
        {
            lock (_lock)
            {
                foreach (var stream in streams)
                {
                    _streams.Add(stream);
                    _symbols.Add(stream[..stream.IndexOf('@', StringComparison.Ordinal)].ToUpperInvariant());
                }
            }
        }

        public bool Wants(RecordedMessage message, bool anyStreamOfSymbol)
        {
            lock (_lock)
            {
                return _streams.Contains(message.Stream) || (anyStreamOfSymbol && _symbols.Contains(message.Symbol));
            }
        }

        /// <summary>Runs one send; a connection that fails is dropped.</summary>
        public async Task SendAsync(Func<RawWebSocket, Task> send)
        {
            if (!Socket.IsOpen)
            {
                return;
            }

            try
            {
                await send(Socket);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
            {
                Socket.Abort();
            }
        }
    }
}
