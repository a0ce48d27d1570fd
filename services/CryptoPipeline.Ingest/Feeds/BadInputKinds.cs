namespace CryptoPipeline.Ingest.Feeds;

/// <summary>
/// The kinds of defect <see cref="BadInputLog"/> counts (the <c>kind</c> tag of <c>cryptopipeline.ingest.bad_input</c>),
/// shared by every source so metrics and logs read alike; the same snake-case names as the Binance feed's.
/// </summary>
public static class BadInputKinds
{
    /// <summary>Not JSON (or not the CSV / line layout the source expects).</summary>
    public const string MalformedJson = "malformed_json";

    /// <summary>A field has the wrong JSON type (a number where a string is expected, …).</summary>
    public const string WrongType = "wrong_type";

    public const string MissingField = "missing_field";

    public const string InvalidTradeId = "invalid_trade_id";

    /// <summary>Empty, zero, negative, NaN or non-decimal price.</summary>
    public const string InvalidPrice = "invalid_price";

    /// <summary>Empty, zero, negative, NaN or non-decimal quantity.</summary>
    public const string InvalidQuantity = "invalid_quantity";

    /// <summary>A time before 2009 or years ahead: seconds sent as milliseconds, nanoseconds as microseconds, garbage.</summary>
    public const string AbsurdTimestamp = "absurd_timestamp";

    /// <summary>A symbol the source did not subscribe to or does not know.</summary>
    public const string UnknownSymbol = "unknown_symbol";

    /// <summary>A frame or line beyond the size limit; skipped unread.</summary>
    public const string OversizedFrame = "oversized_frame";

    /// <summary>Well-formed, but a message type or table the source does not handle.</summary>
    public const string UnknownMessage = "unknown_message";
}
