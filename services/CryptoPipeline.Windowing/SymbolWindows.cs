namespace CryptoPipeline.Windowing;

/// <summary>The resident windows of one instrument, by minute number, with the last one used cached.</summary>
internal sealed class SymbolWindows(string exchange, string symbol)
{
    public string Exchange { get; } = exchange;

    public string Symbol { get; } = symbol;

    public Dictionary<long, CandleState> ByMinute { get; } = [];

    /// <summary>The window the previous trade of this instrument went to: usually the next one's too.</summary>
    public CandleState? Last { get; set; }

    public bool Is(string exchange, string symbol) =>
        string.Equals(Symbol, symbol, StringComparison.Ordinal) && string.Equals(Exchange, exchange, StringComparison.Ordinal);
}
