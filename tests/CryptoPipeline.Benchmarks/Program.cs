using CryptoPipeline.Benchmarks.ApiLoad;
using CryptoPipeline.Benchmarks.Kafka;

// One command per part of the pipeline; measure with -c Release:
//   dotnet run -c Release --project tests/CryptoPipeline.Benchmarks -- <command> [options]
var commands = new Dictionary<string, (string Summary, Func<string[], int> Run)>(StringComparer.Ordinal)
{
    ["kafka"] = ("produce and consume rates against the embedded Kafka cluster; kafka --help for options", KafkaThroughput.Run),
    ["api-load"] = ("latency and requests/s of the Api under wrk, on a day of candles; api-load --help for options", ApiLoad.Run),
    ["pipeline-load"] = ("Ingest, Processor and Api as processes under simulated and replayed load: trades/s, latency, CPU, memory; pipeline-load --help for options", CryptoPipeline.Benchmarks.PipelineLoad.PipelineLoad.Run),
    ["hot-paths"] = ("BenchmarkDotNet micro-benchmarks of parsing, wire format, windowing and the candle sink; hot-paths --help for options", CryptoPipeline.Benchmarks.HotPaths.HotPaths.Run),
    ["ingest-load"] = ("the Ingest service replaying the recordings into embedded Kafka (msgs/s, CPU per core) and its memory with 400 simulated symbols; ingest-load --help for options", CryptoPipeline.Benchmarks.IngestLoad.IngestLoad.Run),
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
