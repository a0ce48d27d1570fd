using System.ComponentModel.DataAnnotations;

namespace CryptoPipeline.Ingest;

/// <summary>
/// What the Ingest service runs: configuration section <c>Ingest</c>. List settings take either a
/// comma-separated value or an array (see <see cref="ConfigurationLists"/>).
/// </summary>
public sealed class IngestOptions
{
    public const string SectionName = "Ingest";

    /// <summary>
    /// <c>Ingest:Sources</c>: the feeds to run, any of <see cref="IngestSources.All"/>; default <c>binance</c>.
    /// </summary>
    public IReadOnlyList<string> Sources { get; internal set; } = [IngestSources.Binance];

    /// <summary>
    /// <c>Ingest:Symbols</c>: exchange symbols (upper case) for the sources that take a symbol list
    /// (Binance REST price polling, the simulation); default BTCUSDT, ETHUSDT.
    /// </summary>
    public IReadOnlyList<string> Symbols { get; internal set; } = ["BTCUSDT", "ETHUSDT"];

    /// <summary>
    /// <c>Ingest:StaleAfter</c>: how long a live feed may stay silent before the <c>ingest-feeds</c> health
    /// check turns Degraded. Polled sources allow at least three of their intervals.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromSeconds(60);

    public bool Runs(string source) => Sources.Contains(source, StringComparer.Ordinal);
}
