using Confluent.Kafka;
using CryptoPipeline.Contracts;
using CryptoPipeline.Database;
using CryptoPipeline.Windowing;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace CryptoPipeline.Processor.Sink;

/// <summary>
/// The processor's PostgreSQL side. <see cref="Commit"/> writes one micro-batch in ONE transaction (candles,
/// current prices, price minutes, hourly rollups, raw history and the consumed offsets), each table with one
/// set-based statement sent together in one round trip, so a crash at any moment leaves either all of a batch
/// or none of it. Synchronous on purpose: it runs on the consumer's thread, also inside Kafka's rebalance
/// callbacks, which cannot await.
/// </summary>
internal sealed class PostgresSink(NpgsqlDataSource dataSource, IOptions<ProcessorOptions> options, TimeProvider timeProvider)
{

    private static readonly TimeSpan RetentionInterval = TimeSpan.FromHours(1);

    private const string CandleColumns = """
        t.exchange, t.symbol, t.window_start, t.window_end, t.open, t.high, t.low, t.close,
        t.volume, t.quote_volume, t.taker_buy_volume, t.taker_buy_quote_volume,
        t.trade_count, t.first_trade_id, t.last_trade_id, t.is_final,
        t.first_trade_time, t.last_trade_time, t.price_sum, t.source, t.trade_ids
        """;

    private const string LoadWindowsSql = $"""
        SELECT {CandleColumns}
        FROM unnest(@exchange::text[], @symbol::text[], @window_start::timestamptz[]) AS k(exchange, symbol, window_start)
        JOIN trades_1min_agg t ON t.exchange = k.exchange AND t.symbol = k.symbol AND t.window_start = k.window_start
        UNION ALL
        SELECT {CandleColumns}
        FROM unnest(@instrument_exchange::text[], @instrument_symbol::text[]) AS i(exchange, symbol)
        JOIN trades_1min_agg t ON t.exchange = i.exchange AND t.symbol = i.symbol AND NOT t.is_final
        """;

    private const string ReadCheckpointsSql = """
        SELECT o.topic, o.partition, o.next_offset, o.max_event_time
        FROM unnest(@topic::text[], @partition::int4[]) AS p(topic, partition)
        JOIN consumer_offsets o ON o.topic = p.topic AND o.partition = p.partition
        WHERE o.cluster_id = @cluster_id AND o.consumer_group = @consumer_group
        """;

    private const string ReadInstrumentsSql = """
        SELECT i.topic, i.partition, i.exchange, i.symbol
        FROM unnest(@topic::text[], @partition::int4[]) AS p(topic, partition)
        JOIN consumer_partition_instruments i ON i.topic = p.topic AND i.partition = p.partition
        WHERE i.cluster_id = @cluster_id AND i.consumer_group = @consumer_group
        """;

    // The windows a processor owning these partitions would hold in memory: those not final yet.
    private const string ReadOpenWindowsSql = $"""
        SELECT DISTINCT ON (t.exchange, t.symbol, t.window_start) i.partition, {CandleColumns}
        FROM consumer_partition_instruments i
        JOIN trades_1min_agg t ON t.exchange = i.exchange AND t.symbol = i.symbol AND NOT t.is_final
        WHERE i.cluster_id = @cluster_id AND i.consumer_group = @consumer_group
          AND i.topic = 'raw_trades' AND i.partition = ANY(@partition::int4[])
        """;

    private const string InsertInstrumentsSql = """
        INSERT INTO consumer_partition_instruments (cluster_id, consumer_group, topic, partition, exchange, symbol)
        SELECT @cluster_id, @consumer_group, topic, partition, exchange, symbol
        FROM unnest(@topic::text[], @partition::int4[], @exchange::text[], @symbol::text[]) AS i(topic, partition, exchange, symbol)
        ON CONFLICT DO NOTHING
        """;

    // Returns how many checkpoints it wrote: fewer than given means another consumer moved one since this
    // processor read it (a partition that changed hands), and the transaction must not commit.
    private const string WriteCheckpointsSql = """
        WITH input AS (
            SELECT * FROM unnest(@topic::text[], @partition::int4[], @expected::int8[], @next_offset::int8[], @max_event_time::timestamptz[])
                AS i(topic, partition, expected, next_offset, max_event_time)
        ),
        updated AS (
            UPDATE consumer_offsets o
            SET next_offset = i.next_offset, max_event_time = coalesce(i.max_event_time, o.max_event_time), updated_at = now()
            FROM input i
            WHERE o.cluster_id = @cluster_id AND o.consumer_group = @consumer_group
              AND o.topic = i.topic AND o.partition = i.partition AND o.next_offset = i.expected
            RETURNING 1
        ),
        inserted AS (
            INSERT INTO consumer_offsets (cluster_id, consumer_group, topic, partition, next_offset, max_event_time)
            SELECT @cluster_id, @consumer_group, topic, partition, next_offset, max_event_time FROM input WHERE expected IS NULL
            ON CONFLICT DO NOTHING
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM updated) + (SELECT count(*) FROM inserted)
        """;

    // The engine restored every window from its row before changing it, so its state is the whole truth.
    private const string UpsertCandlesSql = """
        WITH ids AS (
            SELECT w, range_agg(int8range(f, l, '[]')) AS trade_ids
            FROM unnest(@id_window::int8[], @id_first::int8[], @id_last::int8[]) AS r(w, f, l)
            GROUP BY w
        )
        INSERT INTO trades_1min_agg AS t (
            exchange, symbol, window_start, window_end, open, high, low, close,
            volume, quote_volume, taker_buy_volume, taker_buy_quote_volume,
            trade_count, first_trade_id, last_trade_id, is_final, updated_at,
            first_trade_time, last_trade_time, price_sum, source, trade_ids)
        SELECT c.exchange, c.symbol, c.window_start, c.window_start + interval '1 minute', c.open, c.high, c.low, c.close,
               c.volume, c.quote_volume, c.taker_buy_volume, c.taker_buy_quote_volume,
               c.trade_count, c.first_trade_id, c.last_trade_id, c.is_final, now(),
               c.first_trade_time, c.last_trade_time, c.price_sum, c.source, ids.trade_ids
        FROM unnest(@exchange::text[], @symbol::text[], @window_start::timestamptz[],
                    @open::numeric[], @high::numeric[], @low::numeric[], @close::numeric[],
                    @volume::numeric[], @quote_volume::numeric[], @taker_buy_volume::numeric[], @taker_buy_quote_volume::numeric[],
                    @trade_count::int8[], @first_trade_id::int8[], @last_trade_id::int8[], @is_final::bool[],
                    @first_trade_time::timestamptz[], @last_trade_time::timestamptz[], @price_sum::numeric[], @source::text[])
             WITH ORDINALITY AS c(exchange, symbol, window_start, open, high, low, close,
                                  volume, quote_volume, taker_buy_volume, taker_buy_quote_volume,
                                  trade_count, first_trade_id, last_trade_id, is_final,
                                  first_trade_time, last_trade_time, price_sum, source, w)
        JOIN ids ON ids.w = c.w
        ON CONFLICT (exchange, symbol, window_start) DO UPDATE SET
            open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close,
            volume = excluded.volume, quote_volume = excluded.quote_volume,
            taker_buy_volume = excluded.taker_buy_volume, taker_buy_quote_volume = excluded.taker_buy_quote_volume,
            trade_count = excluded.trade_count, first_trade_id = excluded.first_trade_id, last_trade_id = excluded.last_trade_id,
            is_final = excluded.is_final, updated_at = excluded.updated_at,
            first_trade_time = excluded.first_trade_time, last_trade_time = excluded.last_trade_time,
            price_sum = excluded.price_sum, source = excluded.source, trade_ids = excluded.trade_ids
        """;

    // A replayed or back-filled trade older than the stored one never moves the price back.
    private const string UpsertLastTradesSql = """
        INSERT INTO current_prices AS p (exchange, symbol, last_price, last_qty, last_trade_id, last_trade_time, updated_at, source)
        SELECT exchange, symbol, price, qty, trade_id, trade_time, now(), source
        FROM unnest(@exchange::text[], @symbol::text[], @price::numeric[], @qty::numeric[], @trade_id::int8[], @trade_time::timestamptz[], @source::text[])
            AS t(exchange, symbol, price, qty, trade_id, trade_time, source)
        ON CONFLICT (exchange, symbol) DO UPDATE SET
            last_price = excluded.last_price, last_qty = excluded.last_qty, last_trade_id = excluded.last_trade_id,
            last_trade_time = excluded.last_trade_time, updated_at = excluded.updated_at, source = excluded.source
        WHERE p.last_trade_time IS NULL
           OR (excluded.last_trade_time, excluded.last_trade_id) > (p.last_trade_time, coalesce(p.last_trade_id, -1))
        """;

    private const string UpsertQuotesSql = """
        INSERT INTO current_prices AS p (exchange, symbol, bid_price, bid_qty, ask_price, ask_qty, quote_time, updated_at, source)
        SELECT exchange, symbol, bid_price, bid_qty, ask_price, ask_qty, quote_time, now(), source
        FROM unnest(@exchange::text[], @symbol::text[], @bid_price::numeric[], @bid_qty::numeric[],
                    @ask_price::numeric[], @ask_qty::numeric[], @quote_time::timestamptz[], @source::text[])
            AS q(exchange, symbol, bid_price, bid_qty, ask_price, ask_qty, quote_time, source)
        ON CONFLICT (exchange, symbol) DO UPDATE SET
            bid_price = excluded.bid_price, bid_qty = excluded.bid_qty, ask_price = excluded.ask_price, ask_qty = excluded.ask_qty,
            quote_time = excluded.quote_time, updated_at = excluded.updated_at, source = excluded.source
        WHERE p.quote_time IS NULL OR excluded.quote_time >= p.quote_time
        """;

    // Polled prices have no identity but their time: a minute counts a tick only when it is newer than the
    // minute's last one, so a tick delivered twice (or replayed) counts once.
    private const string UpsertPriceMinutesSql = """
        WITH ticks AS (
            SELECT t.*, date_trunc('minute', t.tick_time, 'UTC') AS window_start
            FROM unnest(@exchange::text[], @symbol::text[], @price::numeric[], @tick_time::timestamptz[], @source::text[])
                WITH ORDINALITY AS t(exchange, symbol, price, tick_time, source, n)
        ),
        fresh AS (
            SELECT t.* FROM ticks t
            LEFT JOIN prices_1min_avg p ON p.exchange = t.exchange AND p.symbol = t.symbol AND p.window_start = t.window_start
            WHERE p.last_tick_time IS NULL OR t.tick_time > p.last_tick_time
        ),
        minutes AS (
            SELECT exchange, symbol, window_start, min(price) AS min_price, max(price) AS max_price,
                   (array_agg(price ORDER BY tick_time DESC, n DESC))[1] AS last_price, max(tick_time) AS last_tick_time,
                   count(*) AS tick_count, sum(price) AS price_sum, (array_agg(source ORDER BY tick_time DESC, n DESC))[1] AS source
            FROM fresh
            GROUP BY exchange, symbol, window_start
        )
        INSERT INTO prices_1min_avg AS p (exchange, symbol, window_start, window_end, min_price, max_price, last_price,
                                          last_tick_time, tick_count, price_sum, updated_at, source)
        SELECT exchange, symbol, window_start, window_start + interval '1 minute', min_price, max_price, last_price,
               last_tick_time, tick_count, price_sum, now(), source
        FROM minutes
        ON CONFLICT (exchange, symbol, window_start) DO UPDATE SET
            min_price = least(p.min_price, excluded.min_price), max_price = greatest(p.max_price, excluded.max_price),
            last_price = excluded.last_price, last_tick_time = excluded.last_tick_time,
            tick_count = p.tick_count + excluded.tick_count, price_sum = p.price_sum + excluded.price_sum,
            updated_at = excluded.updated_at, source = excluded.source
        """;

    private const string FinalizePriceMinutesSql = """
        UPDATE prices_1min_avg p SET is_final = true, updated_at = now()
        FROM unnest(@exchange::text[], @symbol::text[], @until::timestamptz[]) AS f(exchange, symbol, until)
        WHERE p.exchange = f.exchange AND p.symbol = f.symbol AND NOT p.is_final AND p.window_end <= f.until
        """;

    private const string FinishPricePartitionsSql = """
        UPDATE prices_1min_avg p SET is_final = true, updated_at = now()
        FROM consumer_partition_instruments i
        WHERE i.cluster_id = @cluster_id AND i.consumer_group = @consumer_group
          AND i.topic = 'prices' AND i.partition = ANY(@partition::int4[])
          AND p.exchange = i.exchange AND p.symbol = i.symbol AND NOT p.is_final
        """;

    private const string PrepareHistorySql = """
        CREATE TEMP TABLE IF NOT EXISTS processor_trades_staging (LIKE trades INCLUDING DEFAULTS) ON COMMIT DELETE ROWS
        """;

    private const string CopyHistorySql = """
        COPY processor_trades_staging (exchange, symbol, trade_id, price, qty, quote_qty, is_buyer_maker, kind, trade_time, received_at, source)
        FROM STDIN (FORMAT BINARY)
        """;

    private const string InsertHistorySql = """
        INSERT INTO trades (exchange, symbol, trade_id, price, qty, quote_qty, is_buyer_maker, kind, trade_time, received_at, source)
        SELECT exchange, symbol, trade_id, price, qty, quote_qty, is_buyer_maker, kind, trade_time, received_at, source
        FROM processor_trades_staging
        ON CONFLICT DO NOTHING
        """;

    private readonly RawTradeHistoryOptions _history = options.Value.RawTradeHistory;

    // Days whose history partition exists (created by a committed transaction of this sink).
    private readonly HashSet<DateOnly> _historyDays = [];
    private DateTimeOffset _nextRetention = DateTimeOffset.MinValue;

    /// <summary>
    /// What orders an instrument's quotes: a quote replaces the stored one when this is newer or equal. Binance
    /// spot's bookTicker carries no exchange time, so its receive time orders it.
    /// </summary>
    public static DateTimeOffset QuoteTime(Quote quote) => quote.Time ?? quote.ReceivedAt;

    /// <summary>
    /// In one query: the stored states of those of <paramref name="keys"/> that have a row, and every open
    /// (not final) window of <paramref name="instruments"/>.
    /// </summary>
    public Dictionary<WindowKey, CandleState> LoadWindows(IReadOnlyCollection<WindowKey> keys, IReadOnlyCollection<(string Exchange, string Symbol)> instruments)
    {
        var found = new Dictionary<WindowKey, CandleState>(keys.Count);
        if (keys.Count == 0 && instruments.Count == 0)
        {
            return found;
        }

        using var command = dataSource.CreateCommand(LoadWindowsSql);
        command.Parameters.Add(Array("exchange", keys.Select(k => k.Exchange)));
        command.Parameters.Add(Array("symbol", keys.Select(k => k.Symbol)));
        command.Parameters.Add(Array("window_start", keys.Select(k => k.WindowStart)));
        command.Parameters.Add(Array("instrument_exchange", instruments.Select(i => i.Exchange)));
        command.Parameters.Add(Array("instrument_symbol", instruments.Select(i => i.Symbol)));
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var state = ReadCandleState(reader);
            found.TryAdd(state.Key, state);
        }

        return found;
    }

    /// <summary>
    /// What PostgreSQL holds for partitions being taken over, in one round trip: their checkpoints, their
    /// instruments and the open windows of those instruments.
    /// </summary>
    public List<PartitionState> ReadPartitions(string clusterId, string consumerGroup, IReadOnlyCollection<TopicPartition> partitions)
    {
        if (partitions.Count == 0)
        {
            return [];
        }

        using var connection = dataSource.OpenConnection();
        using var batch = new NpgsqlBatch(connection);
        foreach (var sql in new[] { ReadCheckpointsSql, ReadInstrumentsSql })
        {
            var command = new NpgsqlBatchCommand(sql);
            command.Parameters.Add(Array("topic", partitions.Select(p => p.Topic)));
            command.Parameters.Add(Array("partition", partitions.Select(p => p.Partition.Value)));
            AddConsumer(command, clusterId, consumerGroup);
            batch.BatchCommands.Add(command);
        }

        var openWindows = new NpgsqlBatchCommand(ReadOpenWindowsSql);
        openWindows.Parameters.Add(Array("partition", partitions.Where(p => p.Topic == Topics.RawTrades).Select(p => p.Partition.Value)));
        AddConsumer(openWindows, clusterId, consumerGroup);
        batch.BatchCommands.Add(openWindows);

        var checkpoints = new Dictionary<TopicPartition, (long Next, DateTimeOffset? MaxEventTime)>();
        var instruments = partitions.ToDictionary(p => p, _ => new List<(string, string)>());
        var windows = partitions.ToDictionary(p => p, _ => new List<CandleState>());
        using (var reader = batch.ExecuteReader())
        {
            while (reader.Read())
            {
                checkpoints[new TopicPartition(reader.GetString(0), reader.GetInt32(1))] =
                    (reader.GetInt64(2), reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3));
            }

            reader.NextResult();
            while (reader.Read())
            {
                instruments[new TopicPartition(reader.GetString(0), reader.GetInt32(1))].Add((reader.GetString(2), reader.GetString(3)));
            }

            reader.NextResult();
            while (reader.Read())
            {
                windows[new TopicPartition(Topics.RawTrades, reader.GetInt32(0))].Add(ReadCandleState(reader, 1));
            }
        }

        return
        [
            .. partitions.Select(p => checkpoints.TryGetValue(p, out var checkpoint)
                ? new PartitionState(p, checkpoint.Next, checkpoint.MaxEventTime, instruments[p], windows[p])
                : new PartitionState(p, null, null, instruments[p], windows[p])),
        ];
    }

    /// <summary>
    /// Commits the batch in one transaction. False, with nothing written, when a checkpoint was moved by
    /// another consumer since this processor read it: the partition changed hands, and its state must be
    /// read again.
    /// </summary>
    public bool Commit(SinkBatch batch)
    {
        var now = timeProvider.GetUtcNow();
        var historyCutoff = DateOnly.FromDateTime(now.UtcDateTime).AddDays(-_history.RetentionDays);
        var history = _history.Enabled
            ? batch.History.Where(t => DateOnly.FromDateTime(t.TradeTime.UtcDateTime) >= historyCutoff).ToList()
            : [];
        var newDays = history.Select(t => DateOnly.FromDateTime(t.TradeTime.UtcDateTime)).Where(d => !_historyDays.Contains(d)).Distinct().ToList();
        var runRetention = _history.Enabled && now >= _nextRetention;

        using var connection = dataSource.OpenConnection();
        using var transaction = connection.BeginTransaction();
        using var statements = new NpgsqlBatch(connection, transaction);
        statements.BatchCommands.Add(WriteCheckpoints(batch));
        if (batch.NewInstruments.Count > 0)
        {
            var insert = new NpgsqlBatchCommand(InsertInstrumentsSql);
            insert.Parameters.Add(Array("topic", batch.NewInstruments.Select(i => i.Topic)));
            insert.Parameters.Add(Array("partition", batch.NewInstruments.Select(i => i.Partition)));
            insert.Parameters.Add(Array("exchange", batch.NewInstruments.Select(i => i.Exchange)));
            insert.Parameters.Add(Array("symbol", batch.NewInstruments.Select(i => i.Symbol)));
            AddConsumer(insert, batch.ClusterId, batch.ConsumerGroup);
            statements.BatchCommands.Add(insert);
        }

        if (history.Count > 0)
        {
            CopyHistory(connection, transaction, history, newDays);
            statements.BatchCommands.Add(new NpgsqlBatchCommand(InsertHistorySql));
        }

        if (runRetention)
        {
            var retention = new NpgsqlBatchCommand("SELECT drop_trade_partitions_before(@before)");
            retention.Parameters.Add(new NpgsqlParameter<DateOnly>("before", historyCutoff));
            statements.BatchCommands.Add(retention);
        }

        if (batch.Candles.Count > 0)
        {
            statements.BatchCommands.Add(UpsertCandles(batch.Candles));
        }

        if (batch.LastTrades.Count > 0)
        {
            statements.BatchCommands.Add(UpsertLastTrades(batch.LastTrades));
        }

        if (batch.LastQuotes.Count > 0)
        {
            statements.BatchCommands.Add(UpsertQuotes(batch.LastQuotes));
        }

        if (batch.PriceTicks.Count > 0)
        {
            statements.BatchCommands.Add(UpsertPriceMinutes(batch.PriceTicks));
        }

        if (batch.PriceFinalizations.Count > 0)
        {
            statements.BatchCommands.Add(FinalizePriceMinutes(batch.PriceFinalizations));
        }

        if (batch.FinishedPricePartitions.Count > 0)
        {
            var finish = new NpgsqlBatchCommand(FinishPricePartitionsSql);
            finish.Parameters.Add(new NpgsqlParameter<int[]>("partition", [.. batch.FinishedPricePartitions]));
            AddConsumer(finish, batch.ClusterId, batch.ConsumerGroup);
            statements.BatchCommands.Add(finish);
        }

        if (batch.RollupHours.Count > 0)
        {
            var rollupLock = new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock(@key)");
            rollupLock.Parameters.Add(new NpgsqlParameter<long>("key", AdvisoryLocks.HourlyRollup));
            statements.BatchCommands.Add(rollupLock);
            var rollup = new NpgsqlBatchCommand("SELECT rollup_trades_1h(h, h + interval '1 hour') FROM unnest(@hours::timestamptz[]) AS h");
            rollup.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]>("hours", [.. batch.RollupHours]));
            statements.BatchCommands.Add(rollup);
        }

        long checkpointsWritten;
        using (var reader = statements.ExecuteReader())
        {
            reader.Read();
            checkpointsWritten = reader.GetInt64(0);

            // Statements run as their results are read: read them all, so that every error surfaces here.
            while (reader.NextResult())
            {
            }
        }

        if (checkpointsWritten != batch.Checkpoints.Count)
        {
            transaction.Rollback();
            return false;
        }

        transaction.Commit();
        _historyDays.UnionWith(newDays);
        if (runRetention)
        {
            _historyDays.RemoveWhere(d => d < historyCutoff);
            _nextRetention = now + RetentionInterval;
        }

        return true;
    }

    private static void CopyHistory(NpgsqlConnection connection, NpgsqlTransaction transaction, List<Trade> trades, List<DateOnly> newDays)
    {
        using (var prepare = new NpgsqlBatch(connection, transaction))
        {
            prepare.BatchCommands.Add(new NpgsqlBatchCommand(PrepareHistorySql));
            if (newDays.Count > 0)
            {
                // The table has no default partition: a day without one would fail the insert.
                var partitions = new NpgsqlBatchCommand("SELECT ensure_trade_partitions(d, 1) FROM unnest(@days::date[]) AS d");
                partitions.Parameters.Add(new NpgsqlParameter<DateOnly[]>("days", [.. newDays]));
                prepare.BatchCommands.Add(partitions);
            }

            prepare.ExecuteNonQuery();
        }

        using var copy = connection.BeginBinaryImport(CopyHistorySql);
        foreach (var trade in trades)
        {
            copy.StartRow();
            copy.Write(trade.Exchange, NpgsqlDbType.Text);
            copy.Write(trade.Symbol, NpgsqlDbType.Text);
            copy.Write(trade.TradeId, NpgsqlDbType.Bigint);
            copy.Write(trade.Price, NpgsqlDbType.Numeric);
            copy.Write(trade.Quantity, NpgsqlDbType.Numeric);
            copy.Write(trade.QuoteQuantity, NpgsqlDbType.Numeric);
            copy.Write(trade.IsBuyerMaker, NpgsqlDbType.Boolean);
            copy.Write(TradeKinds.ToText(trade.Kind), NpgsqlDbType.Text);
            copy.Write(trade.TradeTime, NpgsqlDbType.TimestampTz);
            copy.Write(trade.ReceivedAt, NpgsqlDbType.TimestampTz);
            copy.Write(DataSourceNames.ToText(trade.Source), NpgsqlDbType.Text);
        }

        copy.Complete();
    }

    private static NpgsqlBatchCommand WriteCheckpoints(SinkBatch batch)
    {
        var checkpoints = batch.Checkpoints;
        var command = new NpgsqlBatchCommand(WriteCheckpointsSql);
        command.Parameters.Add(Array("topic", checkpoints.Select(c => c.Topic)));
        command.Parameters.Add(Array("partition", checkpoints.Select(c => c.Partition)));
        command.Parameters.Add(Array("expected", checkpoints.Select(c => c.ExpectedNextOffset)));
        command.Parameters.Add(Array("next_offset", checkpoints.Select(c => c.NextOffset)));
        command.Parameters.Add(Array("max_event_time", checkpoints.Select(c => c.MaxEventTime)));
        AddConsumer(command, batch.ClusterId, batch.ConsumerGroup);
        return command;
    }

    private static NpgsqlBatchCommand UpsertCandles(IReadOnlyList<CandleState> candles)
    {
        var command = new NpgsqlBatchCommand(UpsertCandlesSql);
        var parameters = command.Parameters;
        parameters.Add(Array("exchange", candles.Select(c => c.Exchange)));
        parameters.Add(Array("symbol", candles.Select(c => c.Symbol)));
        parameters.Add(Array("window_start", candles.Select(c => c.WindowStart)));
        parameters.Add(Array("open", candles.Select(c => c.Open)));
        parameters.Add(Array("high", candles.Select(c => c.High)));
        parameters.Add(Array("low", candles.Select(c => c.Low)));
        parameters.Add(Array("close", candles.Select(c => c.Close)));
        parameters.Add(Array("volume", candles.Select(c => c.Volume)));
        parameters.Add(Array("quote_volume", candles.Select(c => c.QuoteVolume)));
        parameters.Add(Array("taker_buy_volume", candles.Select(c => c.TakerBuyVolume)));
        parameters.Add(Array("taker_buy_quote_volume", candles.Select(c => c.TakerBuyQuoteVolume)));
        parameters.Add(Array("trade_count", candles.Select(c => c.TradeCount)));
        parameters.Add(Array("first_trade_id", candles.Select(c => c.FirstTradeId)));
        parameters.Add(Array("last_trade_id", candles.Select(c => c.LastTradeId)));
        parameters.Add(Array("is_final", candles.Select(c => c.IsFinal)));
        parameters.Add(Array("first_trade_time", candles.Select(c => c.FirstTradeTime)));
        parameters.Add(Array("last_trade_time", candles.Select(c => c.LastTradeTime)));
        parameters.Add(Array("price_sum", candles.Select(c => c.PriceSum)));
        parameters.Add(Array("source", candles.Select(c => DataSourceNames.ToText(c.Source))));

        // The id ranges travel flattened, each tagged with its candle's position (WITH ORDINALITY counts from 1).
        var window = new List<long>(candles.Count);
        var first = new List<long>(candles.Count);
        var last = new List<long>(candles.Count);
        for (var i = 0; i < candles.Count; i++)
        {
            foreach (var (from, to) in candles[i].TradeIds.Ranges)
            {
                window.Add(i + 1);
                first.Add(from);
                last.Add(to);
            }
        }

        parameters.Add(new NpgsqlParameter<long[]>("id_window", [.. window]));
        parameters.Add(new NpgsqlParameter<long[]>("id_first", [.. first]));
        parameters.Add(new NpgsqlParameter<long[]>("id_last", [.. last]));
        return command;
    }

    private static NpgsqlBatchCommand UpsertLastTrades(IReadOnlyList<Trade> trades)
    {
        var command = new NpgsqlBatchCommand(UpsertLastTradesSql);
        var parameters = command.Parameters;
        parameters.Add(Array("exchange", trades.Select(t => t.Exchange)));
        parameters.Add(Array("symbol", trades.Select(t => t.Symbol)));
        parameters.Add(Array("price", trades.Select(t => t.Price)));
        parameters.Add(Array("qty", trades.Select(t => t.Quantity)));
        parameters.Add(Array("trade_id", trades.Select(t => t.TradeId)));
        parameters.Add(Array("trade_time", trades.Select(t => t.TradeTime)));
        parameters.Add(Array("source", trades.Select(t => DataSourceNames.ToText(t.Source))));
        return command;
    }

    private static NpgsqlBatchCommand UpsertQuotes(IReadOnlyList<Quote> quotes)
    {
        var command = new NpgsqlBatchCommand(UpsertQuotesSql);
        var parameters = command.Parameters;
        parameters.Add(Array("exchange", quotes.Select(q => q.Exchange)));
        parameters.Add(Array("symbol", quotes.Select(q => q.Symbol)));
        parameters.Add(Array("bid_price", quotes.Select(q => q.BidPrice)));
        parameters.Add(Array("bid_qty", quotes.Select(q => q.BidQuantity)));
        parameters.Add(Array("ask_price", quotes.Select(q => q.AskPrice)));
        parameters.Add(Array("ask_qty", quotes.Select(q => q.AskQuantity)));
        parameters.Add(Array("quote_time", quotes.Select(QuoteTime)));
        parameters.Add(Array("source", quotes.Select(q => DataSourceNames.ToText(q.Source))));
        return command;
    }

    private static NpgsqlBatchCommand UpsertPriceMinutes(IReadOnlyList<PriceTick> ticks)
    {
        var command = new NpgsqlBatchCommand(UpsertPriceMinutesSql);
        var parameters = command.Parameters;
        parameters.Add(Array("exchange", ticks.Select(t => t.Exchange)));
        parameters.Add(Array("symbol", ticks.Select(t => t.Symbol)));
        parameters.Add(Array("price", ticks.Select(t => t.Price)));
        parameters.Add(Array("tick_time", ticks.Select(t => t.Time)));
        parameters.Add(Array("source", ticks.Select(t => DataSourceNames.ToText(t.Source))));
        return command;
    }

    private static NpgsqlBatchCommand FinalizePriceMinutes(IReadOnlyList<PriceFinalization> finalizations)
    {
        var command = new NpgsqlBatchCommand(FinalizePriceMinutesSql);
        command.Parameters.Add(Array("exchange", finalizations.Select(f => f.Exchange)));
        command.Parameters.Add(Array("symbol", finalizations.Select(f => f.Symbol)));
        command.Parameters.Add(Array("until", finalizations.Select(f => f.Until)));
        return command;
    }

    private static void AddConsumer(NpgsqlBatchCommand command, string clusterId, string consumerGroup)
    {
        command.Parameters.Add(new NpgsqlParameter<string>("cluster_id", clusterId));
        command.Parameters.Add(new NpgsqlParameter<string>("consumer_group", consumerGroup));
    }

    private static CandleState ReadCandleState(NpgsqlDataReader reader, int first = 0)
    {
        var stored = new Candle
        {
            Exchange = reader.GetString(first + 0),
            Symbol = reader.GetString(first + 1),
            WindowStart = reader.GetFieldValue<DateTimeOffset>(first + 2),
            WindowEnd = reader.GetFieldValue<DateTimeOffset>(first + 3),
            Open = reader.GetDecimal(first + 4),
            High = reader.GetDecimal(first + 5),
            Low = reader.GetDecimal(first + 6),
            Close = reader.GetDecimal(first + 7),
            Volume = reader.GetDecimal(first + 8),
            QuoteVolume = reader.GetDecimal(first + 9),
            TakerBuyVolume = reader.GetDecimal(first + 10),
            TakerBuyQuoteVolume = reader.GetDecimal(first + 11),
            TradeCount = reader.GetInt64(first + 12),
            FirstTradeId = reader.GetInt64(first + 13),
            LastTradeId = reader.GetInt64(first + 14),
            IsFinal = reader.GetBoolean(first + 15),
            FirstTradeTime = reader.GetFieldValue<DateTimeOffset>(first + 16),
            LastTradeTime = reader.GetFieldValue<DateTimeOffset>(first + 17),
            Source = DataSourceNames.Parse(reader.GetString(first + 19)),

            // Derived columns: Restore ignores them.
            Vwap = 0,
            AvgPrice = 0,
        };

        // A row written by something else carries no ids: it counted first..last (the CHECK holds the rest).
        List<(long First, long Last)> ranges = reader.IsDBNull(first + 20)
            ? [(stored.FirstTradeId, stored.LastTradeId)]
            : [.. reader.GetFieldValue<NpgsqlRange<long>[]>(first + 20).Select(ToInclusive)];
        return CandleState.Restore(stored, reader.GetDecimal(first + 18), TradeIdSet.FromRanges(ranges));
    }

    // PostgreSQL returns int8 ranges in their canonical [lower, upper) form.
    private static (long First, long Last) ToInclusive(NpgsqlRange<long> range) =>
        (range.LowerBoundIsInclusive ? range.LowerBound : range.LowerBound + 1,
         range.UpperBoundIsInclusive ? range.UpperBound : range.UpperBound - 1);

    private static NpgsqlParameter<T[]> Array<T>(string name, IEnumerable<T> values) => new(name, [.. values]);
}
