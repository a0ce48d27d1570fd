using System.ComponentModel.DataAnnotations;

namespace CryptoPipeline.Ingest.Polling;

/// <summary>The <c>coingecko</c> source: section <c>Ingest:CoinGecko</c>.</summary>
public sealed class CoinGeckoOptions : IValidatableObject
{
    public const string SectionName = IngestOptions.SectionName + ":CoinGecko";

    /// <summary><c>Ingest:CoinGecko:BaseUrl</c>: the API root; <c>https://pro-api.coingecko.com/api/v3</c> with a pro key.</summary>
    public string BaseUrl { get; set; } = "https://api.coingecko.com/api/v3";

    /// <summary><c>Ingest:CoinGecko:Ids</c>: CoinGecko coin ids (comma-separated or an array); default bitcoin, ethereum.</summary>
    public IReadOnlyList<string> Ids { get; internal set; } = ["bitcoin", "ethereum"];

    /// <summary><c>Ingest:CoinGecko:VsCurrencies</c>: currencies to price them in; default usd.</summary>
    public IReadOnlyList<string> VsCurrencies { get; internal set; } = ["usd"];

    /// <summary>
    /// <c>Ingest:CoinGecko:Interval</c>: time between polls of <c>/simple/price</c>. CoinGecko refreshes prices about
    /// every 20–30 s and the public API allows a few calls a minute, so polling faster than 30 s (the default) only
    /// re-reads its cache and risks 429s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:05", "1.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary><c>Ingest:CoinGecko:ApiKey</c>: sent in <see cref="ApiKeyHeader"/> when set.</summary>
    public string? ApiKey { get; set; }

    /// <summary><c>Ingest:CoinGecko:ApiKeyHeader</c>: <c>x-cg-demo-api-key</c> (default) or <c>x-cg-pro-api-key</c>.</summary>
    public string ApiKeyHeader { get; set; } = "x-cg-demo-api-key";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Uri.TryCreate(BaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            yield return new ValidationResult($"BaseUrl = '{BaseUrl}' is invalid: use an http(s) URL such as https://api.coingecko.com/api/v3.", [nameof(BaseUrl)]);
        }

        if (Ids.Count == 0)
        {
            yield return new ValidationResult("Ids is empty: name at least one coin id, e.g. bitcoin.", [nameof(Ids)]);
        }

        if (VsCurrencies.Count == 0)
        {
            yield return new ValidationResult("VsCurrencies is empty: name at least one currency, e.g. usd.", [nameof(VsCurrencies)]);
        }

        foreach (var name in Ids.Concat(VsCurrencies).Where(n => !n.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' or '.')))
        {
            yield return new ValidationResult($"'{name}' is not a CoinGecko id or currency: use lower-case letters, digits, '-', '_' or '.'.", [nameof(Ids)]);
        }
    }
}
