namespace CryptoPipeline.Ingest.Binance;

/// <summary>One connection's worth of streams: all on one path, at most <see cref="BinanceOptions.StreamsPerConnection"/>.</summary>
internal sealed record ShardPlan(string Name, string Path, IReadOnlyList<string> Streams, IReadOnlyList<string> Symbols);

/// <summary>Spreads a feed's streams (<c>&lt;symbol&gt;@trade</c>, <c>&lt;symbol&gt;@bookTicker</c>) over connections.</summary>
internal static class BinanceStreamPlan
{
    public static IReadOnlyList<ShardPlan> Create(string exchange, BinanceOptions options, IReadOnlyList<string> symbols)
    {
        // Paths in first-seen order, so the plan (and the connection names) are stable.
        var paths = new List<(string Path, List<(string Symbol, string Stream)> Streams)>();
        foreach (var symbol in symbols)
        {
            var lower = symbol.ToLowerInvariant();
            Add(options.TradeStreamPath, symbol, lower + "@trade");
            if (options.PublishQuotes)
            {
                Add(options.QuoteStreamPath, symbol, lower + "@bookTicker");
            }
        }

        var shards = new List<ShardPlan>();
        foreach (var (path, streams) in paths)
        {
            var index = 0;
            foreach (var chunk in streams.Chunk(options.StreamsPerConnection))
            {
                shards.Add(new ShardPlan(
                    $"{exchange}{path}#{index++}",
                    path,
                    [.. chunk.Select(s => s.Stream)],
                    [.. chunk.Select(s => s.Symbol).Distinct(StringComparer.Ordinal)]));
            }
        }

        return shards;

        void Add(string path, string symbol, string stream)
        {
            var group = paths.FindIndex(p => p.Path == path);
            if (group < 0)
            {
                paths.Add((path, []));
                group = paths.Count - 1;
            }

            paths[group].Streams.Add((symbol, stream));
        }
    }
}
