namespace CryptoPipeline.Contracts;

/// <summary>
/// Value rules shared by writers (which refuse to produce a message a reader would reject) and readers.
/// Messages name the wire field and show the value.
/// </summary>
internal static class WireRules
{
    private const int MaxShownLength = 40;

    /// <summary>Exchange, market and symbol: non-empty, and free of ':' (the key separator) and whitespace.</summary>
    public static string? Identifier(string field, string? value)
    {
        if (!string.IsNullOrEmpty(value) && !value.Contains(':') && !HasWhiteSpaceOrControl(value))
        {
            return null;
        }

        return $"{field} must be a non-empty string without ':' or whitespace, got {Show(value)}";
    }

    public static string? Positive(string field, decimal value) =>
        value > 0 ? null : $"{field} must be positive, got {DecimalText.ToText(value)}";

    public static string? NotNegative(string field, decimal value) =>
        value >= 0 ? null : $"{field} must not be negative, got {DecimalText.ToText(value)}";

    public static string? Time(string field, DateTimeOffset? value) =>
        value is not { } time || time >= DateTimeOffset.UnixEpoch
            ? null
            : $"{field} must not be before 1970-01-01T00:00:00Z, got {time:O}";

    public static string? Defined<T>(string field, T value, WireEnum<T> names)
        where T : struct, Enum =>
        names.IsDefined(value) ? null : $"{field} must be one of {names.Expected}, got {value}";

    /// <summary>A value as an error message shows it: quoted, shortened, or <c>null</c>.</summary>
    public static string Show(string? value) => value switch
    {
        null => "null",
        { Length: <= MaxShownLength } => $"\"{value}\"",
        _ => $"\"{value.AsSpan(0, MaxShownLength)}…\"",
    };

    private static bool HasWhiteSpaceOrControl(string value)
    {
        foreach (var c in value)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                return true;
            }
        }

        return false;
    }
}
