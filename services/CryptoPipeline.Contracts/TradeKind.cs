namespace CryptoPipeline.Contracts;

/// <summary>
/// How a trade came about: Binance futures' <c>X</c> field. Spot trades are all <see cref="Market"/>.
/// Only market trades count in the exchange's klines; the others still carry trade ids.
/// </summary>
public enum TradeKind
{
    Market,
    InsuranceFund,
    Adl,

    /// <summary>Binance's <c>NA</c>: the exchange did not say.</summary>
    Unknown,
}

/// <summary>Maps <see cref="TradeKind"/> to and from its wire text, which is Binance's <c>X</c> text.</summary>
public static class TradeKinds
{
    private static readonly WireEnum<TradeKind> Names = new(
        (TradeKind.Market, "MARKET"),
        (TradeKind.InsuranceFund, "INSURANCE_FUND"),
        (TradeKind.Adl, "ADL"),
        (TradeKind.Unknown, "NA"));

    /// <summary><c>MARKET</c>, <c>INSURANCE_FUND</c>, <c>ADL</c> or <c>NA</c>.</summary>
    public static string ToText(TradeKind kind) => Names.NameOf(kind);

    /// <summary>Parses Binance's <c>X</c> text (UTF-8), case-sensitive as Binance sends it.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out TradeKind kind) => Names.TryParse(utf8, out kind);

    internal static WireEnum<TradeKind> Wire => Names;
}
