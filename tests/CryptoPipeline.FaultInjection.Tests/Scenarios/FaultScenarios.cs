namespace CryptoPipeline.FaultInjection.Tests.Scenarios;

/// <summary>
/// The scenarios run one after another: each runs a whole pipeline of processes, and recovery times mean
/// something only when the scenarios do not compete for the machine.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultScenarios
{
    public const string Name = "Fault scenarios";
}
