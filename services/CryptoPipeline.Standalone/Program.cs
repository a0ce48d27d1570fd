using CryptoPipeline.Standalone;
using CryptoPipeline.Standalone.CommandLine;

var commandLine = StandaloneCommandLine.Parse(args);
if (commandLine.HelpRequested || commandLine.Errors.Count > 0)
{
    commandLine.Errors.ForEach(Console.Error.WriteLine);
    (commandLine.Errors.Count > 0 ? Console.Error : Console.Out).WriteLine(StandaloneCommandLine.Usage);
    return commandLine.Errors.Count > 0 ? 2 : 0;
}

var builder = WebApplication.CreateBuilder([.. commandLine.HostArguments]);
await builder.AddStandaloneAsync(commandLine);

await using var app = builder.Build();
app.MapStandalone();
await app.RunAsync();
return Environment.ExitCode;
