using System.Net.ServerSentEvents;
using System.Text.Json;

namespace CryptoPipeline.Benchmarks.PipelineLoad;

/// <summary>
/// A client of the Api's live stream (<c>GET /api/v1/stream?exchange=…</c>) that notes, for every <c>tick</c> event,
/// its arrival time minus the <c>updatedAt</c> it carries. <c>updatedAt</c> is the row's <c>now()</c> in the
/// processor's transaction, i.e. the transaction's start: the figure is commit → client plus that transaction's
/// own duration.
/// </summary>
internal sealed class StreamLatencyClient : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(DateTimeOffset Arrived, double Milliseconds)> _samples = [];
    private readonly Task _reading;

    private StreamLatencyClient(HttpClient http, Stream stream)
    {
        _http = http;
        _reading = Task.Run(() => ReadAsync(stream, _stop.Token));
    }

    /// <summary>Opens the stream; the <c>hello</c> event has arrived when this returns.</summary>
    public static async Task<StreamLatencyClient> ConnectAsync(Uri api, string exchange)
    {
        var http = new HttpClient { BaseAddress = api, Timeout = Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/stream?exchange={Uri.EscapeDataString(exchange)}");
        request.Headers.Accept.ParseAdd("text/event-stream");
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        return new StreamLatencyClient(http, await response.Content.ReadAsStreamAsync());
    }

    /// <summary>Latencies (ms) of the ticks that arrived in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public IReadOnlyList<double> Between(DateTimeOffset from, DateTimeOffset to)
    {
        lock (_samples)
        {
            return [.. _samples.Where(s => s.Arrived >= from && s.Arrived < to).Select(s => s.Milliseconds)];
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _reading;
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException)
        {
        }

        _http.Dispose();
        _stop.Dispose();
    }

    private async Task ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        await using var _ = stream;
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(cancellationToken))
        {
            var arrived = DateTimeOffset.UtcNow;
            if (item.EventType != "tick")
            {
                continue;
            }

            using var tick = JsonDocument.Parse(item.Data);
            var updatedAt = tick.RootElement.GetProperty("updatedAt").GetDateTimeOffset();
            lock (_samples)
            {
                _samples.Add((arrived, (arrived - updatedAt).TotalMilliseconds));
            }
        }
    }
}
