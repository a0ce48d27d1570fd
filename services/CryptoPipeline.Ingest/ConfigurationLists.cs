
namespace CryptoPipeline.Ingest;

/// <summary>
/// List settings written either way people write them: one comma-separated value
/// (<c>--Ingest:Symbols=BTCUSDT,ETHUSDT</c>, <c>Ingest__Symbols=BTCUSDT,ETHUSDT</c>) or an array
/// (<c>"Symbols": ["BTCUSDT", "ETHUSDT"]</c> in JSON, <c>Ingest__Symbols__0=BTCUSDT</c>).
/// The binder cannot do this on its own, and it appends an array to a default list instead of replacing it.
/// </summary>
public static class ConfigurationLists
{
    /// <summary>The items at <paramref name="key"/>, trimmed, empty ones dropped; null when the key is absent.</summary>
    public static IReadOnlyList<string>? Read(IConfiguration configuration, string key)
    {
        var section = configuration.GetSection(key);
        if (section.Value is { } text)
        {
            return Split(text);
        }

        var items = section.GetChildren()
            .OrderBy(child => int.TryParse(child.Key, out var index) ? index : int.MaxValue)
            .SelectMany(child => child.Value is { } value ? Split(value) : [])
            .ToList();
        return items.Count > 0 ? items : null;
    }

    private static string[] Split(string text) =>
        text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
