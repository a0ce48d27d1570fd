using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace CryptoPipeline.ServiceDefaults;

/// <summary>
/// Data-annotation validation whose messages name the configuration key a person has to fix, and the
/// value found there, rather than the C# property.
/// </summary>
internal sealed class ConfigurationKeyValidator<TOptions>(string section) : IValidateOptions<TOptions>
    where TOptions : class
{
    private static readonly PropertyInfo[] Properties =
        [.. typeof(TOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanRead && p.GetIndexParameters().Length == 0)];

    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        if (name != Options.DefaultName)
        {
            return ValidateOptionsResult.Skip;
        }

        var failures = new List<string>();
        foreach (var property in Properties)
        {
            var key = $"{section}:{property.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name ?? property.Name}";
            var value = property.GetValue(options);
            var context = new ValidationContext(options) { MemberName = property.Name, DisplayName = key };
            foreach (var rule in property.GetCustomAttributes<ValidationAttribute>())
            {
                if (rule.GetValidationResult(value, context) is { } result)
                {
                    failures.Add(Describe(rule, key, value, result));
                }
            }
        }

        if (options is IValidatableObject validatable)
        {
            foreach (var result in validatable.Validate(new ValidationContext(options)))
            {
                failures.Add($"{section}: {result.ErrorMessage}");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static string Describe(ValidationAttribute rule, string key, object? value, ValidationResult result) => rule switch
    {
        RequiredAttribute => $"{key} is required",
        RangeAttribute range => $"{key} must be between {Show(range.Minimum)} and {Show(range.Maximum)}, got {Show(value)}",
        _ => $"{result.ErrorMessage} (got {Show(value)})",
    };

    private static string Show(object? value) => value switch
    {
        null => "nothing",
        string text => $"'{text}'",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
