using System.Data;
using CryptoPipeline.Contracts;
using CryptoPipeline.Ingest.Feeds;
using CryptoPipeline.Ingest.Publishing;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CryptoPipeline.Ingest.Binance;

/// <summary>
/// Repairs the gaps the Monitor asks about: its gap-repair job gives every gap that stays open a row in
/// <c>ingestion_gap_repairs</c> (again at each retry) and announces each round with <c>NOTIFY ingestion_gap_repair</c>.
/// This service LISTENs on a connection of its own, reopened with backoff when PostgreSQL goes away, and also looks
/// every <see cref="BinanceGapRepairOptions.PollInterval"/> in case a notification was missed. Each open gap of the
/// running Binance markets whose latest request it has not handled yet is back-filled over REST as the live feed
/// back-fills its own gaps, its trades are published again (consumers count each trade once, by its id), and the gap is
/// marked filled or unfillable with the journal's own statements.
/// </summary>
/// <remarks>
/// Several Ingest replicas may run: a replica repairs a gap only while it holds the gap's advisory lock, which it keeps
/// until the gap's end is recorded, and checks after taking it that the gap is still open. So one replica repairs it,
/// and the others skip it. A lock of the connection's session: a replica that dies releases it with its connection.
/// </remarks>
internal sealed partial class BinanceGapRepair(
    IReadOnlyList<BinanceMarket> markets,
    IServiceProvider services,
    IOptions<BinanceGapRepairOptions> options,
    IMarketDataSink sink,
    PostgresIngestionJournal journal,
    IngestTelemetry telemetry,
    TimeProvider time,
    ILogger<BinanceGapRepair> logger) : BackgroundService
{
    /// <summary>The Monitor's channel (the contract of <c>ingestion_gap_repairs</c>, migration 0006).</summary>
    public const string NotifyChannel = "ingestion_gap_repair";

    /// <summary>First key of the per-gap advisory locks (the second is the gap id): "IGRP".</summary>
    private const int LockClass = 0x4947_5250;

    private const string RequestedSql = """
        SELECT g.id, g.exchange, g.symbol, g.first_missing_id, g.last_missing_id, r.requests
        FROM ingestion_gaps g
        JOIN ingestion_gap_repairs r ON r.gap_id = g.id
        WHERE g.status = 'open' AND g.exchange = ANY($1)
        ORDER BY r.last_requested_at, g.id
        """;

    private const string StillOpenSql = "SELECT EXISTS (SELECT FROM ingestion_gaps WHERE id = $1 AND status = 'open')";

    // The gaps handled, with the request round each was handled for: a gap is taken up again only when the Monitor
    // asks again (a repair whose record could not be written, say), at the pace the Monitor sets.
    private readonly Dictionary<long, int> _handled = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var database = services.GetRequiredService<NpgsqlDataSource>();
        var backfills = markets.ToDictionary(
            m => m.Exchange,
            m => new MarketRepair(
                new BinanceBackfill(services.GetRequiredKeyedService<BinanceRestClient>(m.Exchange), telemetry, time, logger),
                services.GetRequiredKeyedService<BinanceOptions>(m.Exchange)),
            StringComparer.Ordinal);
        var backoff = new ReconnectBackoff(settings.ReconnectDelay, settings.MaxReconnectDelay, Random.Shared);
        while (true)
        {
            try
            {
                await using var listener = await database.OpenConnectionAsync(stoppingToken);
                await using (var listen = new NpgsqlCommand($"LISTEN {NotifyChannel}", listener))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                LogListening(NotifyChannel, settings.PollInterval);
                backoff.Reset();
                while (true)
                {
                    // At once after (re)connecting: requests made while nobody listened are caught up.
                    await RepairRequestedAsync(database, backfills, stoppingToken);
                    if (!await listener.WaitAsync(settings.PollInterval, stoppingToken))
                    {
                        // A quiet interval: make sure the connection still hears before relying on it again.
                        await using var ping = new NpgsqlCommand("SELECT 1", listener);
                        await ping.ExecuteScalarAsync(stoppingToken);
                    }
                }
            }
            catch (NpgsqlException e) when (!stoppingToken.IsCancellationRequested)
            {
                var delay = backoff.Next();
                LogDatabaseFailed(e.Message, delay);
                await Task.Delay(delay, time, stoppingToken);
            }
        }
    }

    private async Task RepairRequestedAsync(NpgsqlDataSource database, Dictionary<string, MarketRepair> backfills, CancellationToken cancellationToken)
    {
        var requested = await ReadRequestedAsync(database, cancellationToken);
        foreach (var gone in _handled.Keys.Where(id => !requested.Exists(g => g.Id == id)).ToList())
        {
            _handled.Remove(gone);
        }

        foreach (var gap in requested.Where(g => g.Requests > _handled.GetValueOrDefault(g.Id)))
        {
            await RepairAsync(database, backfills[gap.Exchange], gap, cancellationToken);
        }
    }

    private async Task<List<RequestedGap>> ReadRequestedAsync(NpgsqlDataSource database, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(RequestedSql);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. markets.Select(m => m.Exchange)] });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var gaps = new List<RequestedGap>();
        while (await reader.ReadAsync(cancellationToken))
        {
            gaps.Add(new RequestedGap(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt32(5)));
        }

        return gaps;
    }

    private async Task RepairAsync(NpgsqlDataSource database, MarketRepair market, RequestedGap gap, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        if (!await LockAsync(connection, "pg_try_advisory_lock", gap.Id, cancellationToken))
        {
            // Another replica is repairing it and records how it ends.
            LogRepairedElsewhere(gap.Exchange, gap.Symbol, gap.FirstMissingId, gap.LastMissingId);
            return;
        }

        try
        {
            // Another replica may have finished it between the list and the lock.
            if (await StillOpenAsync(connection, gap.Id, cancellationToken))
            {
                var filled = await BackfillAsync(market, gap, journal.WritingNow(connection), cancellationToken);
                telemetry.CountGapRepair(gap.Exchange, filled ? "filled" : "unfillable");
                LogRepaired(gap.Exchange, gap.Symbol, gap.FirstMissingId, gap.LastMissingId, gap.Requests, filled ? "filled" : "unfillable");
            }

            _handled[gap.Id] = gap.Requests;
        }
        finally
        {
            // A broken connection is not returned to the pool: its session, and the lock, end with it.
            if (connection.State == ConnectionState.Open)
            {
                await LockAsync(connection, "pg_advisory_unlock", gap.Id, CancellationToken.None);
            }
        }
    }

    /// <summary>Back-fills the gap, publishes what REST returned in id order and records the gap's end.</summary>
    /// <returns>Whether the gap counts as filled.</returns>
    private async Task<bool> BackfillAsync(MarketRepair market, RequestedGap gap, IIngestionJournal record, CancellationToken cancellationToken)
    {
        var backfill = market.Backfill;
        var range = new TradeGap(gap.FirstMissingId, gap.LastMissingId);
        if (range.Size > market.Options.MaxBackfillTrades)
        {
            var reason = $"{range.Size} missing trades are more than {backfill.Market.ConfigurationSection}:MaxBackfillTrades ({market.Options.MaxBackfillTrades})";
            await backfill.UnfillableAsync(record, gap.Symbol, gap.FirstMissingId, gap.LastMissingId, reason, cancellationToken);
            return false;
        }

        var result = await backfill.FetchAsync(gap.Symbol, gap.FirstMissingId, gap.LastMissingId, cancellationToken);
        var backfilled = result.Trades.Count(range.TryAdd);
        var trades = new List<Trade>(backfilled);
        range.AppendInOrder(trades);
        foreach (var trade in trades)
        {
            await sink.PublishAsync(trade, cancellationToken);
        }

        IngestTelemetry.Add(telemetry.GapTradesFilled, backfilled, gap.Exchange, gap.Symbol);
        return await backfill.ResolveAsync(record, gap.Symbol, gap.FirstMissingId, gap.LastMissingId, result, range.MissingRanges(), backfilled, cancellationToken);
    }

    private static async Task<bool> LockAsync(NpgsqlConnection connection, string function, long gapId, CancellationToken cancellationToken)
    {
        // Gap ids past 2^32 share a lock with a lower one: two gaps then wait for each other, nothing worse.
        await using var command = new NpgsqlCommand($"SELECT {function}($1, $2)", connection);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = LockClass });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = unchecked((int)gapId) });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task<bool> StillOpenAsync(NpgsqlConnection connection, long gapId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(StillOpenSql, connection);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = gapId });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Gap repair listening on {Channel}, and looking every {PollInterval} in case a notification is missed")]
    private partial void LogListening(string channel, TimeSpan pollInterval);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gap repair lost PostgreSQL ({Error}); connecting again in {RetryIn}")]
    private partial void LogDatabaseFailed(string error, TimeSpan retryIn);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Exchange} {Symbol}: gap {FirstId}..{LastId} repaired at the Monitor's request #{Request}: {Outcome}")]
    private partial void LogRepaired(string exchange, string symbol, long firstId, long lastId, int request, string outcome);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Exchange} {Symbol}: gap {FirstId}..{LastId} is being repaired by another replica")]
    private partial void LogRepairedElsewhere(string exchange, string symbol, long firstId, long lastId);

    private sealed record MarketRepair(BinanceBackfill Backfill, BinanceOptions Options);

    private sealed record RequestedGap(long Id, string Exchange, string Symbol, long FirstMissingId, long LastMissingId, int Requests);
}
