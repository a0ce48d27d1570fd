using System.ComponentModel.DataAnnotations;
using CryptoPipeline.Monitor.Alerts;
using CryptoPipeline.Monitor.Scheduling;

namespace CryptoPipeline.Monitor.Endpoints;

/// <summary>
/// Query parameter rules of the monitor API. As data annotations they are checked by the minimal-API validation before
/// a handler runs, answered with a 400 ValidationProblem naming the parameter and what it accepts, and described in
/// the OpenAPI document.
/// </summary>
internal static class MonitorParameters
{
    public const int MaxPage = 100_000;
    public const int MaxPageSize = 500;
    public const int DefaultPageSize = 50;
    public const string StatusPattern = "^(running|succeeded|failed|skipped)$";
    public const string StatusMessage = "{0} must be one of running, succeeded, failed, skipped.";
    public const string StatePattern = "^(open|resolved|all)$";
    public const string StateMessage = "{0} must be one of open, resolved, all.";
}

/// <summary>One of the monitor's job names (<see cref="JobDeclarations.All"/>).</summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property)]
internal sealed class JobNameAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext) =>
        value is null || JobDeclarations.All.Any(j => j.Name.Equals(value as string, StringComparison.OrdinalIgnoreCase))
            ? ValidationResult.Success
            : new ValidationResult(
                $"{validationContext.DisplayName} must be one of {string.Join(", ", JobDeclarations.All.Select(j => j.Name))}, got '{value}'.",
                [validationContext.MemberName ?? validationContext.DisplayName]);
}

/// <summary>One of the alert rule names (<see cref="AlertRules.All"/>).</summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Property)]
internal sealed class AlertRuleAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext) =>
        value is null || AlertRules.All.Contains(value as string, StringComparer.Ordinal)
            ? ValidationResult.Success
            : new ValidationResult(
                $"{validationContext.DisplayName} must be one of {string.Join(", ", AlertRules.All)}, got '{value}'.",
                [validationContext.MemberName ?? validationContext.DisplayName]);
}
