using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using CryptoPipeline.Testing;

namespace CryptoPipeline.Benchmarks.PipelineLoad;

/// <summary>
/// The recorded Binance spot feeds of shared/data (BTCUSDT and ETHUSDT, 2024-08-08 23:54 → 08-09 00:05, real
/// <c>@trade</c> and <c>@bookTicker</c> messages), turned into a replay file for any number of symbols: each symbol
/// is a copy of one of the two recordings under its own name (<c>BTCUSDT</c>, <c>ETHUSDT</c>, <c>BTC0001USDT</c>,
/// <c>ETH0001USDT</c>, …), and the recording is looped with its times and ids moved on by one span per loop, so ids
/// stay unique and every symbol's trades stay in order. <c>@depth</c> messages are left out (the replay skips them).
/// </summary>
internal sealed class RecordedMarket
{
    private static readonly string[] Recordings =
    [
        "binance/spot-ws/spot_btcusdt_20240808.gz", "binance/spot-ws/spot_btcusdt_20240809.gz",
        "binance/spot-ws/spot_ethusdt_20240808.gz", "binance/spot-ws/spot_ethusdt_20240809.gz",
    ];

    private static readonly string[] BaseAssets = ["BTC", "ETH"];

    private readonly List<Message> _messages;
    private readonly long[] _tradesOf;
    private readonly long[] _tradeIdSpan;
    private readonly long[] _updateIdSpan;
    private readonly long _loopNanoseconds;

    private RecordedMarket(List<Message> messages)
    {
        _messages = messages;
        _tradesOf = new long[BaseAssets.Length];
        _tradeIdSpan = new long[BaseAssets.Length];
        _updateIdSpan = new long[BaseAssets.Length];
        for (var b = 0; b < BaseAssets.Length; b++)
        {
            var trades = messages.Where(m => m.Base == b && m.IsTrade).ToList();
            var quotes = messages.Where(m => m.Base == b && !m.IsTrade).ToList();
            _tradesOf[b] = trades.Count;
            _tradeIdSpan[b] = trades.Max(m => m.Id) - trades.Min(m => m.Id) + 1;
            _updateIdSpan[b] = quotes.Max(m => m.Id) - quotes.Min(m => m.Id) + 1;
        }

        // One second of silence between loops keeps each symbol's recorded clock moving forward.
        _loopNanoseconds = messages[^1].ReceivedNs - messages[0].ReceivedNs + 1_000_000_000;
    }

    public long Trades => _tradesOf.Sum();

    public long Quotes => _messages.Count - Trades;

    public TimeSpan Span => TimeSpan.FromTicks((_messages[^1].ReceivedNs - _messages[0].ReceivedNs) / 100);

    public static RecordedMarket Load()
    {
        var messages = new List<Message>();
        foreach (var relative in Recordings)
        {
            using var gzip = new GZipStream(File.OpenRead(SharedData.Path(relative)), CompressionMode.Decompress);
            using var reader = new StreamReader(gzip);
            while (reader.ReadLine() is { } line)
            {
                if (Parse(line) is { } message)
                {
                    messages.Add(message);
                }
            }
        }

        // One clock for both symbols, as the replay merges its series.
        return new RecordedMarket([.. messages.OrderBy(m => m.ReceivedNs)]);
    }

    /// <summary>Trades per recorded second with <paramref name="symbols"/> symbols: the offered rate at replay speed 1x.</summary>
    public double TradesPerSecond(int symbols) =>
        Enumerable.Range(0, BaseAssets.Length).Sum(b => Copies(symbols, b) * _tradesOf[b]) / Span.TotalSeconds;

    /// <summary>Writes at least <paramref name="trades"/> trades (and the quotes between them) as a recorded feed; returns the trades written.</summary>
    public long Write(string path, int symbols, long trades)
    {
        var names = Enumerable.Range(0, BaseAssets.Length)
            .Select(b => Enumerable.Range(0, Copies(symbols, b))
                .Select(copy => copy == 0 ? BaseAssets[b] + "USDT" : string.Create(CultureInfo.InvariantCulture, $"{BaseAssets[b]}{copy:D4}USDT"))
                .Select(name => (Upper: name, Lower: name.ToLowerInvariant()))
                .ToArray())
            .ToArray();
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false), 1 << 20);
        long written = 0;
        for (var loop = 0L; written < trades; loop++)
        {
            var nanoseconds = loop * _loopNanoseconds;
            var milliseconds = nanoseconds / 1_000_000;
            foreach (var message in _messages)
            {
                var id = message.Id + (loop * (message.IsTrade ? _tradeIdSpan : _updateIdSpan)[message.Base]);
                foreach (var (upper, lower) in names[message.Base])
                {
                    writer.Write(message.IsTrade
                        ? string.Create(CultureInfo.InvariantCulture,
                            $"{message.ReceivedNs + nanoseconds} {{\"stream\":\"{lower}@trade\",\"data\":{{\"e\":\"trade\",\"E\":{message.EventMs + milliseconds},\"s\":\"{upper}\",\"t\":{id},\"p\":\"{message.Price}\",\"q\":\"{message.Quantity}\",\"T\":{message.TradeMs + milliseconds},\"m\":{Json(message.BuyerMaker)},\"M\":{Json(message.BestMatch)}}}}}\n")
                        : string.Create(CultureInfo.InvariantCulture,
                            $"{message.ReceivedNs + nanoseconds} {{\"stream\":\"{lower}@bookTicker\",\"data\":{{\"u\":{id},\"s\":\"{upper}\",\"b\":\"{message.Price}\",\"B\":\"{message.Quantity}\",\"a\":\"{message.AskPrice}\",\"A\":\"{message.AskQuantity}\"}}}}\n"));
                }

                if (message.IsTrade && (written += names[message.Base].Length) >= trades)
                {
                    return written;
                }
            }
        }

        return written;
    }

    private static string Json(bool value) => value ? "true" : "false";

    private static int Copies(int symbols, int baseIndex) => (symbols + BaseAssets.Length - 1 - baseIndex) / BaseAssets.Length;

    private static Message? Parse(string line)
    {
        // Depth updates are most of the bytes and the replay skips them anyway.
        if (line.Contains("@depth", StringComparison.Ordinal))
        {
            return null;
        }

        var space = line.IndexOf(' ', StringComparison.Ordinal);
        using var document = JsonDocument.Parse(line.AsMemory(space + 1));
        // The recorder's REST depth snapshots are not stream messages.
        if (!document.RootElement.TryGetProperty("stream", out var streamName) || !document.RootElement.TryGetProperty("data", out var data))
        {
            return null;
        }

        var stream = streamName.GetString()!;
        var symbol = data.GetProperty("s").GetString()!;
        var baseIndex = Array.FindIndex(BaseAssets, a => symbol == a + "USDT");
        var receivedNs = long.Parse(line.AsSpan(0, space), CultureInfo.InvariantCulture);
        if (baseIndex < 0)
        {
            return null;
        }

        if (stream.EndsWith("@trade", StringComparison.Ordinal))
        {
            return new Message(receivedNs, baseIndex, true, data.GetProperty("t").GetInt64(), data.GetProperty("E").GetInt64(), data.GetProperty("T").GetInt64(),
                data.GetProperty("p").GetString()!, data.GetProperty("q").GetString()!, null, null, data.GetProperty("m").GetBoolean(), data.GetProperty("M").GetBoolean());
        }

        return stream.EndsWith("@bookTicker", StringComparison.Ordinal)
            ? new Message(receivedNs, baseIndex, false, data.GetProperty("u").GetInt64(), 0, 0,
                data.GetProperty("b").GetString()!, data.GetProperty("B").GetString()!, data.GetProperty("a").GetString(), data.GetProperty("A").GetString(), false, false)
            : null;
    }

    /// <summary>A trade (price, quantity, flags) or a best bid/ask (bid in price/quantity, ask apart).</summary>
    private sealed record Message(
        long ReceivedNs, int Base, bool IsTrade, long Id, long EventMs, long TradeMs, string Price, string Quantity, string? AskPrice, string? AskQuantity,
        bool BuyerMaker, bool BestMatch);
}
