using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using CryptoPipeline.Testing;

namespace CryptoPipeline.FakeExchange.Binance;

/// <summary>One trade of a recording, with the exchange's own text for price and quantity.</summary>
public sealed record RecordedTrade(
    string Symbol,
    long Id,
    string Price,
    string Quantity,
    long TimeMs,
    bool IsBuyerMaker,
    string? Kind,
    int MessageIndex)
{
    /// <summary>Spot trades and futures <c>MARKET</c> trades: the ones REST lists and klines count.</summary>
    public bool IsMarket => Kind is null or "MARKET";
}

/// <summary>One recorded frame: the combined-stream JSON exactly as Binance sent it.</summary>
public sealed record RecordedMessage(long ReceivedAtMicros, string Stream, string Symbol, byte[] Json, RecordedTrade? Trade);

/// <summary>
/// Recorded Binance feeds from shared/data (<c>&lt;recv_ts&gt; &lt;combined-stream JSON&gt;</c>, ns or µs, gzip),
/// merged in receive order. Files are read once per test run and shared.
/// </summary>
public sealed class BinanceRecording
{
    private static readonly ConcurrentDictionary<string, Lazy<IReadOnlyList<RecordedMessage>>> Files = new(StringComparer.Ordinal);

    private readonly Dictionary<string, List<RecordedTrade>> _trades;

    private BinanceRecording(IReadOnlyList<RecordedMessage> messages)
    {
        Messages = messages;
        _trades = messages.Where(m => m.Trade is not null)
            .GroupBy(m => m.Symbol, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(m => m.Trade!).OrderBy(t => t.Id).ToList(), StringComparer.Ordinal);
    }

    public IReadOnlyList<RecordedMessage> Messages { get; }

    /// <summary>Upper-case symbols that have trades in the recording.</summary>
    public IReadOnlyCollection<string> Symbols => _trades.Keys;

    /// <summary>The recording's trades of <paramref name="symbol"/> in id order.</summary>
    public IReadOnlyList<RecordedTrade> Trades(string symbol) => _trades.TryGetValue(symbol, out var trades) ? trades : [];

    /// <summary>Loads files given relative to shared/data, e.g. <c>binance/spot-ws/spot_btcusdt_20240808.gz</c>.</summary>
    public static BinanceRecording Load(IEnumerable<string> relativePaths)
    {
        var merged = relativePaths
            .SelectMany(path => Files.GetOrAdd(path, p => new Lazy<IReadOnlyList<RecordedMessage>>(() => Read(p))).Value)
            .OrderBy(m => m.ReceivedAtMicros)
            .ToList();

        // Index after the merge: the replay cursor, and so what REST may serve, follows this order.
        return new BinanceRecording([.. merged.Select((m, i) => m.Trade is null ? m : m with { Trade = m.Trade with { MessageIndex = i } })]);
    }

    private static List<RecordedMessage> Read(string relativePath)
    {
        var path = SharedData.Path(relativePath);
        using var file = File.OpenRead(path);
        using Stream content = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(content, Encoding.UTF8);
        var messages = new List<RecordedMessage>();
        while (reader.ReadLine() is { } line)
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);

            // The recorder also logged the REST depth snapshots it fetched: those lines are not stream frames.
            if (space <= 0 || !line.AsSpan(space + 1).StartsWith("{\"stream\"", StringComparison.Ordinal))
            {
                continue;
            }

            // 2024 files stamp nanoseconds (19 digits), 2023 files microseconds (16 digits).
            var stamp = long.Parse(line.AsSpan(0, space), provider: System.Globalization.CultureInfo.InvariantCulture);
            var micros = space >= 19 ? stamp / 1000 : stamp;
            var json = Encoding.UTF8.GetBytes(line[(space + 1)..]);
            var stream = StreamOf(json);
            var symbol = stream[..stream.IndexOf('@', StringComparison.Ordinal)].ToUpperInvariant();
            var trade = stream.EndsWith("@trade", StringComparison.Ordinal) ? TradeOf(json, symbol) : null;
            messages.Add(new RecordedMessage(micros, stream, symbol, json, trade));
        }

        return messages;
    }

    /// <summary>The value of the leading <c>"stream"</c> property (only such lines are read).</summary>
    private static string StreamOf(byte[] json)
    {
        var reader = new Utf8JsonReader(json);
        reader.Read();
        reader.Read();
        reader.Read();
        return reader.GetString()!;
    }

    private static RecordedTrade TradeOf(byte[] json, string symbol)
    {
        using var document = JsonDocument.Parse(json);
        var data = document.RootElement.GetProperty("data");
        return new RecordedTrade(
            symbol,
            data.GetProperty("t").GetInt64(),
            data.GetProperty("p").GetString()!,
            data.GetProperty("q").GetString()!,
            data.GetProperty("T").GetInt64(),
            data.GetProperty("m").GetBoolean(),
            data.TryGetProperty("X", out var kind) ? kind.GetString() : null,
            MessageIndex: -1);
    }
}
