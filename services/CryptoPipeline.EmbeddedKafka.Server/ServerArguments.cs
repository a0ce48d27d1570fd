using System.Diagnostics.CodeAnalysis;
using CryptoPipeline.Contracts;

namespace CryptoPipeline.EmbeddedKafka.Server;

/// <summary>Command line of the embedded Kafka server.</summary>
internal sealed record ServerArguments(int Brokers, int Partitions, IReadOnlyList<string> TopicsToCreate)
{
    public const string Usage = """
        Usage: CryptoPipeline.EmbeddedKafka.Server [--brokers N] [--topics] [--partitions N] [--topic NAME]...
          --brokers N      brokers in the cluster (default 3)
          --topics         create the pipeline topics (raw_trades, quotes, prices and their .dlq)
          --topic NAME     create topic NAME (repeatable)
          --partitions N   partitions of the created topics (default 6)
        Prints "bootstrap.servers=HOST:PORT,..." as the first line on stdout and serves until Ctrl+C or SIGTERM.
        """;

    /// <summary>False with a null <paramref name="problem"/> when help was asked for.</summary>
    public static bool TryParse(string[] args, [NotNullWhen(true)] out ServerArguments? arguments, out string? problem)
    {
        arguments = null;
        problem = null;
        var brokers = 3;
        var partitions = 6;
        var topics = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (name)
            {
                case "--help" or "-h":
                    return false;
                case "--topics":
                    topics.AddRange(Topics.All);
                    continue;
                case "--topic" when !string.IsNullOrWhiteSpace(value):
                    topics.Add(value);
                    break;
                case "--brokers" when TryPositive(value, out var count):
                    brokers = count;
                    break;
                case "--partitions" when TryPositive(value, out var count):
                    partitions = count;
                    break;
                case "--brokers" or "--partitions":
                    problem = $"{name} needs a positive whole number, not '{value}'.";
                    return false;
                case "--topic":
                    problem = "--topic needs a topic name.";
                    return false;
                default:
                    problem = $"Unknown argument '{name}'.";
                    return false;
            }

            i++;
        }

        arguments = new ServerArguments(brokers, partitions, topics.Distinct(StringComparer.Ordinal).ToList());
        return true;
    }

    private static bool TryPositive(string? text, out int value) =>
        int.TryParse(text, out value) && value > 0;
}
