-- State the processor keeps for its exactly-once effect (DESIGN.md §5).

-- Every trade counts once by its identity (exchange, symbol, trade id), however often Kafka delivers
-- it: a minute's row carries the ids it has counted, as ranges (exchange ids are mostly contiguous, so
-- usually a single range), and a processor continuing the window reloads them with the row. NULL means
-- the row was not written by the processor; it then counts as the contiguous ids first..last.
ALTER TABLE trades_1min_agg ADD COLUMN trade_ids int8multirange;

-- How many ids a set of ranges holds (int8range is canonical: [lower, upper)).
CREATE FUNCTION trade_id_count(p_ids int8multirange) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(sum(upper(r) - lower(r)), 0)::bigint FROM unnest(p_ids) AS r
$$;

-- The ids agree with the counters they explain, so a row can always be restored.
ALTER TABLE trades_1min_agg ADD CONSTRAINT trades_1min_agg_trade_ids_match CHECK (
    trade_ids IS NULL
    OR (NOT lower_inf(trade_ids) AND NOT upper_inf(trade_ids)
        AND lower(trade_ids) = first_trade_id
        AND upper(trade_ids) = last_trade_id + 1
        AND trade_id_count(trade_ids) = trade_count));

-- A partition's event time (the latest trade time seen) is committed with its offset, so after a
-- restart a trade is late, or too late, exactly as it would have been in an uninterrupted run.
ALTER TABLE consumer_offsets ADD COLUMN max_event_time timestamptz;

-- The instruments each partition has carried, per Kafka cluster and consumer group. A processor that
-- takes a partition over (after a restart, a crash or a rebalance) reloads the open windows of exactly
-- these instruments, so that the watermark and the end of input finalize them as they would have in an
-- uninterrupted run, even when no further trade of that instrument arrives.
CREATE TABLE consumer_partition_instruments (
    cluster_id     text    NOT NULL,
    consumer_group text    NOT NULL,
    topic          text    NOT NULL,
    partition      integer NOT NULL,
    exchange       text    NOT NULL,
    symbol         text    NOT NULL,
    PRIMARY KEY (cluster_id, consumer_group, topic, partition, exchange, symbol),
    CONSTRAINT consumer_partition_instruments_partition CHECK (partition >= 0)
);

-- Open windows are few; this finds them without scanning an instrument's whole history.
CREATE INDEX trades_1min_agg_open ON trades_1min_agg (exchange, symbol) WHERE NOT is_final;
CREATE INDEX prices_1min_avg_open ON prices_1min_avg (exchange, symbol) WHERE NOT is_final;
