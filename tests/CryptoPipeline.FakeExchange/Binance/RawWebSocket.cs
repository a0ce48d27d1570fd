using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace CryptoPipeline.FakeExchange.Binance;

/// <summary>
/// The server end of a WebSocket written frame by frame (RFC 6455) over Kestrel's upgraded stream, so the fake
/// exchange can do what <see cref="System.Net.WebSockets.WebSocket"/> hides: send pings with a chosen payload,
/// see the client's pongs, and drop the TCP connection without a closing handshake.
/// </summary>
internal sealed class RawWebSocket : IAsyncDisposable
{
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private const byte Continuation = 0x0;
    private const byte Text = 0x1;
    private const byte Close = 0x8;
    private const byte Ping = 0x9;
    private const byte Pong = 0xA;
    private const int MaxIncomingFrame = 1024 * 1024;

    private readonly HttpContext _context;
    private readonly Stream _stream;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private int _aborted;

    private RawWebSocket(HttpContext context, Stream stream)
    {
        _context = context;
        _stream = stream;
    }

    public bool IsOpen => Volatile.Read(ref _aborted) == 0;

    /// <summary>Answers the upgrade request; null (with a 400 sent) when the request is not a WebSocket handshake.</summary>
    public static async Task<RawWebSocket?> AcceptAsync(HttpContext context)
    {
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        var key = context.Request.Headers["Sec-WebSocket-Key"].ToString();
        if (upgrade is not { IsUpgradableRequest: true } || key.Length == 0
            || !string.Equals(context.Request.Headers.Upgrade.ToString(), "websocket", StringComparison.OrdinalIgnoreCase))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("WebSocket upgrade expected");
            return null;
        }

        var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + AcceptGuid)));
        context.Response.Headers.Connection = "Upgrade";
        context.Response.Headers.Upgrade = "websocket";
        context.Response.Headers["Sec-WebSocket-Accept"] = accept;
        var stream = await upgrade.UpgradeAsync();
        return new RawWebSocket(context, stream);
    }

    public Task SendTextAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) => SendAsync(Text, payload, cancellationToken);

    public Task SendPingAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) => SendAsync(Ping, payload, cancellationToken);

    public async Task SendCloseAsync(ushort status, string reason, CancellationToken cancellationToken)
    {
        var payload = new byte[2 + Encoding.UTF8.GetByteCount(reason)];
        BinaryPrimitives.WriteUInt16BigEndian(payload, status);
        Encoding.UTF8.GetBytes(reason, payload.AsSpan(2));
        await SendAsync(Close, payload, cancellationToken);
    }

    /// <summary>
    /// Reads the next message from the client: a whole text message, or one control frame (ping, pong, close).
    /// Null when the connection ended.
    /// </summary>
    public async Task<(byte Opcode, byte[] Payload)?> ReceiveAsync(CancellationToken cancellationToken)
    {
        var message = new MemoryStream();
        byte messageOpcode = 0;
        while (true)
        {
            var header = new byte[2];
            if (!await ReadExactlyAsync(header, cancellationToken))
            {
                return null;
            }

            var final = (header[0] & 0x80) != 0;
            var opcode = (byte)(header[0] & 0x0F);
            var masked = (header[1] & 0x80) != 0;
            long length = header[1] & 0x7F;
            if (length == 126)
            {
                var extended = new byte[2];
                if (!await ReadExactlyAsync(extended, cancellationToken))
                {
                    return null;
                }

                length = BinaryPrimitives.ReadUInt16BigEndian(extended);
            }
            else if (length == 127)
            {
                var extended = new byte[8];
                if (!await ReadExactlyAsync(extended, cancellationToken))
                {
                    return null;
                }

                length = BinaryPrimitives.ReadInt64BigEndian(extended);
            }

            if (length > MaxIncomingFrame)
            {
                Abort();
                return null;
            }

            var mask = new byte[4];
            if (masked && !await ReadExactlyAsync(mask, cancellationToken))
            {
                return null;
            }

            var payload = new byte[length];
            if (!await ReadExactlyAsync(payload, cancellationToken))
            {
                return null;
            }

            if (masked)
            {
                for (var i = 0; i < payload.Length; i++)
                {
                    payload[i] ^= mask[i % 4];
                }
            }

            if (opcode >= Close)
            {
                return (opcode, payload);
            }

            if (opcode != Continuation)
            {
                messageOpcode = opcode;
            }

            message.Write(payload);
            if (final)
            {
                return (messageOpcode, message.ToArray());
            }
        }
    }

    public static bool IsText(byte opcode) => opcode == Text;

    public static bool IsPing(byte opcode) => opcode == Ping;

    public static bool IsPong(byte opcode) => opcode == Pong;

    public static bool IsClose(byte opcode) => opcode == Close;

    public Task SendPongAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) => SendAsync(Pong, payload, cancellationToken);

    /// <summary>Drops the TCP connection at once, as a crashed or cut-off server would: no closing handshake.</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) == 0)
        {
            _context.Abort();
        }
    }

    /// <summary>
    /// Drops the connection. The send lock is left to the collector: disposing it would strand a replay that waits
    /// on it, whereas after the abort that waiter's write fails at once.
    /// </summary>
    public ValueTask DisposeAsync()
    {
        Abort();
        return ValueTask.CompletedTask;
    }

    private async Task SendAsync(byte opcode, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var header = new byte[10];
        header[0] = (byte)(0x80 | opcode);
        int headerLength;
        if (payload.Length < 126)
        {
            header[1] = (byte)payload.Length;
            headerLength = 2;
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            header[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), (ushort)payload.Length);
            headerLength = 4;
        }
        else
        {
            header[1] = 127;
            BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(2), payload.Length);
            headerLength = 10;
        }

        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            await _stream.WriteAsync(header.AsMemory(0, headerLength), cancellationToken);
            await _stream.WriteAsync(payload, cancellationToken);
            await _stream.FlushAsync(cancellationToken);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task<bool> ReadExactlyAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            await _stream.ReadExactlyAsync(buffer, cancellationToken);
            return true;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            return false;
        }
    }
}
