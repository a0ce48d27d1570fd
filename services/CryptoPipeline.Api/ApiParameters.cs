using System.ComponentModel.DataAnnotations;
using System.Globalization;
using CryptoPipeline.Contracts;

namespace CryptoPipeline.Api;

/// <summary>
/// The rules for query parameters the endpoints share. They are data annotations, so the built-in minimal-API
/// validation checks them before a handler runs and answers 400 with a ValidationProblem that names the parameter
/// and what it accepts; the OpenAPI document carries them too.
/// </summary>
internal static class ApiParameters
{
    public const string SymbolPattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$";
    public const string SymbolMessage = "{0} must be 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit.";
    public const string FormatPattern = "^(json|csv)$";
    public const string FormatMessage = "{0} must be json or csv.";
    public const int MaxCandles = 10_000;
    public const int DefaultCandles = 1_440;

    public static readonly string[] KnownExchanges = [Exchanges.Binance, Exchanges.BinanceUsdm, Exchanges.Bitmex, Exchanges.CoinGecko, Exchanges.Simulated];

    /// <summary>Timestamps outside this range are refused, which keeps every range computation far from overflow.</summary>
    public static readonly DateTimeOffset EarliestTime = new(1970, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static readonly DateTimeOffset LatestTime = new(2100, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Parses a value that <see cref="TimestampAttribute"/> accepted; null when absent.</summary>
    public static DateTimeOffset? ParseTimestamp(string? value) =>
        TryParseTimestamp(value, out var time) ? time : null;

    public static bool TryParseTimestamp(string? value, out DateTimeOffset time)
    {
        time = default;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        value = value.Trim();
        if (value.All(char.IsAsciiDigit))
        {
            if (value.Length > 15 || !long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds))
            {
                return false;
            }

            time = DateTimeOffset.FromUnixTimeMilliseconds(Math.Min(milliseconds, LatestTime.ToUnixTimeMilliseconds() + 1));
        }
        else if (!DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time))
        {
            return false;
        }

        time = time.ToUniversalTime();
        return time >= EarliestTime && time <= LatestTime;
    }

    public static bool IsCsv(string? format, HttpContext context) =>
        string.Equals(format, "csv", StringComparison.OrdinalIgnoreCase)
        || (format is null && context.Request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/csv", StringComparison.OrdinalIgnoreCase)));
}

/// <summary>One of the exchange names of DESIGN.md §4.</summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property)]
internal sealed class ExchangeAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext) =>
        value is null || (value is string name && ApiParameters.KnownExchanges.Contains(name, StringComparer.Ordinal))
            ? ValidationResult.Success
            : new ValidationResult(
                $"{validationContext.DisplayName} must be one of {string.Join(", ", ApiParameters.KnownExchanges)}, got '{value}'.",
                [validationContext.MemberName ?? validationContext.DisplayName]);
}

/// <summary>An ISO 8601 time (UTC unless it carries an offset) or Unix milliseconds, from 1970 to 2100.</summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property)]
internal sealed class TimestampAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext) =>
        value is null || (value is string text && ApiParameters.TryParseTimestamp(text, out _))
            ? ValidationResult.Success
            : new ValidationResult(
                $"{validationContext.DisplayName} must be an ISO 8601 time such as 2024-08-09T00:00:00Z, or Unix milliseconds, " +
                $"between {ApiParameters.EarliestTime:yyyy-MM-ddTHH:mm:ssZ} and {ApiParameters.LatestTime:yyyy-MM-ddTHH:mm:ssZ}; got '{value}'.",
                [validationContext.MemberName ?? validationContext.DisplayName]);
}

/// <summary>One of <see cref="CandleInterval.Names"/>.</summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property)]
internal sealed class IntervalAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext) =>
        value is null || (value is string name && CandleInterval.TryParse(name, out _))
            ? ValidationResult.Success
            : new ValidationResult(
                $"{validationContext.DisplayName} must be one of {string.Join(", ", CandleInterval.Names)}, got '{value}'.",
                [validationContext.MemberName ?? validationContext.DisplayName]);
}
