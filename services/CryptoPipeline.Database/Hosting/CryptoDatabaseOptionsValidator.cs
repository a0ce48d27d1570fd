using Microsoft.Extensions.Options;
using Npgsql;

namespace CryptoPipeline.Database.Hosting;

internal sealed class CryptoDatabaseOptionsValidator : IValidateOptions<CryptoDatabaseOptions>
{
    private const string Key = CryptoDatabaseOptions.ConnectionStringKey;

    public ValidateOptionsResult Validate(string? name, CryptoDatabaseOptions options)
    {
        if (options.MigrationTimeout <= TimeSpan.Zero)
        {
            return ValidateOptionsResult.Fail(
                $"{CryptoDatabaseOptions.SectionName}:{nameof(CryptoDatabaseOptions.MigrationTimeout)} must be positive, got {options.MigrationTimeout}.");
        }

        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return ValidateOptionsResult.Fail(
                $"{Key} is missing: set it to the PostgreSQL connection string " +
                "(Host=...;Port=...;Username=...;Password=...;Database=cryptodb), e.g. with the environment variable ConnectionStrings__cryptodb.");
        }

        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        }
        catch (ArgumentException e)
        {
            // The parser's message names the offending keyword, never the password.
            return ValidateOptionsResult.Fail($"{Key} is not a valid Npgsql connection string: {e.Message}");
        }

        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            return ValidateOptionsResult.Fail($"{Key} names no server (Host=...).");
        }

        // Without it Npgsql would pick a database named after the user, and migrate that one.
        if (string.IsNullOrWhiteSpace(builder.Database))
        {
            return ValidateOptionsResult.Fail($"{Key} names no database (Database=...).");
        }

        return ValidateOptionsResult.Success;
    }
}
