using System.Threading.Channels;
using Npgsql;

namespace CryptoPipeline.Ingest.Publishing;

/// <summary>
/// <see cref="IIngestionJournal"/> on PostgreSQL (<c>ingestion_gaps</c>, <c>ingestion_events</c>). Calls queue
/// the entry and return at once, so a slow or absent database never holds up a feed; one writer applies the
/// entries in order, retrying while PostgreSQL is unreachable. Gap writes are upserts on the gap's unique range,
/// so a gap reported twice (two overlapping connections, a retried write) is one row, and its state only moves
/// forward: open, then filled or unfillable.
/// </summary>
internal sealed partial class PostgresIngestionJournal : BackgroundService, IIngestionJournal
{
    /// <summary>Entries kept while PostgreSQL is away; beyond that the oldest are dropped (and logged).</summary>
    internal const int Capacity = 10_000;

    private const string RecordGapSql = """
        INSERT INTO ingestion_gaps (exchange, symbol, first_missing_id, last_missing_id, detected_at, detail)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT ON CONSTRAINT ingestion_gaps_unique DO NOTHING
        """;

    // A gap can be filled before its open record arrives (its write failed, or another process saw it):
    // insert it filled then. Filling is final; an unfillable gap may still be filled later.
    private const string MarkFilledSql = """
        INSERT INTO ingestion_gaps (exchange, symbol, first_missing_id, last_missing_id, detected_at, status, filled_at, detail)
        VALUES ($1, $2, $3, $4, $5, 'filled', $5, $6)
        ON CONFLICT ON CONSTRAINT ingestion_gaps_unique DO UPDATE
            SET status = 'filled', filled_at = EXCLUDED.filled_at
            WHERE ingestion_gaps.status <> 'filled'
        """;

    private const string MarkUnfillableSql = """
        INSERT INTO ingestion_gaps (exchange, symbol, first_missing_id, last_missing_id, detected_at, status, detail)
        VALUES ($1, $2, $3, $4, $5, 'unfillable', $6)
        ON CONFLICT ON CONSTRAINT ingestion_gaps_unique DO UPDATE
            SET status = 'unfillable', detail = EXCLUDED.detail
            WHERE ingestion_gaps.status = 'open'
        """;

    private const string RecordEventSql = """
        INSERT INTO ingestion_events (occurred_at, exchange, connection, kind, detail)
        VALUES ($1, $2, $3, $4, $5)
        """;

    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    private readonly IServiceProvider _services;
    private readonly TimeProvider _time;
    private readonly ILogger<PostgresIngestionJournal> _logger;
    private readonly Channel<Entry> _entries;

    // The data source is resolved when writing starts: building it reads the validated connection string, and the
    // host builds its hosted services before it validates options, which must get to report every bad setting.
    public PostgresIngestionJournal(IServiceProvider services, TimeProvider time, ILogger<PostgresIngestionJournal> logger)
    {
        _services = services;
        _time = time;
        _logger = logger;
        _entries = Channel.CreateBounded<Entry>(
            new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest },
            dropped => LogDropped(dropped.Sql == RecordEventSql ? "event" : "gap", dropped.Exchange));
    }

    public ValueTask RecordGapAsync(string exchange, string symbol, long firstMissingId, long lastMissingId, string? detail, CancellationToken cancellationToken) =>
        Gap(RecordGapSql, exchange, symbol, firstMissingId, lastMissingId, detail);

    public ValueTask MarkGapFilledAsync(string exchange, string symbol, long firstMissingId, long lastMissingId, CancellationToken cancellationToken) =>
        Gap(MarkFilledSql, exchange, symbol, firstMissingId, lastMissingId, null);

    public ValueTask MarkGapUnfillableAsync(string exchange, string symbol, long firstMissingId, long lastMissingId, string reason, CancellationToken cancellationToken) =>
        Gap(MarkUnfillableSql, exchange, symbol, firstMissingId, lastMissingId, reason);

    public ValueTask RecordEventAsync(string exchange, string? connection, string kind, string? detail, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(exchange);
        ArgumentException.ThrowIfNullOrEmpty(kind);
        Queue(new Entry(RecordEventSql, exchange, [_time.GetUtcNow(), exchange, connection, kind, detail]));
        return ValueTask.CompletedTask;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var database = _services.GetRequiredService<NpgsqlDataSource>();
        await foreach (var entry in _entries.Reader.ReadAllAsync(CancellationToken.None))
        {
            await WriteAsync(database, entry, stoppingToken);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Let the writer finish what the feeds reported before they stopped; the host's shutdown timeout bounds the wait.
        _entries.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    private ValueTask Gap(string sql, string exchange, string symbol, long first, long last, string? detail)
    {
        ArgumentException.ThrowIfNullOrEmpty(exchange);
        ArgumentException.ThrowIfNullOrEmpty(symbol);
        if (first > last)
        {
            throw new ArgumentOutOfRangeException(nameof(last), last, $"The gap's last missing id must not be below its first ({first}).");
        }

        Queue(new Entry(sql, exchange, [exchange, symbol, first, last, _time.GetUtcNow(), detail]));
        return ValueTask.CompletedTask;
    }

    private void Queue(Entry entry)
    {
        if (!_entries.Writer.TryWrite(entry))
        {
            LogAfterStop(entry.Exchange);
        }
    }

    private async Task WriteAsync(NpgsqlDataSource database, Entry entry, CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(500);
        while (true)
        {
            try
            {
                await using var command = database.CreateCommand(entry.Sql);
                foreach (var value in entry.Values)
                {
                    command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
                }

                // Not the stopping token: an entry already being written is finished during shutdown.
                await command.ExecuteNonQueryAsync(CancellationToken.None);
                return;
            }
            catch (NpgsqlException e) when (e.IsTransient && !stoppingToken.IsCancellationRequested)
            {
                LogRetrying(e.Message, delay.TotalSeconds);
                try
                {
                    await Task.Delay(delay, _time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    LogDroppedAtShutdown(entry.Exchange);
                    return;
                }

                delay = delay * 2 < MaxRetryDelay ? delay * 2 : MaxRetryDelay;
            }
            catch (NpgsqlException e)
            {
                // Not transient (a schema problem, a constraint): retrying would not help.
                LogWriteFailed(e, entry.Exchange);
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The ingestion journal dropped its oldest {What} entry for {Exchange}: PostgreSQL has been unreachable for too long.")]
    private partial void LogDropped(string what, string exchange);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingestion journal entry for {Exchange} arrived after shutdown began; not recorded.")]
    private partial void LogAfterStop(string exchange);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot write the ingestion journal ({Problem}); retrying in {DelaySeconds:0.#} s.")]
    private partial void LogRetrying(string problem, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Shutdown came before PostgreSQL was reachable again: an ingestion journal entry for {Exchange} is lost.")]
    private partial void LogDroppedAtShutdown(string exchange);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not write an ingestion journal entry for {Exchange}; it is skipped.")]
    private partial void LogWriteFailed(Exception exception, string exchange);

    private sealed record Entry(string Sql, string Exchange, object?[] Values);
}
