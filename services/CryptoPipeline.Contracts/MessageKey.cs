namespace CryptoPipeline.Contracts;

/// <summary>
/// Kafka message key <c>exchange:symbol</c> (DESIGN.md §3): every message of one symbol lands in one
/// partition, so the processor sees that symbol's trades in order.
/// </summary>
public static class MessageKey
{
    public static string For(string exchange, string symbol) => string.Concat(exchange, ":", symbol);
}
