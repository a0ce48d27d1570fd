-- Operational state: consumer checkpoints, monitor job runs and alerts, ingestion gaps and
-- connection events.

-- Kafka offsets committed in the same transaction as the candle upserts (DESIGN.md §5).
-- Offsets only mean something on the cluster they came from, hence cluster_id in the key.
CREATE TABLE consumer_offsets (
    cluster_id     text        NOT NULL,
    consumer_group text        NOT NULL,
    topic          text        NOT NULL,
    partition      integer     NOT NULL,
    next_offset    bigint      NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cluster_id, consumer_group, topic, partition),
    CONSTRAINT consumer_offsets_partition CHECK (partition >= 0),
    CONSTRAINT consumer_offsets_next_offset CHECK (next_offset >= 0)
);

-- One row per run of a monitor job; a run is 'running' exactly while it has no finish time.
CREATE TABLE job_runs (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_name    text        NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    status      text        NOT NULL DEFAULT 'running',
    message     text,
    metrics     jsonb,
    host        text,
    CONSTRAINT job_runs_status CHECK (status IN ('running', 'succeeded', 'failed', 'skipped')),
    CONSTRAINT job_runs_finished CHECK ((status = 'running') = (finished_at IS NULL)),
    CONSTRAINT job_runs_times CHECK (finished_at IS NULL OR finished_at >= started_at)
);

CREATE INDEX job_runs_job_started ON job_runs (job_name, started_at DESC);

-- Ranges of trade ids that ingestion found missing in a stream, and what became of them.
-- The unique key lets two overlapping connections report the same gap once.
CREATE TABLE ingestion_gaps (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    exchange         text        NOT NULL,
    symbol           text        NOT NULL,
    first_missing_id bigint      NOT NULL,
    last_missing_id  bigint      NOT NULL,
    detected_at      timestamptz NOT NULL DEFAULT now(),
    status           text        NOT NULL DEFAULT 'open',
    filled_at        timestamptz,
    detail           text,
    CONSTRAINT ingestion_gaps_range CHECK (first_missing_id <= last_missing_id),
    CONSTRAINT ingestion_gaps_status CHECK (status IN ('open', 'filled', 'unfillable')),
    CONSTRAINT ingestion_gaps_filled CHECK ((status = 'filled') = (filled_at IS NOT NULL)),
    CONSTRAINT ingestion_gaps_unique UNIQUE (exchange, symbol, first_missing_id, last_missing_id)
);

CREATE INDEX ingestion_gaps_open ON ingestion_gaps (exchange, symbol) WHERE status = 'open';
CREATE INDEX ingestion_gaps_detected ON ingestion_gaps (detected_at);

-- Connection life of the exchange feeds: connects, drops, reconnects, planned rotations.
-- kind is free text on purpose: the feeds own their vocabulary.
CREATE TABLE ingestion_events (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    exchange    text        NOT NULL,
    connection  text,
    kind        text        NOT NULL,
    detail      text
);

CREATE INDEX ingestion_events_exchange_time ON ingestion_events (exchange, occurred_at);

-- Alerts raised by the monitor's rules. At most one open alert per (rule, subject), so raising
-- an alert that is already open is an upsert, not a duplicate.
CREATE TABLE alerts (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rule        text        NOT NULL,
    subject     text        NOT NULL,
    severity    text        NOT NULL,
    state       text        NOT NULL DEFAULT 'open',
    raised_at   timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz,
    detail      jsonb,
    CONSTRAINT alerts_severity CHECK (severity IN ('info', 'warning', 'critical')),
    CONSTRAINT alerts_state CHECK (state IN ('open', 'resolved')),
    CONSTRAINT alerts_resolved CHECK ((state = 'resolved') = (resolved_at IS NOT NULL))
);

CREATE UNIQUE INDEX alerts_one_open ON alerts (rule, subject) WHERE state = 'open';
CREATE INDEX alerts_raised ON alerts (raised_at);
