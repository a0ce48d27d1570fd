using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.Feeds;
using CryptoPipeline.Ingest.Publishing;
using Microsoft.Extensions.Options;

namespace CryptoPipeline.Ingest.Bitmex;

/// <summary>
/// The <c>bitmex</c> source: one WebSocket subscribed to the <c>trade</c> (and <c>quote</c>) table of each symbol.
/// It pings after <see cref="BitmexOptions.PingInterval"/> of silence, drops a connection silent for
/// <see cref="BitmexOptions.NoDataTimeout"/>, and reconnects with exponential backoff and jitter. The table's
/// <c>partial</c> on every (re)connect repeats recent trades: trades already published are dropped by id. BitMEX
/// offers no trade sequence to find what a disconnection missed, so every outage is recorded in the journal.
/// </summary>
internal sealed partial class BitmexFeed(
    IOptions<BitmexOptions> options,
    IMarketDataSink sink,
    IIngestionJournal journal,
    BadInputLog badInput,
    IngestTelemetry telemetry,
    TimeProvider time,
    ILogger<BitmexFeed> logger) : BackgroundService
{
    private const string Exchange = Exchanges.Bitmex;
    private static readonly byte[] Ping = "ping"u8.ToArray();
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);

    private readonly Dictionary<string, RecentTradeIds> _published = new(StringComparer.Ordinal);
    private int _connections;
    private DateTimeOffset? _lostAt;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var parser = new BitmexParser(settings.Symbols);
        var backoff = new ReconnectBackoff(settings.ReconnectDelay, settings.MaxReconnectDelay, Random.Shared);
        while (!stoppingToken.IsCancellationRequested)
        {
            var connection = $"bitmex-{++_connections}";
            string reason;
            var delivered = false;
            try
            {
                delivered = await RunConnectionAsync(connection, settings, parser, stoppingToken);
                reason = "the server closed the connection";
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (WatchdogException e)
            {
                delivered = e.Delivered;
                reason = e.Message;
            }
            catch (Exception e) when (e is WebSocketException or IOException or HttpRequestException or OperationCanceledException)
            {
                reason = e.Message;
            }

            _lostAt ??= time.GetUtcNow();
            if (delivered)
            {
                backoff.Reset();
            }

            var delay = backoff.Next();
            telemetry.CountReconnect(Exchange, delivered ? "dropped" : "connect-failed");
            LogReconnecting(connection, reason, delay.TotalSeconds);
            await journal.RecordEventAsync(Exchange, connection, "disconnected", reason, stoppingToken);
            try
            {
                await Task.Delay(delay, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Runs one connection until it fails; true once it delivered data.</summary>
    private async Task<bool> RunConnectionAsync(string connection, BitmexOptions settings, BitmexParser parser, CancellationToken stoppingToken)
    {
        using var socket = new ClientWebSocket();
        using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
        {
            connectTimeout.CancelAfter(ConnectTimeout);
            await socket.ConnectAsync(new Uri(settings.Url), connectTimeout.Token);
        }

        LogConnected(connection, settings.Url);
        await journal.RecordEventAsync(Exchange, connection, "connected", settings.Url, stoppingToken);
        await socket.SendAsync(SubscribeMessage(settings), WebSocketMessageType.Text, true, stoppingToken);

        var buffer = new byte[64 * 1024];
        var frame = new MemoryStream();
        var trades = new List<Trade>();
        var quotes = new List<Quote>();
        var defects = new List<BitmexDefect>();
        var lastData = time.GetTimestamp();
        var pinged = false;
        var delivered = false;
        var oversized = false;
        Task? idle = null;
        var receive = socket.ReceiveAsync(buffer.AsMemory(), stoppingToken).AsTask();
        while (true)
        {
            idle ??= Task.Delay(settings.PingInterval, time, stoppingToken);
            if (await Task.WhenAny(receive, idle) == idle)
            {
                await idle;
                idle = null;
                var silent = time.GetElapsedTime(lastData);
                if (silent >= settings.NoDataTimeout)
                {
                    socket.Abort();
                    throw new WatchdogException($"no data for {silent.TotalSeconds:0.#} s (Ingest:Bitmex:NoDataTimeout {settings.NoDataTimeout.TotalSeconds} s)", delivered);
                }

                if (!pinged && silent >= settings.PingInterval)
                {
                    pinged = true;
                    await socket.SendAsync(Ping, WebSocketMessageType.Text, true, stoppingToken);
                }

                continue;
            }

            var result = await receive;
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return delivered;
            }

            lastData = time.GetTimestamp();
            pinged = false;
            if (!oversized)
            {
                frame.Write(buffer, 0, result.Count);
                oversized = frame.Length > settings.MaxMessageBytes;
            }

            if (result.EndOfMessage)
            {
                var receivedAt = time.GetUtcNow();
                var content = frame.GetBuffer().AsMemory(0, (int)frame.Length);
                if (oversized)
                {
                    badInput.Report(Exchange, BadInputKinds.OversizedFrame, $"a frame is larger than Ingest:Bitmex:MaxMessageBytes ({settings.MaxMessageBytes})", content.Span);
                }
                else if (!content.Span.SequenceEqual("pong"u8))
                {
                    if (_lostAt is { } lost)
                    {
                        _lostAt = null;
                        await journal.RecordEventAsync(Exchange, connection, "outage", $"no data from {lost:O} to {receivedAt:O}; BitMEX trades of that time are not back-filled", stoppingToken);
                    }

                    delivered = true;
                    await HandleFrameAsync(connection, parser, content, receivedAt, trades, quotes, defects, stoppingToken);
                }

                frame.SetLength(0);
                oversized = false;
            }

            receive = socket.ReceiveAsync(buffer.AsMemory(), stoppingToken).AsTask();
        }
    }

    private async Task HandleFrameAsync(string connection, BitmexParser parser, ReadOnlyMemory<byte> content, DateTimeOffset receivedAt, List<Trade> trades, List<Quote> quotes, List<BitmexDefect> defects, CancellationToken stoppingToken)
    {
        trades.Clear();
        quotes.Clear();
        defects.Clear();
        var kind = parser.Parse(content.Span, receivedAt, trades, quotes, defects);
        foreach (var defect in defects)
        {
            badInput.Report(Exchange, defect.Kind, defect.Detail, content.Span);
        }

        if (kind == BitmexFrameKind.Error)
        {
            telemetry.CountMessage(Exchange, "error");
            LogServerError(connection, Encoding.UTF8.GetString(content.Span));
            return;
        }

        telemetry.CountMessage(Exchange, kind switch
        {
            BitmexFrameKind.Data when trades.Count > 0 => "trade",
            BitmexFrameKind.Data => "quote",
            BitmexFrameKind.Info => "control",
            _ => "bad",
        });
        foreach (var trade in trades)
        {
            if (!_published.TryGetValue(trade.Symbol, out var recent))
            {
                _published[trade.Symbol] = recent = new RecentTradeIds();
            }

            if (!recent.Add(trade.TradeId))
            {
                IngestTelemetry.Add(telemetry.DuplicatesDropped, 1, Exchange, trade.Symbol);
                continue;
            }

            await sink.PublishAsync(trade, stoppingToken);
        }

        foreach (var quote in quotes)
        {
            await sink.PublishAsync(quote, stoppingToken);
        }
    }

    private static byte[] SubscribeMessage(BitmexOptions settings)
    {
        var topics = settings.Symbols.Select(s => "trade:" + s);
        if (settings.PublishQuotes)
        {
            topics = topics.Concat(settings.Symbols.Select(s => "quote:" + s));
        }

        return JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["op"] = "subscribe", ["args"] = topics.ToArray() });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "BitMEX connection {Connection} open to {Url}.")]
    private partial void LogConnected(string connection, string url);

    [LoggerMessage(Level = LogLevel.Warning, Message = "BitMEX connection {Connection} lost ({Reason}); reconnecting in {DelaySeconds:0.##} s.")]
    private partial void LogReconnecting(string connection, string reason, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "BitMEX refused a request on {Connection}: {Frame}")]
    private partial void LogServerError(string connection, string frame);

    private sealed class WatchdogException(string message, bool delivered) : Exception(message)
    {
        public bool Delivered { get; } = delivered;
    }

    /// <summary>The last ids published for one symbol: enough to recognise what a reconnect's partial repeats.</summary>
    private sealed class RecentTradeIds
    {
        private const int Capacity = 10_000;
        private readonly HashSet<long> _ids = [];
        private readonly Queue<long> _order = new();

        public bool Add(long id)
        {
            if (!_ids.Add(id))
            {
                return false;
            }

            _order.Enqueue(id);
            if (_order.Count > Capacity)
            {
                _ids.Remove(_order.Dequeue());
            }

            return true;
        }
    }
}
