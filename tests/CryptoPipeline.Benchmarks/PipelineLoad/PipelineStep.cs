using System.Diagnostics;
using System.Globalization;
using CryptoPipeline.Benchmarks.Measurement;
using CryptoPipeline.Contracts;
using CryptoPipeline.EmbeddedKafka;
using CryptoPipeline.EmbeddedPostgres;
using Npgsql;

namespace CryptoPipeline.Benchmarks.PipelineLoad;

/// <summary>CPU and peak memory of one process (or PostgreSQL's process tree) over a step's measured seconds.</summary>
internal sealed record ProcessUsage(string Name, double CpuSeconds, double? PeakMebibytes);

/// <summary>What one step measured.</summary>
internal sealed record StepResult(
    LoadKind Load,
    int Symbols,
    double OfferedPerSecond,
    double Seconds,
    long Committed,
    long Produced,
    long Skipped,
    long LagAtEnd,
    LatencySummary? EndToEnd,
    LatencySummary? CommitToStream,
    IReadOnlyList<ProcessUsage> Usage,
    double MachineBusyCores,
    string LoadAverage,
    string? Note)
{
    public double CommittedPerSecond => Committed / Seconds;

    public double ProducedPerSecond => Produced / Seconds;

    public double OursBusyCores => Usage.Sum(u => u.CpuSeconds) / Seconds;

    /// <summary>CPU seconds per million committed trades.</summary>
    public double CpuPerMillion(double cpuSeconds) => Committed == 0 ? double.NaN : cpuSeconds / Committed * 1e6;
}

/// <summary>
/// One step of <c>pipeline-load</c>: a fresh database and Kafka, the three services as child processes, the load,
/// a warm-up after the first commit, then the measured seconds between two snapshots.
/// </summary>
internal sealed class PipelineStep(LoadSettings settings, PrivatePostgresCluster postgres, string workDirectory)
{
    /// <summary>Per symbol, the simulation option's ceiling: far above what two cores take, so the pipeline runs flat out.</summary>
    private const double MaxTradesPerSymbolPerSecond = 100_000;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs <paramref name="load"/> over <paramref name="symbols"/> symbols at <paramref name="rate"/> trades/s (ignored by max) in database number <paramref name="number"/>.</summary>
    public async Task<StepResult> RunAsync(LoadKind load, int symbols, int rate, int number, RecordedMarket? recordings)
    {
        var database = string.Create(CultureInfo.InvariantCulture, $"pipeline_load_{number}");
        await ExecuteAsync(postgres.GetConnectionString("postgres"), $"CREATE DATABASE {database}");
        try
        {
            return await RunOnAsync(load, symbols, rate, postgres.GetConnectionString(database), recordings);
        }
        finally
        {
            await ExecuteAsync(postgres.GetConnectionString("postgres"), $"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
        }
    }

    private async Task<StepResult> RunOnAsync(LoadKind load, int symbols, int rate, string connectionString, RecordedMarket? recordings)
    {
        using var kafka = settings.Kafka is null ? StartEmbeddedKafka(settings.Partitions) : null;
        var bootstrap = settings.Kafka ?? kafka!.BootstrapServers;
        var common = new Dictionary<string, string>
        {
            ["ConnectionStrings__kafka"] = bootstrap,
            ["ConnectionStrings__cryptodb"] = connectionString,
        };

        var (ingestSettings, offered, note) = load == LoadKind.Replay
            ? ReplaySettings(recordings!, symbols, rate)
            : SimulationSettings(load, symbols, rate);

        var processorSettings = new Dictionary<string, string>(common);
        if (load == LoadKind.Rate)
        {
            // The raw history holds each trade's ingest receive time, committed with its candle: the latency's source.
            processorSettings["Processor__RawTradeHistory__Enabled"] = "true";
        }

        if (settings.Kafka is not null)
        {
            // A real cluster keeps earlier steps' trades: this step's fresh database starts at the end of the topic.
            processorSettings["Processor__StartPosition"] = "Latest";
        }

        await using var processor = ChildService.Start("Processor", processorSettings);
        await using var api = ChildService.Start("Api", common);
        await Task.WhenAll(processor.WaitUntilHealthyAsync(StartTimeout), api.WaitUntilHealthyAsync(StartTimeout));
        await using var stream = load == LoadKind.Replay ? await StreamLatencyClient.ConnectAsync(api.Address, Exchanges.Binance) : null;
        await using var ingest = ChildService.Start("Ingest", new Dictionary<string, string>(common.Concat(ingestSettings)));
        ChildService[] services = [ingest, processor, api];
        using var probe = new PipelineProbe(connectionString, bootstrap);

        await WaitForFirstCommitAsync(probe, services);
        await Task.Delay(TimeSpan.FromSeconds(settings.Warmup));
        var start = await SnapshotAsync(probe, services);
        await Task.Delay(TimeSpan.FromSeconds(settings.Seconds));
        var end = await SnapshotAsync(probe, services);
        var peaks = services.ToDictionary(s => s.Name, s => s.PeakResidentMebibytes());
        ThrowIfAnyExited(services);

        if (load == LoadKind.Replay && ingest.OutputTail.Contains("Replay done", StringComparison.Ordinal))
        {
            note = (note is null ? "" : note + "; ") + "the replay file ran out during the step: rates understate";
        }

        LatencySummary? endToEnd = null;
        if (load == LoadKind.Rate)
        {
            // Everything produced by the end of the window must be committed before its latencies are complete.
            var drain = Stopwatch.StartNew();
            while ((await probe.CommittedAsync()).Consumed < end.Produced && drain.Elapsed < DrainTimeout)
            {
                await Task.Delay(250);
            }

            endToEnd = await probe.EndToEndAsync(start.Time, end.Time);
        }

        var seconds = (end.Timestamp - start.Timestamp) / (double)Stopwatch.Frequency;
        var usage = start.Cpu.Keys
            .Select(name => new ProcessUsage(name, end.Cpu[name] - start.Cpu[name], peaks.GetValueOrDefault(name)))
            .ToList();
        return new StepResult(
            load,
            symbols,
            offered,
            seconds,
            end.Counted - start.Counted,
            end.Produced - start.Produced,
            (end.Consumed - start.Consumed) - (end.Counted - start.Counted),
            end.Produced - end.Consumed,
            endToEnd,
            stream is null ? null : LatencySummary.Of(stream.Between(start.Time, end.Time)),
            usage,
            (end.MachineBusy - start.MachineBusy) / seconds,
            ProcFs.LoadAverage(),
            note);
    }

    private static EmbeddedKafkaCluster StartEmbeddedKafka(int partitions)
    {
        var cluster = new EmbeddedKafkaCluster(brokers: 3);
        cluster.SetGroupInitialRebalanceDelay(TimeSpan.FromMilliseconds(100));
        foreach (var topic in Topics.All)
        {
            cluster.CreateTopic(topic, partitions);
        }

        return cluster;
    }

    private static (Dictionary<string, string> Settings, double Offered, string? Note) SimulationSettings(LoadKind load, int symbols, int rate)
    {
        var perSymbol = load == LoadKind.Max ? MaxTradesPerSymbolPerSecond : (double)rate / symbols;
        var ingest = new Dictionary<string, string>
        {
            ["Ingest__Sources__0"] = "simulated",
            ["Ingest__Simulation__SymbolCount"] = symbols.ToString(CultureInfo.InvariantCulture),
            ["Ingest__Simulation__TradesPerSecond"] = perSymbol.ToString("R", CultureInfo.InvariantCulture),
            ["Ingest__Simulation__Seed"] = "1",
        };
        return (ingest, perSymbol * symbols, null);
    }

    private (Dictionary<string, string> Settings, double Offered, string? Note) ReplaySettings(RecordedMarket recordings, int symbols, int rate)
    {
        // Enough trades for start-up, warm-up, the measured seconds and a generous margin, at the offered rate.
        var trades = (long)rate * (settings.Warmup + settings.Seconds + 90);
        var path = Path.Combine(workDirectory, string.Create(CultureInfo.InvariantCulture, $"spot-recordings-x{symbols}.feed"));
        recordings.Write(path, symbols, trades);
        var speed = rate / recordings.TradesPerSecond(symbols);
        var ingest = new Dictionary<string, string>
        {
            ["Ingest__Sources__0"] = "replay",
            ["Ingest__Replay__Path"] = path,
            ["Ingest__Replay__Speed"] = speed.ToString("0.######", CultureInfo.InvariantCulture) + "x",
        };
        var note = string.Create(CultureInfo.InvariantCulture, $"replay speed {speed:0.####}x");
        return (ingest, rate, note);
    }

    private static async Task WaitForFirstCommitAsync(PipelineProbe probe, ChildService[] services)
    {
        var clock = Stopwatch.StartNew();
        while ((await probe.CommittedAsync()).Counted == 0)
        {
            ThrowIfAnyExited(services);
            if (clock.Elapsed > StartTimeout)
            {
                throw new TimeoutException(
                    $"No trade was committed within {StartTimeout.TotalSeconds:0} s.\n" +
                    string.Join("\n", services.Select(s => $"--- {s.Name} ---\n{s.OutputTail}")));
            }

            await Task.Delay(250);
        }
    }

    private static void ThrowIfAnyExited(ChildService[] services)
    {
        if (services.FirstOrDefault(s => s.HasExited) is { } exited)
        {
            throw new InvalidOperationException($"{exited.Name} exited during the step:\n{exited.OutputTail}");
        }
    }

    private async Task<Snapshot> SnapshotAsync(PipelineProbe probe, ChildService[] services)
    {
        var cpu = services.ToDictionary(s => s.Name, s => s.CpuSeconds());
        cpu["PostgreSQL"] = ProcFs.TreeCpuSeconds(postgres.ServerProcessId);
        cpu[settings.Kafka is null ? "Kafka + harness" : "harness"] = ProcFs.CpuSeconds(Environment.ProcessId);
        var machine = ProcFs.MachineCpuSeconds().Busy;
        var time = DateTimeOffset.UtcNow;
        var timestamp = Stopwatch.GetTimestamp();
        var produced = probe.Produced();
        var (counted, consumed) = await probe.CommittedAsync();
        return new Snapshot(time, timestamp, counted, consumed, produced, cpu, machine);
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private sealed record Snapshot(
        DateTimeOffset Time, long Timestamp, long Counted, long Consumed, long Produced, Dictionary<string, double> Cpu, double MachineBusy);
}
