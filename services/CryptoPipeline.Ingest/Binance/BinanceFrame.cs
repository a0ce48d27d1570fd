using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.Feeds;

namespace CryptoPipeline.Ingest.Binance;

/// <summary>The defects the Binance parsers tell apart; the metric and log name them as <see cref="BadInputKinds"/>.</summary>
internal enum BinanceBadInput
{
    MalformedJson,
    MissingField,
    WrongType,
    InvalidTradeId,
    InvalidPrice,
    InvalidQuantity,
    AbsurdTimestamp,
    UnknownSymbol,
}

internal static class BinanceBadInputNames
{
    /// <summary>The <c>kind</c> tag of <c>cryptopipeline.ingest.bad_input</c> for <paramref name="kind"/>.</summary>
    public static string TagOf(BinanceBadInput kind) => kind switch
    {
        BinanceBadInput.MalformedJson => BadInputKinds.MalformedJson,
        BinanceBadInput.MissingField => BadInputKinds.MissingField,
        BinanceBadInput.WrongType => BadInputKinds.WrongType,
        BinanceBadInput.InvalidTradeId => BadInputKinds.InvalidTradeId,
        BinanceBadInput.InvalidPrice => BadInputKinds.InvalidPrice,
        BinanceBadInput.InvalidQuantity => BadInputKinds.InvalidQuantity,
        BinanceBadInput.AbsurdTimestamp => BadInputKinds.AbsurdTimestamp,
        BinanceBadInput.UnknownSymbol => BadInputKinds.UnknownSymbol,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}

internal enum BinanceFrameKind
{
    Trade,
    Quote,

    /// <summary>A stream this feed does not use (<c>@depth</c>, <c>@markPrice</c>, …): skipped without complaint.</summary>
    Ignored,

    /// <summary>The answer to a SUBSCRIBE request.</summary>
    Response,

    Bad,
}

/// <summary>One parsed WebSocket frame.</summary>
internal readonly struct BinanceFrame
{
    private BinanceFrame(BinanceFrameKind kind, Trade? trade = null, Quote? quote = null, long responseId = 0, string? detail = null, BinanceBadInput badInput = default)
    {
        Kind = kind;
        Trade = trade;
        Quote = quote;
        ResponseId = responseId;
        Detail = detail;
        BadInput = badInput;
    }

    public BinanceFrameKind Kind { get; }

    public Trade? Trade { get; }

    public Quote? Quote { get; }

    /// <summary>The <c>id</c> of a SUBSCRIBE answer.</summary>
    public long ResponseId { get; }

    /// <summary>What was wrong (bad input), the error of a failed SUBSCRIBE, or the ignored stream's name.</summary>
    public string? Detail { get; }

    public BinanceBadInput BadInput { get; }

    public static BinanceFrame ForTrade(Trade trade) => new(BinanceFrameKind.Trade, trade: trade);

    public static BinanceFrame ForQuote(Quote quote) => new(BinanceFrameKind.Quote, quote: quote);

    public static BinanceFrame Ignored(string stream) => new(BinanceFrameKind.Ignored, detail: stream);

    /// <summary>A SUBSCRIBE answer; <paramref name="error"/> is null when it succeeded.</summary>
    public static BinanceFrame Response(long id, string? error) => new(BinanceFrameKind.Response, responseId: id, detail: error);

    public static BinanceFrame Bad(BinanceBadInput kind, string detail) => new(BinanceFrameKind.Bad, detail: detail, badInput: kind);
}
