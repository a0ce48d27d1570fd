using System.ComponentModel.DataAnnotations;

namespace CryptoPipeline.Ingest.Binance;

/// <summary>
/// Repair of the gaps the Monitor asks Ingest to back-fill (<c>ingestion_gap_repairs</c>, <c>NOTIFY ingestion_gap_repair</c>):
/// section <c>Ingest:Binance:GapRepair</c>, in effect while a Binance feed (<c>binance</c>, <c>binance-usdm</c>) runs. The
/// back-fill itself follows the market's own settings (<c>MaxBackfillTrades</c>, the REST weight budget).
/// </summary>
public sealed class BinanceGapRepairOptions : IValidatableObject
{
    public const string SectionName = "Ingest:Binance:GapRepair";

    /// <summary>
    /// <c>Ingest:Binance:GapRepair:PollInterval</c>: how often the requested gaps are looked for without a notification,
    /// in case one was missed (one sent while the listening connection was down, say).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// <c>Ingest:Binance:GapRepair:ReconnectDelay</c>: first delay of the exponential backoff (with jitter) before the
    /// listening connection to PostgreSQL is opened again after it failed.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:05:00")]
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary><c>Ingest:Binance:GapRepair:MaxReconnectDelay</c>: the longest delay of that backoff.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(60);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxReconnectDelay < ReconnectDelay)
        {
            yield return new ValidationResult($"MaxReconnectDelay ({MaxReconnectDelay}) is shorter than ReconnectDelay ({ReconnectDelay}).", [nameof(MaxReconnectDelay)]);
        }
    }
}
