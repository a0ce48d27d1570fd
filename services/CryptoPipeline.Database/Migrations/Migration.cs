using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace CryptoPipeline.Database.Migrations;

/// <summary>
/// One versioned SQL migration, named <c>NNNN_description.sql</c> (infra/migrations). The checksum
/// covers the text with line endings normalised, so a checkout with CRLF endings still matches.
/// </summary>
public sealed partial record Migration
{
    private const string ResourcePrefix = "migrations/";

    private static readonly Lazy<IReadOnlyList<Migration>> EmbeddedMigrations = new(LoadEmbedded);

    public Migration(string fileName, string sql)
    {
        var match = FileNamePattern().Match(fileName);
        if (!match.Success)
        {
            throw new ArgumentException(
                $"Migration file name '{fileName}' does not have the form NNNN_description.sql.", nameof(fileName));
        }

        FileName = fileName;
        Version = int.Parse(match.Groups["version"].ValueSpan, provider: null);
        Sql = sql.ReplaceLineEndings("\n").TrimStart('\uFEFF');
        Checksum = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql)));
    }

    public int Version { get; }

    public string FileName { get; }

    public string Sql { get; }

    /// <summary>SHA-256 of <see cref="Sql"/>, lower-case hex.</summary>
    public string Checksum { get; }

    /// <summary>The migrations embedded from infra/migrations, in version order.</summary>
    public static IReadOnlyList<Migration> Embedded => EmbeddedMigrations.Value;

    public override string ToString() => FileName;

    private static List<Migration> LoadEmbedded()
    {
        var assembly = typeof(Migration).Assembly;
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            migrations.Add(new Migration(resource[ResourcePrefix.Length..], ReadResource(assembly, resource)));
        }

        if (migrations.Count == 0)
        {
            throw new InvalidOperationException(
                $"{assembly.GetName().Name} embeds no migrations; its project must include infra/migrations/*.sql.");
        }

        return [.. migrations.OrderBy(m => m.Version)];
    }

    private static string ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    [GeneratedRegex(@"^(?<version>[0-9]{1,9})_[A-Za-z0-9_]+\.sql$")]
    private static partial Regex FileNamePattern();
}
