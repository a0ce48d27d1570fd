using System.Runtime.InteropServices;
using CryptoPipeline.EmbeddedKafka;
using CryptoPipeline.EmbeddedKafka.Server;

if (!ServerArguments.TryParse(args, out var arguments, out var problem))
{
    if (problem is null)
    {
        Console.Out.WriteLine(ServerArguments.Usage);
        return 0;
    }

    Console.Error.WriteLine(problem);
    Console.Error.WriteLine(ServerArguments.Usage);
    return 2;
}

using var stop = new ManualResetEventSlim();
void RequestStop(PosixSignalContext context)
{
    // Keep the runtime from terminating the process, so the cluster is torn down below.
    context.Cancel = true;
    stop.Set();
}

using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, RequestStop);
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, RequestStop);

using (var cluster = new EmbeddedKafkaCluster(arguments.Brokers))
{
    foreach (var topic in arguments.TopicsToCreate)
    {
        cluster.CreateTopic(topic, arguments.Partitions);
    }

    // The first stdout line is the contract for scripts and tests; everything else goes to stderr.
    Console.Out.WriteLine($"bootstrap.servers={cluster.BootstrapServers}");
    Console.Out.Flush();
    Console.Error.WriteLine(
        $"Embedded Kafka: {arguments.Brokers} broker(s) at {cluster.BootstrapServers}" +
        (arguments.TopicsToCreate.Count > 0 ? $", topics {string.Join(", ", arguments.TopicsToCreate)} with {arguments.Partitions} partition(s)" : "") + ".");
    Console.Error.WriteLine(
        "WARNING: this is librdkafka's in-memory mock cluster, a test and development broker: nothing is persisted, " +
        "each partition keeps only its last 5 MB / 100,000 messages, and topics must be created here (--topics), " +
        "not through the admin API. Use a real Kafka (ConnectionStrings__kafka) for anything that matters.");
    Console.Error.WriteLine("Serving until Ctrl+C or SIGTERM.");

    stop.Wait();
}

Console.Error.WriteLine("Embedded Kafka stopped.");
return 0;
