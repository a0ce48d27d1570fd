using Microsoft.Extensions.Options;

namespace CryptoPipeline.Ingest;

/// <summary>Start-up checks of the list settings of <see cref="IngestOptions"/>; messages name the key.</summary>
internal sealed class IngestOptionsValidator : IValidateOptions<IngestOptions>
{
    private const string SourcesKey = IngestOptions.SectionName + ":" + nameof(IngestOptions.Sources);
    private const string SymbolsKey = IngestOptions.SectionName + ":" + nameof(IngestOptions.Symbols);

    public ValidateOptionsResult Validate(string? name, IngestOptions options)
    {
        var failures = new List<string>();
        var known = string.Join(", ", IngestSources.All);
        if (options.Sources.Count == 0)
        {
            failures.Add($"{SourcesKey} is empty: name at least one of {known}.");
        }

        foreach (var source in options.Sources.Where(s => !IngestSources.IsKnown(s)))
        {
            failures.Add($"{SourcesKey} contains '{source}', which is not a source: use {known}.");
        }

        if (options.Symbols.Count == 0)
        {
            failures.Add($"{SymbolsKey} is empty: name at least one symbol, e.g. BTCUSDT.");
        }

        foreach (var symbol in options.Symbols.Where(s => !IsSymbol(s)))
        {
            failures.Add($"{SymbolsKey} contains '{symbol}', which is not a symbol: use letters, digits, '-', '_' or '.' only, e.g. BTCUSDT.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    internal static bool IsSymbol(string symbol) =>
        symbol.Length is > 0 and <= 40 && symbol.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
