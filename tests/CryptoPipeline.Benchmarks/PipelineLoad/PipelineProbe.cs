using Confluent.Kafka;
using CryptoPipeline.Contracts;
using Npgsql;

namespace CryptoPipeline.Benchmarks.PipelineLoad;

/// <summary>
/// Reads the pipeline's progress from the outside: trades counted in the candles and offsets the processor committed
/// (PostgreSQL), trades produced to <c>raw_trades</c> (Kafka's high watermarks), and the end-to-end latency of the
/// trades in the raw history, from each trade's ingest receive time to its transaction's commit timestamp.
/// </summary>
internal sealed class PipelineProbe : IDisposable
{
    private const string CountsSql = """
        SELECT (SELECT coalesce(sum(trade_count), 0)::bigint FROM trades_1min_agg),
               (SELECT coalesce(sum(next_offset), 0)::bigint FROM consumer_offsets WHERE topic = 'raw_trades')
        """;

    // track_commit_timestamp is on in the harness's PostgreSQL: every row's xmin has the time its transaction committed.
    private const string LatencySql = """
        SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), percentile_cont(0.95) WITHIN GROUP (ORDER BY ms),
               percentile_cont(0.99) WITHIN GROUP (ORDER BY ms), max(ms)
        FROM (SELECT extract(epoch FROM pg_xact_commit_timestamp(xmin) - received_at)::float8 * 1000 AS ms
              FROM trades WHERE received_at >= @from AND received_at < @to) latencies
        """;

    private readonly NpgsqlDataSource _database;
    private readonly IConsumer<Ignore, Ignore> _watermarks;
    private readonly List<TopicPartition> _partitions;

    public PipelineProbe(string connectionString, string bootstrapServers)
    {
        _database = NpgsqlDataSource.Create(connectionString);
        var config = new ConsumerConfig { BootstrapServers = bootstrapServers, GroupId = "pipeline-load-probe", ClientId = "pipeline-load-probe" };
        _watermarks = new ConsumerBuilder<Ignore, Ignore>(config).Build();
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build();
        var topic = admin.GetMetadata(Topics.RawTrades, TimeSpan.FromSeconds(30)).Topics.Single();
        _partitions = [.. topic.Partitions.Select(p => new TopicPartition(Topics.RawTrades, p.PartitionId))];
    }

    /// <summary>Trades counted in <c>trades_1min_agg</c> and the sum of the processor's committed <c>raw_trades</c> offsets.</summary>
    public async Task<(long Counted, long Consumed)> CommittedAsync()
    {
        await using var command = _database.CreateCommand(CountsSql);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>The sum of <c>raw_trades</c>' high watermarks: every trade Ingest has had acknowledged.</summary>
    public long Produced() => _partitions.Sum(p => _watermarks.QueryWatermarkOffsets(p, TimeSpan.FromSeconds(10)).High.Value);

    /// <summary>Latency (ms) from ingest receive time to commit of the trades received in [from, to).</summary>
    public async Task<LatencySummary?> EndToEndAsync(DateTimeOffset from, DateTimeOffset to)
    {
        await using var command = _database.CreateCommand(LatencySql);
        command.Parameters.AddWithValue("from", from);
        command.Parameters.AddWithValue("to", to);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        var count = reader.GetInt64(0);
        return count == 0
            ? null
            : new LatencySummary(count, reader.GetDouble(1), reader.GetDouble(2), reader.GetDouble(3), reader.GetDouble(4));
    }

    public void Dispose()
    {
        _watermarks.Close();
        _watermarks.Dispose();
        _database.Dispose();
    }
}

/// <summary>Percentiles of a latency distribution, in milliseconds.</summary>
internal sealed record LatencySummary(long Count, double P50, double P95, double P99, double Max)
{
    public static LatencySummary? Of(IReadOnlyList<double> milliseconds)
    {
        if (milliseconds.Count == 0)
        {
            return null;
        }

        var sorted = milliseconds.Order().ToArray();
        // Linear interpolation between the closest ranks, as PostgreSQL's percentile_cont.
        double At(double fraction)
        {
            var rank = fraction * (sorted.Length - 1);
            var below = (int)Math.Floor(rank);
            var above = Math.Min(below + 1, sorted.Length - 1);
            return sorted[below] + ((rank - below) * (sorted[above] - sorted[below]));
        }

        return new LatencySummary(sorted.Length, At(0.5), At(0.95), At(0.99), sorted[^1]);
    }
}
