namespace CryptoPipeline.Contracts;

/// <summary>Where a message came from. Whatever is not live is labelled as such, in the data and in the UI.</summary>
public enum DataSource
{
    Live,
    Replay,
    Simulated,
    Backfill,
}

/// <summary>
/// The text of each <see cref="DataSource"/>, the same on the wire, in the tables' <c>source</c> columns (whose CHECK
/// constraints name the same four) and in the APIs: <c>live</c>, <c>replay</c>, <c>simulated</c>, <c>backfill</c>.
/// </summary>
public static class DataSourceNames
{
    public static string ToText(DataSource source) => DataSources.Wire.NameOf(source);

    /// <exception cref="FormatException"><paramref name="text"/> is not one of the four.</exception>
    public static DataSource Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return DataSources.Wire.TryParse(System.Text.Encoding.UTF8.GetBytes(text), out var source)
            ? source
            : throw new FormatException($"'{text}' is not a data source: use one of {DataSources.Wire.Expected}.");
    }
}
