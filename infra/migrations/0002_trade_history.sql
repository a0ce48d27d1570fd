-- Optional raw trade history, one partition per UTC day so that retention is a cheap
-- DROP TABLE instead of a large DELETE. There is deliberately no default partition: a row for a
-- day without a partition fails loudly, and a writer calls ensure_trade_partitions for the days
-- it writes (a default partition would hold such rows and then block creating their day).
CREATE TABLE trades (
    exchange       text        NOT NULL,
    symbol         text        NOT NULL,
    trade_id       bigint      NOT NULL,
    price          numeric     NOT NULL,
    qty            numeric     NOT NULL,
    quote_qty      numeric     NOT NULL,
    is_buyer_maker boolean     NOT NULL,
    -- Binance futures' X field as the contracts spell it (TradeKinds); only MARKET trades count
    -- in the exchange's klines (data/README.md).
    kind           text        NOT NULL DEFAULT 'MARKET',
    trade_time     timestamptz NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now(),
    source         text        NOT NULL DEFAULT 'live',
    -- The key has to contain the partition column; it makes history writes idempotent.
    PRIMARY KEY (exchange, symbol, trade_id, trade_time),
    CONSTRAINT trades_price CHECK (price > 0),
    CONSTRAINT trades_qty CHECK (qty >= 0),
    CONSTRAINT trades_kind CHECK (kind IN ('MARKET', 'INSURANCE_FUND', 'ADL', 'NA')),
    CONSTRAINT trades_source CHECK (source IN ('live', 'replay', 'simulated', 'backfill'))
) PARTITION BY RANGE (trade_time);

CREATE INDEX trades_symbol_time ON trades (symbol, trade_time);

-- Creates the partitions for p_days UTC days starting at p_from (those that do not exist yet)
-- and returns how many it created. Safe to call from several processes at once.
CREATE FUNCTION ensure_trade_partitions(p_from date, p_days integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    day date;
    created integer := 0;
BEGIN
    IF p_days IS NULL OR p_days < 1 OR p_days > 3660 THEN
        RAISE EXCEPTION 'ensure_trade_partitions: p_days must be between 1 and 3660, got %', p_days;
    END IF;
    -- Two callers creating the same partition would otherwise race on the catalog.
    PERFORM pg_advisory_xact_lock(hashtext('ensure_trade_partitions'));
    FOR i IN 0 .. p_days - 1 LOOP
        day := p_from + i;
        IF to_regclass(format('trades_p%s', to_char(day, 'YYYYMMDD'))) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF trades FOR VALUES FROM (%L) TO (%L)',
                format('trades_p%s', to_char(day, 'YYYYMMDD')),
                to_char(day, 'YYYY-MM-DD') || ' 00:00:00+00',
                to_char(day + 1, 'YYYY-MM-DD') || ' 00:00:00+00');
            created := created + 1;
        END IF;
    END LOOP;
    RETURN created;
END;
$$;

-- Drops the day partitions that lie entirely before p_before (retention) and returns how many
-- it dropped.
CREATE FUNCTION drop_trade_partitions_before(p_before date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    partition_name text;
    dropped integer := 0;
BEGIN
    IF p_before IS NULL THEN
        RAISE EXCEPTION 'drop_trade_partitions_before: p_before must not be NULL';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('ensure_trade_partitions'));
    FOR partition_name IN
        SELECT c.relname
        FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'trades'::regclass
          AND c.relname ~ '^trades_p[0-9]{8}$'
          AND to_date(substring(c.relname FROM 9), 'YYYYMMDD') < p_before
        ORDER BY c.relname
    LOOP
        EXECUTE format('DROP TABLE %I', partition_name);
        dropped := dropped + 1;
    END LOOP;
    RETURN dropped;
END;
$$;
