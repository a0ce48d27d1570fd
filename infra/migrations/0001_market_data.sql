-- Market data written by the processor and read by the api (DESIGN.md §4).
-- Every timestamp is timestamptz; every window boundary is checked against UTC so that the
-- constraints do not depend on the session's TimeZone.

-- One row per (exchange, symbol, minute). The contract columns come first, exactly as
-- DESIGN.md §4 names them. The row is also the processor's mergeable window state (§5): a
-- restarted processor folds new trades into it, which is why the first/last trade times and
-- the price sum are stored, and why vwap and avg_price are derived from the sums instead of
-- being written (they cannot drift from the state they summarise).
CREATE TABLE trades_1min_agg (
    exchange               text        NOT NULL,
    symbol                 text        NOT NULL,
    window_start           timestamptz NOT NULL,
    window_end             timestamptz NOT NULL,
    open                   numeric     NOT NULL,
    high                   numeric     NOT NULL,
    low                    numeric     NOT NULL,
    close                  numeric     NOT NULL,
    volume                 numeric     NOT NULL,
    quote_volume           numeric     NOT NULL,
    taker_buy_volume       numeric     NOT NULL,
    taker_buy_quote_volume numeric     NOT NULL,
    -- NULL only for a window whose trades all have zero quantity. The NULLIFs let a row with no
    -- trades fail its CHECK instead of dividing by zero.
    vwap                   numeric     GENERATED ALWAYS AS (quote_volume / NULLIF(volume, 0)) STORED,
    avg_price              numeric     GENERATED ALWAYS AS (price_sum / NULLIF(trade_count, 0)) STORED,
    trade_count            bigint      NOT NULL,
    first_trade_id         bigint      NOT NULL,
    last_trade_id          bigint      NOT NULL,
    is_final               boolean     NOT NULL DEFAULT false,
    updated_at             timestamptz NOT NULL DEFAULT now(),
    -- Mergeable state: times of the trades that set open and close, and sum(price).
    first_trade_time       timestamptz NOT NULL,
    last_trade_time        timestamptz NOT NULL,
    price_sum              numeric     NOT NULL,
    -- Whatever is not live exchange data says so (DESIGN.md §6).
    source                 text        NOT NULL DEFAULT 'live',
    PRIMARY KEY (exchange, symbol, window_start),
    CONSTRAINT trades_1min_agg_window_aligned CHECK (window_start = date_trunc('minute', window_start, 'UTC')),
    CONSTRAINT trades_1min_agg_window_length CHECK (window_end = window_start + interval '1 minute'),
    -- These two also imply high >= low.
    CONSTRAINT trades_1min_agg_open_in_range CHECK (open BETWEEN low AND high),
    CONSTRAINT trades_1min_agg_close_in_range CHECK (close BETWEEN low AND high),
    CONSTRAINT trades_1min_agg_volumes CHECK (volume >= 0 AND taker_buy_volume BETWEEN 0 AND volume
                                              AND quote_volume >= 0 AND taker_buy_quote_volume BETWEEN 0 AND quote_volume),
    CONSTRAINT trades_1min_agg_trade_count CHECK (trade_count > 0),
    CONSTRAINT trades_1min_agg_trade_ids CHECK (first_trade_id <= last_trade_id),
    CONSTRAINT trades_1min_agg_trade_times CHECK (first_trade_time >= window_start AND first_trade_time < window_end
                                                  AND last_trade_time >= window_start AND last_trade_time < window_end),
    CONSTRAINT trades_1min_agg_source CHECK (source IN ('live', 'replay', 'simulated', 'backfill'))
);

-- The primary key serves one exchange's range and latest queries; these serve the same per
-- symbol across exchanges, and "latest minutes of everything" (dashboard, freshness checks).
CREATE INDEX trades_1min_agg_symbol_time ON trades_1min_agg (symbol, window_start);
CREATE INDEX trades_1min_agg_time ON trades_1min_agg (window_start);

-- Hourly candles, rolled up from the minutes by rollup_trades_1h (same columns and meaning).
CREATE TABLE trades_1h_agg (
    exchange               text        NOT NULL,
    symbol                 text        NOT NULL,
    window_start           timestamptz NOT NULL,
    window_end             timestamptz NOT NULL,
    open                   numeric     NOT NULL,
    high                   numeric     NOT NULL,
    low                    numeric     NOT NULL,
    close                  numeric     NOT NULL,
    volume                 numeric     NOT NULL,
    quote_volume           numeric     NOT NULL,
    taker_buy_volume       numeric     NOT NULL,
    taker_buy_quote_volume numeric     NOT NULL,
    vwap                   numeric     GENERATED ALWAYS AS (quote_volume / NULLIF(volume, 0)) STORED,
    avg_price              numeric     GENERATED ALWAYS AS (price_sum / NULLIF(trade_count, 0)) STORED,
    trade_count            bigint      NOT NULL,
    first_trade_id         bigint      NOT NULL,
    last_trade_id          bigint      NOT NULL,
    is_final               boolean     NOT NULL DEFAULT false,
    updated_at             timestamptz NOT NULL DEFAULT now(),
    first_trade_time       timestamptz NOT NULL,
    last_trade_time        timestamptz NOT NULL,
    price_sum              numeric     NOT NULL,
    source                 text        NOT NULL DEFAULT 'live',
    PRIMARY KEY (exchange, symbol, window_start),
    CONSTRAINT trades_1h_agg_window_aligned CHECK (window_start = date_trunc('hour', window_start, 'UTC')),
    CONSTRAINT trades_1h_agg_window_length CHECK (window_end = window_start + interval '1 hour'),
    CONSTRAINT trades_1h_agg_open_in_range CHECK (open BETWEEN low AND high),
    CONSTRAINT trades_1h_agg_close_in_range CHECK (close BETWEEN low AND high),
    CONSTRAINT trades_1h_agg_trade_count CHECK (trade_count > 0),
    CONSTRAINT trades_1h_agg_source CHECK (source IN ('live', 'replay', 'simulated', 'backfill'))
);

CREATE INDEX trades_1h_agg_symbol_time ON trades_1h_agg (symbol, window_start);

-- Rebuilds the hours that overlap [p_from, p_to) from the minute rows and returns how many
-- hour rows it wrote. Re-running it is harmless, so a late firing of a minute is picked up by
-- the next run. An hour is final once it has ended and all of its minutes are final.
CREATE FUNCTION rollup_trades_1h(p_from timestamptz, p_to timestamptz) RETURNS integer
LANGUAGE sql AS $$
    WITH minutes AS (
        SELECT m.*, date_trunc('hour', m.window_start, 'UTC') AS hour_start
        FROM trades_1min_agg m
        WHERE m.window_start >= date_trunc('hour', p_from, 'UTC')
          AND m.window_start < date_trunc('hour', p_to - interval '1 microsecond', 'UTC') + interval '1 hour'
    ),
    hours AS (
        SELECT exchange, symbol, hour_start,
               (array_agg(open ORDER BY window_start))[1]              AS open,
               max(high)                                               AS high,
               min(low)                                                AS low,
               (array_agg(close ORDER BY window_start DESC))[1]        AS close,
               sum(volume)                                             AS volume,
               sum(quote_volume)                                       AS quote_volume,
               sum(taker_buy_volume)                                   AS taker_buy_volume,
               sum(taker_buy_quote_volume)                             AS taker_buy_quote_volume,
               sum(trade_count)                                        AS trade_count,
               (array_agg(first_trade_id ORDER BY window_start))[1]    AS first_trade_id,
               (array_agg(last_trade_id ORDER BY window_start DESC))[1] AS last_trade_id,
               bool_and(is_final) AND hour_start + interval '1 hour' <= now() AS is_final,
               (array_agg(first_trade_time ORDER BY window_start))[1]  AS first_trade_time,
               (array_agg(last_trade_time ORDER BY window_start DESC))[1] AS last_trade_time,
               sum(price_sum)                                          AS price_sum,
               -- An hour that mixes sources carries the least live one.
               CASE WHEN bool_or(source = 'simulated') THEN 'simulated'
                    WHEN bool_or(source = 'replay') THEN 'replay'
                    WHEN bool_or(source = 'backfill') THEN 'backfill'
                    ELSE 'live' END                                    AS source
        FROM minutes
        GROUP BY exchange, symbol, hour_start
    ),
    written AS (
        INSERT INTO trades_1h_agg AS h (
            exchange, symbol, window_start, window_end, open, high, low, close,
            volume, quote_volume, taker_buy_volume, taker_buy_quote_volume,
            trade_count, first_trade_id, last_trade_id, is_final, updated_at,
            first_trade_time, last_trade_time, price_sum, source)
        SELECT exchange, symbol, hour_start, hour_start + interval '1 hour', open, high, low, close,
               volume, quote_volume, taker_buy_volume, taker_buy_quote_volume,
               trade_count, first_trade_id, last_trade_id, is_final, now(),
               first_trade_time, last_trade_time, price_sum, source
        FROM hours
        ON CONFLICT (exchange, symbol, window_start) DO UPDATE SET
            open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close,
            volume = excluded.volume, quote_volume = excluded.quote_volume,
            taker_buy_volume = excluded.taker_buy_volume, taker_buy_quote_volume = excluded.taker_buy_quote_volume,
            trade_count = excluded.trade_count, first_trade_id = excluded.first_trade_id,
            last_trade_id = excluded.last_trade_id, is_final = excluded.is_final, updated_at = excluded.updated_at,
            first_trade_time = excluded.first_trade_time, last_trade_time = excluded.last_trade_time,
            price_sum = excluded.price_sum, source = excluded.source
        RETURNING 1
    )
    SELECT count(*)::integer FROM written;
$$;

-- Latest trade and best bid/ask per instrument. Polled sources (CoinGecko, REST tickers) fill
-- last_price and last_trade_time with the tick's price and time and leave the trade columns NULL.
CREATE TABLE current_prices (
    exchange        text        NOT NULL,
    symbol          text        NOT NULL,
    last_price      numeric,
    last_qty        numeric,
    last_trade_id   bigint,
    last_trade_time timestamptz,
    bid_price       numeric,
    bid_qty         numeric,
    ask_price       numeric,
    ask_qty         numeric,
    spread          numeric     GENERATED ALWAYS AS (ask_price - bid_price) STORED,
    quote_time      timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    source          text        NOT NULL DEFAULT 'live',
    PRIMARY KEY (exchange, symbol),
    CONSTRAINT current_prices_source CHECK (source IN ('live', 'replay', 'simulated', 'backfill'))
);

-- Per-minute average of polled prices, for sources without trades (what the original systems
-- stored). Mergeable like the candles: avg_price derives from price_sum and tick_count, and
-- last_price belongs to last_tick_time so a later tick can replace it.
CREATE TABLE prices_1min_avg (
    exchange       text        NOT NULL,
    symbol         text        NOT NULL,
    window_start   timestamptz NOT NULL,
    window_end     timestamptz NOT NULL,
    avg_price      numeric     GENERATED ALWAYS AS (price_sum / NULLIF(tick_count, 0)) STORED,
    min_price      numeric     NOT NULL,
    max_price      numeric     NOT NULL,
    last_price     numeric     NOT NULL,
    last_tick_time timestamptz NOT NULL,
    tick_count     bigint      NOT NULL,
    price_sum      numeric     NOT NULL,
    is_final       boolean     NOT NULL DEFAULT false,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    source         text        NOT NULL DEFAULT 'live',
    PRIMARY KEY (exchange, symbol, window_start),
    CONSTRAINT prices_1min_avg_window_aligned CHECK (window_start = date_trunc('minute', window_start, 'UTC')),
    CONSTRAINT prices_1min_avg_window_length CHECK (window_end = window_start + interval '1 minute'),
    CONSTRAINT prices_1min_avg_min_max CHECK (min_price <= max_price AND last_price BETWEEN min_price AND max_price),
    CONSTRAINT prices_1min_avg_tick_count CHECK (tick_count > 0),
    CONSTRAINT prices_1min_avg_last_tick_time CHECK (last_tick_time >= window_start AND last_tick_time < window_end),
    CONSTRAINT prices_1min_avg_source CHECK (source IN ('live', 'replay', 'simulated', 'backfill'))
);

CREATE INDEX prices_1min_avg_symbol_time ON prices_1min_avg (symbol, window_start);

-- Seed-compatible view: the per-minute average price and its moving averages over the last
-- 5, 15 and 60 minutes. Only finished minutes count, so the numbers do not move under a reader.
-- The frames are time ranges, not row counts: a minute without trades has no row and must not
-- stretch the window further back.
CREATE VIEW moving_averages AS
SELECT exchange,
       symbol,
       window_start AS start_time,
       avg_price,
       avg(avg_price) OVER (PARTITION BY exchange, symbol ORDER BY window_start
                            RANGE BETWEEN interval '4 minutes' PRECEDING AND CURRENT ROW) AS ma_5,
       avg(avg_price) OVER (PARTITION BY exchange, symbol ORDER BY window_start
                            RANGE BETWEEN interval '14 minutes' PRECEDING AND CURRENT ROW) AS ma_15,
       avg(avg_price) OVER (PARTITION BY exchange, symbol ORDER BY window_start
                            RANGE BETWEEN interval '59 minutes' PRECEDING AND CURRENT ROW) AS ma_60,
       source
FROM trades_1min_agg
WHERE is_final;
