using System.Text;

namespace CryptoPipeline.Contracts.UnitTests;

/// <summary>Builds wire JSON by hand from field texts, so tests can break one field at a time.</summary>
internal static class WireMessage
{
    /// <summary>The fields in order with one replaced (raw JSON) or, when the replacement is null, left out.</summary>
    public static byte[] With((string Name, string Json)[] fields, string name, string? json)
    {
        Assert.Contains(fields, f => f.Name == name);
        var kept = fields
            .Where(f => f.Name != name || json is not null)
            .Select(f => f.Name == name ? (f.Name, Json: json!) : f);
        return Build(kept);
    }

    public static byte[] Build(IEnumerable<(string Name, string Json)> fields) =>
        Encoding.UTF8.GetBytes("{" + string.Join(",", fields.Select(f => $"\"{f.Name}\":{f.Json}")) + "}");
}
