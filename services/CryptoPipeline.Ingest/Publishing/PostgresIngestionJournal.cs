using System.Threading.Channels;
using Npgsql;

namespace CryptoPipeline.Ingest.Publishing;

/// <summary>
/// <see cref="IIngestionJournal"/> on PostgreSQL (<c>ingestion_gaps</c>, <c>ingestion_events</c>). Calls queue
/// the entry and return at once, so a slow or absent database never holds up a feed; one writer applies the
/// entries in order, retrying while PostgreSQL is unreachable. Gap writes are upserts on the gap's unique range,
/// so a gap reported twice (two overlapping connections, a retried write) is one row, and its state only moves
/// forward: open, then filled or unfillable. <see cref="WritingNow"/> gives the same records written at once, on a
/// connection of the caller's.
/// </summary>
/// <remarks>
/// A plain <see cref="IHostedService"/> rather than a <see cref="BackgroundService"/>: since .NET 10 the latter starts
/// <c>ExecuteAsync</c> with <c>Task.Run</c> on the stopping token, so a host stopped right after it started could cancel
/// the writer before it ever ran and lose everything queued. Here the writer always starts, and a stop waits until it
/// has written what was queued (bounded by the host's shutdown timeout).
/// </remarks>
internal sealed partial class PostgresIngestionJournal : IHostedService, IIngestionJournal, IDisposable
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
    private readonly CancellationTokenSource _stopRequested = new();
    private readonly CancellationTokenSource _abandon = new();
    private Task _writer = Task.CompletedTask;

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
        Queue(GapEntry(RecordGapSql, exchange, symbol, firstMissingId, lastMissingId, detail));

    public ValueTask MarkGapFilledAsync(string exchange, string symbol, long firstMissingId, long lastMissingId, CancellationToken cancellationToken) =>
        Queue(GapEntry(MarkFilledSql, exchange, symbol, firstMissingId, lastMissingId, null));

    public ValueTask MarkGapUnfillableAsync(string exchange, string symbol, long firstMissingId, long lastMissingId, string reason, CancellationToken cancellationToken) =>
        Queue(GapEntry(MarkUnfillableSql, exchange, symbol, firstMissingId, lastMissingId, reason));

    public ValueTask RecordEventAsync(string exchange, string? connection, string kind, string? detail, CancellationToken cancellationToken) =>
        Queue(EventEntry(exchange, connection, kind, detail));

    /// <summary>
    /// The journal's records written at once on <paramref name="connection"/>, each call completing when its row is
    /// written (and throwing when it cannot be): for work that must know the record is in before it goes on, such as gap
    /// repair, which holds a gap until its end is recorded.
    /// </summary>
    public IIngestionJournal WritingNow(NpgsqlConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return new ImmediateJournal(this, connection);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var database = _services.GetRequiredService<NpgsqlDataSource>();
        _writer = Task.Run(() => WriteQueuedAsync(database, _abandon.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Takes no more entries and waits until the writer has written the queued ones, which the feeds reported before
    /// they stopped. Once shutdown has begun an unreachable PostgreSQL is not waited for (the publisher after this one
    /// needs the shutdown time for the trades): the entries it cannot take, and any left when the host's shutdown
    /// timeout runs out, are given up and their number logged.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _entries.Writer.TryComplete();
        await _stopRequested.CancelAsync();
        try
        {
            await _writer.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await _abandon.CancelAsync();
            await _writer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public void Dispose()
    {
        _stopRequested.Dispose();
        _abandon.Dispose();
    }

    private Entry GapEntry(string sql, string exchange, string symbol, long first, long last, string? detail)
    {
        ArgumentException.ThrowIfNullOrEmpty(exchange);
        ArgumentException.ThrowIfNullOrEmpty(symbol);
        if (first > last)
        {
            throw new ArgumentOutOfRangeException(nameof(last), last, $"The gap's last missing id must not be below its first ({first}).");
        }

        return new Entry(sql, exchange, [exchange, symbol, first, last, _time.GetUtcNow(), detail]);
    }

    private Entry EventEntry(string exchange, string? connection, string kind, string? detail)
    {
        ArgumentException.ThrowIfNullOrEmpty(exchange);
        ArgumentException.ThrowIfNullOrEmpty(kind);
        return new Entry(RecordEventSql, exchange, [_time.GetUtcNow(), exchange, connection, kind, detail]);
    }

    private ValueTask Queue(Entry entry)
    {
        if (!_entries.Writer.TryWrite(entry))
        {
            LogAfterStop(entry.Exchange);
        }

        return ValueTask.CompletedTask;
    }

    private async Task WriteQueuedAsync(NpgsqlDataSource database, CancellationToken abandon)
    {
        var lost = 0;
        await foreach (var entry in _entries.Reader.ReadAllAsync(CancellationToken.None))
        {
            // Once one entry could not be written during shutdown, PostgreSQL is away: the rest are not tried.
            if (lost > 0 || abandon.IsCancellationRequested || !await WriteAsync(database, entry, abandon))
            {
                lost++;
            }
        }

        if (lost > 0)
        {
            LogLostAtShutdown(lost);
        }
    }

    /// <returns>False when the entry is given up: PostgreSQL could not take it once shutdown had begun.</returns>
    private async Task<bool> WriteAsync(NpgsqlDataSource database, Entry entry, CancellationToken abandon)
    {
        var delay = TimeSpan.FromMilliseconds(500);
        while (true)
        {
            try
            {
                // Not the stop request: an entry is still written during shutdown while PostgreSQL is there to take it.
                await using var connection = await database.OpenConnectionAsync(abandon);
                await ExecuteAsync(connection, entry, abandon);
                return true;
            }
            catch (NpgsqlException e) when (e.IsTransient && !_stopRequested.IsCancellationRequested)
            {
                LogRetrying(e.Message, delay.TotalSeconds);
                try
                {
                    await Task.Delay(delay, _time, _stopRequested.Token);
                }
                catch (OperationCanceledException)
                {
                    // Shutdown began: one last try.
                }

                delay = delay * 2 < MaxRetryDelay ? delay * 2 : MaxRetryDelay;
            }
            catch (Exception e) when (e is NpgsqlException { IsTransient: true } or OperationCanceledException)
            {
                return false;
            }
            catch (NpgsqlException e)
            {
                // Not transient (a schema problem, a constraint): retrying would not help.
                LogWriteFailed(e, entry.Exchange);
                return true;
            }
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, Entry entry, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(entry.Sql, connection);
        foreach (var value in entry.Values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The ingestion journal dropped its oldest {What} entry for {Exchange}: PostgreSQL has been unreachable for too long.")]
    private partial void LogDropped(string what, string exchange);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingestion journal entry for {Exchange} arrived after shutdown began; not recorded.")]
    private partial void LogAfterStop(string exchange);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot write the ingestion journal ({Problem}); retrying in {DelaySeconds:0.#} s.")]
    private partial void LogRetrying(string problem, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Shutdown came before PostgreSQL took them: {Count} ingestion journal entries are lost.")]
    private partial void LogLostAtShutdown(int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not write an ingestion journal entry for {Exchange}; it is skipped.")]
    private partial void LogWriteFailed(Exception exception, string exchange);

    private sealed record Entry(string Sql, string Exchange, object?[] Values);

    private sealed class ImmediateJournal(PostgresIngestionJournal journal, NpgsqlConnection database) : IIngestionJournal
    {
        public async ValueTask RecordGapAsync(string exchange, string symbol, long firstMissingId, long lastMissingId, string? detail, CancellationToken cancellationToken) =>
            await ExecuteAsync(database, journal.GapEntry(RecordGapSql, exchange, symbol, firstMissingId, lastMissingId, detail), cancellationToken);

        public async ValueTask MarkGapFilledAsync(string exchange, string symbol, long firstMissingId, long lastMissingId, CancellationToken cancellationToken) =>
            await ExecuteAsync(database, journal.GapEntry(MarkFilledSql, exchange, symbol, firstMissingId, lastMissingId, null), cancellationToken);

        public async ValueTask MarkGapUnfillableAsync(string exchange, string symbol, long firstMissingId, long lastMissingId, string reason, CancellationToken cancellationToken) =>
            await ExecuteAsync(database, journal.GapEntry(MarkUnfillableSql, exchange, symbol, firstMissingId, lastMissingId, reason), cancellationToken);

        public async ValueTask RecordEventAsync(string exchange, string? connection, string kind, string? detail, CancellationToken cancellationToken) =>
            await ExecuteAsync(database, journal.EventEntry(exchange, connection, kind, detail), cancellationToken);
    }
}
