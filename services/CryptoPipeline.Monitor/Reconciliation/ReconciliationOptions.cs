using System.ComponentModel.DataAnnotations;

namespace CryptoPipeline.Monitor.Reconciliation;

/// <summary>Reconciliation against the exchange's official klines, configuration section <c>Monitor:Reconciliation</c>.</summary>
public sealed class ReconciliationOptions : IValidatableObject
{
    public const string SectionName = "Monitor:Reconciliation";

    /// <summary>Binance spot REST base URL (<c>/api/v3/klines</c> is appended) for the <c>binance</c> candles.</summary>
    [Required]
    public string BaseUrl { get; set; } = "https://api.binance.com";

    /// <summary>Binance USD-M futures REST base URL (<c>/fapi/v1/klines</c> is appended) for the <c>binance-usdm</c> candles.</summary>
    [Required]
    public string FuturesBaseUrl { get; set; } = "https://fapi.binance.com";

    /// <summary>How many minutes back each run compares (the window ends <see cref="Settle"/> before the run).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Minutes that ended less than this long ago are left for the next run: the exchange publishes a kline only
    /// after its minute closes, and late trades may still amend our candle within the processor's lateness.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan Settle { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long one klines request may take.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>At most this many mismatches are stored per run (all are counted), so a broken feed cannot flood the table.</summary>
    [Range(1, 1_000_000)]
    public int MaxRecordedMismatches { get; set; } = 10_000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (key, value) in new[] { (nameof(BaseUrl), BaseUrl), (nameof(FuturesBaseUrl), FuturesBaseUrl) })
        {
            if (!Uri.TryCreate(value, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            {
                yield return new ValidationResult($"{key} must be an absolute http:// or https:// URL, got '{value}'", [key]);
            }
        }
    }
}
