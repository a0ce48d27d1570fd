using CryptoPipeline.Contracts;

namespace CryptoPipeline.Processor.Sink;

/// <summary>The <c>source</c> column's text for <see cref="DataSource"/> (the tables' CHECK constraints name the same four).</summary>
internal static class SourceNames
{
    public static string ToText(DataSource source) => source switch
    {
        DataSource.Live => "live",
        DataSource.Replay => "replay",
        DataSource.Simulated => "simulated",
        DataSource.Backfill => "backfill",
        _ => throw new ArgumentOutOfRangeException(nameof(source), source, "Not a data source the tables know."),
    };

    public static DataSource Parse(string text) => text switch
    {
        "live" => DataSource.Live,
        "replay" => DataSource.Replay,
        "simulated" => DataSource.Simulated,
        "backfill" => DataSource.Backfill,
        _ => throw new FormatException($"'{text}' is not a source the processor knows (live, replay, simulated, backfill)."),
    };
}
