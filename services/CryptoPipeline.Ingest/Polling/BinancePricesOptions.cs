using System.ComponentModel.DataAnnotations;

namespace CryptoPipeline.Ingest.Polling;

/// <summary>The <c>binance-rest-prices</c> source: section <c>Ingest:BinanceRestPrices</c>.</summary>
public sealed class BinancePricesOptions : IValidatableObject
{
    public const string SectionName = IngestOptions.SectionName + ":BinanceRestPrices";

    /// <summary><c>Ingest:BinanceRestPrices:BaseUrl</c>: Binance spot REST (tests point it at a fake server).</summary>
    public string BaseUrl { get; set; } = "https://api.binance.com";

    /// <summary>
    /// <c>Ingest:BinanceRestPrices:Interval</c>: time between polls of <c>/api/v3/ticker/price</c>. One poll for a
    /// symbol list weighs 4 of Binance's 6000 per minute, so even 1 s (the default) uses 4%.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary><c>Ingest:BinanceRestPrices:Symbols</c>: symbols to poll; default <c>Ingest:Symbols</c>.</summary>
    public IReadOnlyList<string> Symbols { get; internal set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Uri.TryCreate(BaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            yield return new ValidationResult($"BaseUrl = '{BaseUrl}' is invalid: use an http(s) URL such as https://api.binance.com.", [nameof(BaseUrl)]);
        }

        foreach (var symbol in Symbols.Where(s => !IngestOptionsValidator.IsSymbol(s)))
        {
            yield return new ValidationResult($"Symbols contains '{symbol}', which is not a symbol.", [nameof(Symbols)]);
        }
    }
}
