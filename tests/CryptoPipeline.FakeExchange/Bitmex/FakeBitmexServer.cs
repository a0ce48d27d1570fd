using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using CryptoPipeline.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CryptoPipeline.FakeExchange.Bitmex;

/// <summary>
/// A BitMEX realtime stand-in on 127.0.0.1: a WebSocket at <c>/realtime</c> that, once a client subscribes,
/// sends the frames BitMEX sent in the recording <c>bitmex/bitmex_ws_trade_quote_2021-07-22.jsonl</c> (welcome,
/// acknowledgements, <c>trade</c> and <c>quote</c> partials and inserts), then stays open, answering
/// <c>ping</c> with <c>pong</c>. Every connection replays the recording from its start, as a reconnecting client
/// sees BitMEX repeat its partials.
/// </summary>
public sealed class FakeBitmexServer : IAsyncDisposable
{
    public const string RecordingPath = "bitmex/bitmex_ws_trade_quote_2021-07-22.jsonl";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string> _subscriptions = new();
    private int _connections;
    private long _framesSent;

    private FakeBitmexServer(WebApplication app, int port, IReadOnlyList<string> frames)
    {
        _app = app;
        Url = $"ws://127.0.0.1:{port}/realtime";
        Frames = frames;
    }

    /// <summary>The recorded frames BitMEX sent, in order.</summary>
    public IReadOnlyList<string> Frames { get; }

    public string Url { get; }

    /// <summary>Frames sent before the recording on every connection (bad input, say).</summary>
    public IReadOnlyList<string> Prelude { get; init; } = [];

    /// <summary>The first connection is closed after this many recorded frames; null keeps it open.</summary>
    public int? DropFirstConnectionAfter { get; init; }

    public int Connections => Volatile.Read(ref _connections);

    public long FramesSent => Interlocked.Read(ref _framesSent);

    /// <summary>Subscription requests as received.</summary>
    public IReadOnlyList<string> Subscriptions => [.. _subscriptions];

    /// <summary>The recorded trade rows (all symbols), as BitMEX sent them, partials and inserts alike.</summary>
    public IReadOnlyList<JsonElement> TradeRows() =>
        [.. Frames.Select(f => JsonDocument.Parse(f).RootElement)
            .Where(m => m.TryGetProperty("table", out var t) && t.GetString() == "trade")
            .SelectMany(m => m.GetProperty("data").EnumerateArray())];

    public static async Task<FakeBitmexServer> StartAsync(IReadOnlyList<string>? prelude = null, int? dropFirstConnectionAfter = null)
    {
        var frames = File.ReadLines(SharedData.Path(RecordingPath))
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Where(line => line.GetProperty("dir").GetString() == "recv")
            .Select(line => line.GetProperty("msg").GetRawText())
            .ToList();
        FakeBitmexServer? server = null;
        var (app, port) = await LoopbackServer.StartAsync(app => app.Map("/realtime", context => server!.ServeAsync(context)));
        server = new FakeBitmexServer(app, port, frames) { Prelude = prelude ?? [], DropFirstConnectionAfter = dropFirstConnectionAfter };
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task ServeAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var connection = Interlocked.Increment(ref _connections);
        var stopping = context.RequestAborted;
        var buffer = new byte[16 * 1024];
        var first = await socket.ReceiveAsync(buffer, stopping);
        _subscriptions.Enqueue(Encoding.UTF8.GetString(buffer, 0, first.Count));

        // A WebSocket takes one send at a time: the replay and the pongs share it.
        using var sendLock = new SemaphoreSlim(1, 1);
        var answering = AnswerPingsAsync(socket, buffer, sendLock, stopping);
        var sent = 0;
        foreach (var frame in Prelude.Concat(Frames))
        {
            if (connection == 1 && DropFirstConnectionAfter is { } drop && sent == drop + Prelude.Count)
            {
                socket.Abort();
                return;
            }

            await sendLock.WaitAsync(stopping);
            try
            {
                await socket.SendAsync(Encoding.UTF8.GetBytes(frame), WebSocketMessageType.Text, true, stopping);
            }
            finally
            {
                sendLock.Release();
            }

            Interlocked.Increment(ref _framesSent);
            sent++;
        }

        await answering;
    }

    private static async Task AnswerPingsAsync(WebSocket socket, byte[] buffer, SemaphoreSlim sendLock, CancellationToken stopping)
    {
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var message = await socket.ReceiveAsync(buffer, stopping);
                if (message.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                if (buffer.AsSpan(0, message.Count).SequenceEqual("ping"u8))
                {
                    await sendLock.WaitAsync(stopping);
                    try
                    {
                        await socket.SendAsync("pong"u8.ToArray(), WebSocketMessageType.Text, true, stopping);
                    }
                    finally
                    {
                        sendLock.Release();
                    }
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The client went away.
        }
    }
}
