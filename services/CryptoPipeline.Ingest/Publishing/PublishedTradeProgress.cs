using System.Collections.Concurrent;
using CryptoPipeline.Contracts;
using Npgsql;

namespace CryptoPipeline.Ingest.Publishing;

/// <summary>
/// The last trade id of each live symbol that Kafka acknowledged, kept in <c>ingest_progress</c> so that a restarted feed
/// continues after it (<see cref="ResumeAsync"/>): its first live trade then shows the trades that happened while Ingest
/// was not running as a gap, which the back-fill recovers. Only the symbols a feed resumed are followed, and only their
/// live and back-filled trades. A position moves forward only, on Kafka's acknowledgement, never on the hand-over, so
/// what is saved was in Kafka: a restart may publish a trade again (consumers count it once), but never skips one.
/// </summary>
/// <remarks>
/// The positions that moved are saved together every <see cref="SaveInterval"/>, and once more when the host stops. It is
/// registered before the publisher, so it stops after it, once the publisher has delivered what it still had.
/// </remarks>
internal sealed partial class PublishedTradeProgress : IHostedService, IDisposable
{
    /// <summary>How often the positions that moved are written: in one statement, not per trade.</summary>
    internal static readonly TimeSpan SaveInterval = TimeSpan.FromSeconds(1);

    private const string LoadSql = """
        SELECT symbol, last_trade_id, last_trade_time FROM ingest_progress WHERE exchange = $1 AND symbol = ANY($2)
        """;

    private const string SaveSql = """
        INSERT INTO ingest_progress AS p (exchange, symbol, last_trade_id, last_trade_time, updated_at)
        SELECT s.exchange, s.symbol, s.last_trade_id, s.last_trade_time, $5
        FROM unnest($1::text[], $2::text[], $3::bigint[], $4::timestamptz[]) AS s (exchange, symbol, last_trade_id, last_trade_time)
        ON CONFLICT (exchange, symbol) DO UPDATE
            SET last_trade_id = EXCLUDED.last_trade_id, last_trade_time = EXCLUDED.last_trade_time, updated_at = EXCLUDED.updated_at
            WHERE p.last_trade_id < EXCLUDED.last_trade_id
        """;

    private readonly ConcurrentDictionary<string, TradePosition> _positions = new(StringComparer.Ordinal);
    private readonly IServiceProvider _services;
    private readonly TimeProvider _time;
    private readonly ILogger<PublishedTradeProgress> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private NpgsqlDataSource? _database;
    private Task _saving = Task.CompletedTask;
    private bool _failing;

    // The data source is resolved at start, once the host has validated the connection string.
    public PublishedTradeProgress(IServiceProvider services, TimeProvider time, ILogger<PublishedTradeProgress> logger)
    {
        _services = services;
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// Follows the positions of <paramref name="symbols"/> of <paramref name="exchange"/> from now on and returns where
    /// those that were followed before stood: the last trade Kafka acknowledged before this start.
    /// </summary>
    /// <exception cref="NpgsqlException">PostgreSQL could not be read; the symbols are followed all the same.</exception>
    public async Task<IReadOnlyDictionary<string, PublishedTrade>> ResumeAsync(string exchange, IReadOnlyList<string> symbols, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(exchange);
        ArgumentNullException.ThrowIfNull(symbols);
        foreach (var symbol in symbols)
        {
            _positions.GetOrAdd(MessageKey.For(exchange, symbol), _ => new TradePosition(exchange, symbol));
        }

        var database = _database ?? _services.GetRequiredService<NpgsqlDataSource>();
        await using var command = database.CreateCommand(LoadSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = exchange });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. symbols] });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var resume = new Dictionary<string, PublishedTrade>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            var last = new PublishedTrade(reader.GetInt64(1), reader.GetFieldValue<DateTimeOffset>(2));
            var symbol = reader.GetString(0);
            resume[symbol] = last;
            _positions[MessageKey.For(exchange, symbol)].Loaded(last);
        }

        return resume;
    }

    /// <summary>
    /// The position <paramref name="trade"/> (published under <paramref name="key"/>) moves once Kafka acknowledges it,
    /// or null when its symbol is not followed or it is not a live or back-filled trade (a replay's ids say nothing
    /// about where the live feed stands).
    /// </summary>
    public TradePosition? PositionOf(string key, Trade trade) =>
        trade.Source is DataSource.Live or DataSource.Backfill && _positions.TryGetValue(key, out var position) ? position : null;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var database = _services.GetRequiredService<NpgsqlDataSource>();
        _database = database;
        _saving = Task.Run(() => SaveEveryIntervalAsync(database, _stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Stops the periodic saving and saves the positions that moved since, the publisher having stopped before.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _saving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (_database is not { } database)
        {
            return;
        }

        try
        {
            await SaveAsync(database, cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException)
        {
            LogFinalSaveFailed(e.Message);
        }
    }

    public void Dispose() => _stopping.Dispose();

    private async Task SaveEveryIntervalAsync(NpgsqlDataSource database, CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(SaveInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                try
                {
                    await SaveAsync(database, stopping);
                    if (_failing)
                    {
                        _failing = false;
                        LogSavingAgain();
                    }
                }
                catch (NpgsqlException e) when (!stopping.IsCancellationRequested)
                {
                    // The positions stay unsaved and go with the next save.
                    if (!_failing)
                    {
                        _failing = true;
                        LogSaveFailed(e.Message);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping: the final save follows.
        }
    }

    private async Task SaveAsync(NpgsqlDataSource database, CancellationToken cancellationToken)
    {
        var moved = new List<(TradePosition Position, PublishedTrade Last)>();
        foreach (var position in _positions.Values)
        {
            if (position.Unsaved() is { } last)
            {
                moved.Add((position, last));
            }
        }

        if (moved.Count == 0)
        {
            return;
        }

        await using var command = database.CreateCommand(SaveSql);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. moved.Select(m => m.Position.Exchange)] });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. moved.Select(m => m.Position.Symbol)] });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. moved.Select(m => m.Last.TradeId)] });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]> { TypedValue = [.. moved.Select(m => m.Last.TradeTime)] });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = _time.GetUtcNow() });
        await command.ExecuteNonQueryAsync(cancellationToken);
        foreach (var (position, last) in moved)
        {
            position.Saved(last.TradeId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot save where the live symbols stand ({Problem}); retrying every second. A restart meanwhile back-fills from the last saved positions.")]
    private partial void LogSaveFailed(string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Saving where the live symbols stand again.")]
    private partial void LogSavingAgain();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not save where the live symbols stand at shutdown ({Problem}); the next start back-fills from the last saved positions and may publish some trades again.")]
    private partial void LogFinalSaveFailed(string problem);
}

/// <summary>The last trade of a symbol that reached Kafka: its id and when it was traded.</summary>
internal readonly record struct PublishedTrade(long TradeId, DateTimeOffset TradeTime);

/// <summary>
/// Where one symbol stands: the highest trade id Kafka acknowledged (delivery reports arrive on the producer's thread)
/// and the highest one saved.
/// </summary>
internal sealed class TradePosition(string exchange, string symbol)
{
    private readonly Lock _lock = new();
    private PublishedTrade _last = new(-1, default);
    private long _savedId = -1;

    public string Exchange { get; } = exchange;

    public string Symbol { get; } = symbol;

    public void Acknowledged(long tradeId, DateTimeOffset tradeTime)
    {
        lock (_lock)
        {
            if (tradeId > _last.TradeId)
            {
                _last = new PublishedTrade(tradeId, tradeTime);
            }
        }
    }

    /// <summary>The position when it moved past what was saved, else null.</summary>
    public PublishedTrade? Unsaved()
    {
        lock (_lock)
        {
            return _last.TradeId > _savedId ? _last : null;
        }
    }

    public void Saved(long tradeId)
    {
        lock (_lock)
        {
            _savedId = Math.Max(_savedId, tradeId);
        }
    }

    /// <summary>Takes the saved position of an earlier run as both the current and the saved one.</summary>
    public void Loaded(PublishedTrade saved)
    {
        Acknowledged(saved.TradeId, saved.TradeTime);
        Saved(saved.TradeId);
    }
}
