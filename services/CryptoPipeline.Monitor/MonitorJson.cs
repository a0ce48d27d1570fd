using System.Text.Json;

namespace CryptoPipeline.Monitor;

internal static class MonitorJson
{
    /// <summary>A detached <see cref="JsonElement"/> of a jsonb column's text (the pooled document is returned at once).</summary>
    public static JsonElement Element(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
