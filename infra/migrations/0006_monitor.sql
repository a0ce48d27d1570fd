-- The monitor's own state (issue 5): the latest pipeline check, the alert rules' hysteresis,
-- what reconciliation found, and the requests to Ingest to repair gaps that stay open.

-- The latest pipeline check, whichever replica ran it, so /health and the status API of every
-- replica agree. One row.
CREATE TABLE monitor_pipeline_status (
    singleton  boolean     PRIMARY KEY DEFAULT true,
    checked_at timestamptz NOT NULL,
    run_id     bigint      REFERENCES job_runs (id) ON DELETE SET NULL,
    status     text        NOT NULL,
    summary    text        NOT NULL,
    report     jsonb       NOT NULL,
    CONSTRAINT monitor_pipeline_status_singleton CHECK (singleton),
    CONSTRAINT monitor_pipeline_status_status CHECK (status IN ('healthy', 'degraded', 'unhealthy'))
);

-- Consecutive bad and good observations per (rule, subject): an alert is raised after N bad checks
-- in a row and resolved after M good ones. Kept here, not in memory, so that replicas taking turns
-- and restarts count together. A row disappears once its subject is good and has no open alert.
CREATE TABLE alert_conditions (
    rule        text        NOT NULL,
    subject     text        NOT NULL,
    bad_streak  integer     NOT NULL,
    good_streak integer     NOT NULL,
    observed_at timestamptz NOT NULL,
    PRIMARY KEY (rule, subject),
    CONSTRAINT alert_conditions_streaks CHECK (bad_streak >= 0 AND good_streak >= 0 AND (bad_streak = 0 OR good_streak = 0))
);

-- Every difference reconciliation found between a finished candle and the exchange's official
-- 1-minute kline: a field that differs ('field', with both values as text, exactly as stored and
-- as the exchange sent it), a kline we have no candle for ('missing'), a candle the exchange has
-- no kline for ('unexpected').
CREATE TABLE reconciliation_mismatches (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id         bigint      NOT NULL REFERENCES job_runs (id) ON DELETE CASCADE,
    exchange       text        NOT NULL,
    symbol         text        NOT NULL,
    window_start   timestamptz NOT NULL,
    kind           text        NOT NULL,
    field          text,
    ours           text,
    exchange_value text,
    CONSTRAINT reconciliation_mismatches_kind CHECK (kind IN ('field', 'missing', 'unexpected')),
    CONSTRAINT reconciliation_mismatches_field CHECK ((kind = 'field') = (field IS NOT NULL))
);

CREATE INDEX reconciliation_mismatches_run ON reconciliation_mismatches (run_id, id);
CREATE INDEX reconciliation_mismatches_candle ON reconciliation_mismatches (exchange, symbol, window_start);

-- The monitor's requests to Ingest to back-fill a gap that is still open some time after it was
-- detected (contract: Ingest reads the open gaps joined here, re-requests their trades over REST
-- and marks each gap filled or unfillable in ingestion_gaps as it does for gaps it repairs itself;
-- each request round is also announced with NOTIFY ingestion_gap_repair).
CREATE TABLE ingestion_gap_repairs (
    gap_id             bigint      PRIMARY KEY REFERENCES ingestion_gaps (id) ON DELETE CASCADE,
    first_requested_at timestamptz NOT NULL,
    last_requested_at  timestamptz NOT NULL,
    requests           integer     NOT NULL,
    CONSTRAINT ingestion_gap_repairs_requests CHECK (requests >= 1),
    CONSTRAINT ingestion_gap_repairs_times CHECK (last_requested_at >= first_requested_at)
);
