using System.ComponentModel.DataAnnotations;
using CryptoPipeline.Contracts;

namespace CryptoPipeline.Ingest.Replay;

/// <summary>The <c>replay</c> source: section <c>Ingest:Replay</c>.</summary>
public sealed class ReplayOptions : IValidatableObject
{
    public const string SectionName = IngestOptions.SectionName + ":Replay";

    /// <summary>
    /// <c>Ingest:Replay:Path</c>: a file or a folder. Files are recorded feeds (<c>&lt;receive time&gt;
    /// &lt;combined-stream JSON&gt;</c> lines, the time in ns, µs or ms) or data.binance.vision trade CSVs
    /// (names containing <c>.csv</c>), gzip or plain. A folder's files are grouped into series by their
    /// name without its digits (<c>spot_btcusdt_20240808.gz</c>, <c>spot_btcusdt_20240809.gz</c>, …), each series
    /// read in name order, the series merged by time.
    /// </summary>
    [Required]
    public string? Path { get; set; }

    /// <summary><c>Ingest:Replay:Pattern</c>: which files of a folder to replay, e.g. <c>spot_*.gz</c>.</summary>
    public string Pattern { get; set; } = "*";

    /// <summary><c>Ingest:Replay:Speed</c>: <c>max</c>, <c>realtime</c> or a multiple such as <c>10x</c>.</summary>
    public string Speed { get; set; } = "max";

    /// <summary>
    /// <c>Ingest:Replay:Exchange</c>: <c>binance</c> (spot) or <c>binance-usdm</c>. Unset: files whose name
    /// contains <c>usdm</c>, <c>futures</c> or <c>-um-</c> are futures, the others spot.
    /// </summary>
    public string? Exchange { get; set; }

    /// <summary>
    /// <c>Ingest:Replay:Symbols</c>: unset, recorded feeds replay every symbol they hold; set, only these (others are
    /// skipped as <c>unknown_symbol</c>). A trade CSV takes its symbol from its name
    /// (<c>BTCUSDT-trades-2025-01-01.csv</c>), or from this list when it holds exactly one.
    /// </summary>
    public IReadOnlyList<string> Symbols { get; internal set; } = [];

    /// <summary><c>Ingest:Replay:ProgressInterval</c>: how often progress is logged.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary><c>Ingest:Replay:MaxLineBytes</c>: longer lines are skipped as <c>oversized_frame</c>.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxLineBytes { get; set; } = 1024 * 1024;

    internal ReplaySpeed ParsedSpeed => ReplaySpeed.TryParse(Speed, out var speed) ? speed.Value : ReplaySpeed.Max;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(Path) && !File.Exists(Path) && !Directory.Exists(Path))
        {
            yield return new ValidationResult($"Path = '{Path}' is neither a file nor a folder.", [nameof(Path)]);
        }

        if (!ReplaySpeed.TryParse(Speed, out _))
        {
            yield return new ValidationResult($"Speed = '{Speed}' is invalid: use max, realtime or a multiple such as 10x or 0.5x.", [nameof(Speed)]);
        }

        if (Exchange is not (null or Exchanges.Binance or Exchanges.BinanceUsdm))
        {
            yield return new ValidationResult($"Exchange = '{Exchange}' is invalid: use {Exchanges.Binance} or {Exchanges.BinanceUsdm}, or leave it unset to tell by the file name.", [nameof(Exchange)]);
        }

        foreach (var symbol in Symbols.Where(s => !IngestOptionsValidator.IsSymbol(s)))
        {
            yield return new ValidationResult($"Symbols contains '{symbol}', which is not a symbol.", [nameof(Symbols)]);
        }
    }
}
