namespace CryptoPipeline.Monitor.Scheduling;

/// <summary>A job as the code declares it: name, what it does, and the defaults its settings override.</summary>
internal sealed record JobDeclaration(string Name, string Description, string DefaultSchedule, TimeSpan DefaultTimeout);

/// <summary>The monitor's jobs (issue 5); their schedules come from <c>Monitor:Jobs:&lt;name&gt;</c>.</summary>
internal static class JobDeclarations
{
    public static readonly JobDeclaration PipelineCheck = new(
        "pipeline-check",
        "Processor alive (commits and consumer group), consumer lag per partition, freshness per instrument, database round trip.",
        "00:01:00",
        TimeSpan.FromSeconds(50));

    public static readonly JobDeclaration Reconciliation = new(
        "reconciliation",
        "Compares the finished Binance candles of a recent window field by field with the exchange's official 1m klines.",
        "*/15 * * * *",
        TimeSpan.FromMinutes(5));

    public static readonly JobDeclaration GapRepair = new(
        "gap-repair",
        "Asks Ingest to back-fill ingestion gaps that are still open, and alerts on gaps open too long.",
        "00:05:00",
        TimeSpan.FromMinutes(1));

    public static readonly JobDeclaration Maintenance = new(
        "maintenance",
        "Hourly rollups catch-up, raw trade partitions ahead, raw trade retention, and pruning of the monitor's history.",
        "5 * * * *",
        TimeSpan.FromMinutes(30));

    public static readonly IReadOnlyList<JobDeclaration> All = [PipelineCheck, Reconciliation, GapRepair, Maintenance];
}
