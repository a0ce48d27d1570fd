namespace CryptoPipeline.Contracts;

/// <summary>Kafka topic names shared by every service (DESIGN.md §3).</summary>
public static class Topics
{
    public const string RawTrades = "raw_trades";
    public const string Quotes = "quotes";
    public const string Prices = "prices";

    /// <summary>The market-data topics: what Ingest publishes and the Processor consumes.</summary>
    public static IReadOnlyList<string> Data { get; } = [RawTrades, Quotes, Prices];

    /// <summary>Dead-letter topic for a source topic: original key and bytes plus error headers.</summary>
    public static string DeadLetter(string topic) => topic + ".dlq";

    public static IReadOnlyList<string> All { get; } =
        [RawTrades, Quotes, Prices, DeadLetter(RawTrades), DeadLetter(Quotes), DeadLetter(Prices)];
}
