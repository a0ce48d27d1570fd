using System.Net.WebSockets;
using CryptoPipeline.FakeExchange.Binance;

namespace CryptoPipeline.FaultInjection.Tests.Infrastructure;

/// <summary>
/// Another client of the fake exchange, subscribed to every trade stream and reading everything: it keeps the
/// market moving while Ingest is away (killed, reconnecting), as the real market does. It reconnects when the
/// exchange drops it.
/// </summary>
internal sealed class MarketObserver : IAsyncDisposable
{
    private readonly Uri _uri;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;

    private MarketObserver(Uri uri)
    {
        _uri = uri;
        _running = RunAsync();
    }

    public static MarketObserver Start(FakeBinanceServer server)
    {
        var streams = string.Join('/', server.Recording.Symbols.Select(s => s.ToLowerInvariant() + "@trade"));
        return new MarketObserver(new Uri($"{server.WebSocketBaseUrl}{server.Market.StreamPaths[0]}?streams={streams}"));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _running.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        var buffer = new byte[64 * 1024];
        while (!_stop.IsCancellationRequested)
        {
            using var socket = new ClientWebSocket();
            try
            {
                await socket.ConnectAsync(_uri, _stop.Token);
                while (socket.State == WebSocketState.Open)
                {
                    if ((await socket.ReceiveAsync(buffer, _stop.Token)).MessageType == WebSocketMessageType.Close)
                    {
                        break;
                    }
                }
            }
            catch (WebSocketException)
            {
                // Dropped by the exchange: connect again, in a moment.
                await Task.Delay(TimeSpan.FromMilliseconds(50), _stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
        }
    }
}
