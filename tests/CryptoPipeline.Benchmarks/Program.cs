using CryptoPipeline.Benchmarks.ApiLoad;
using CryptoPipeline.Benchmarks.Kafka;

// One command per part of the pipeline; measure with -c Release:
//   dotnet run -c Release --project tests/CryptoPipeline.Benchmarks -- <command> [options]
var commands = new Dictionary<string, (string Summary, Func<string[], int> Run)>(StringComparer.Ordinal)
{
    ["kafka"] = ("produce and consume rates against the embedded Kafka cluster; kafka --help for options", KafkaThroughput.Run),
    ["api-load"] = ("latency and requests/s of the Api under wrk, on a day of candles; api-load --help for options", ApiLoad.Run),
};

if (args is [var name, ..] && commands.TryGetValue(name, out var command))
{
    return command.Run(args[1..]);
}

var helpAsked = args is [] or ["--help" or "-h", ..];
if (!helpAsked)
{
    Console.Error.WriteLine($"Unknown command '{args[0]}'.");
}

var usage = helpAsked ? Console.Out : Console.Error;
usage.WriteLine("Usage: dotnet run -c Release --project tests/CryptoPipeline.Benchmarks -- <command> [options]");
foreach (var (commandName, (summary, _)) in commands)
{
    usage.WriteLine($"  {commandName,-8} {summary}");
}

return helpAsked ? 0 : 2;
