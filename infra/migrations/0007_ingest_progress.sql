-- Where each live Binance symbol stood when Ingest last ran: the last trade id Kafka acknowledged.
-- A restarted feed continues after it, so the trades that happened while Ingest was not running show up
-- as a gap that the REST back-fill recovers instead of going missing. Ingest saves the positions that
-- moved about once a second, in one statement, and once more when it stops; a position only moves
-- forward, so replicas and late writes cannot set it back.
CREATE TABLE ingest_progress (
    exchange        text        NOT NULL,
    symbol          text        NOT NULL,
    last_trade_id   bigint      NOT NULL,
    last_trade_time timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (exchange, symbol),
    CONSTRAINT ingest_progress_trade_id CHECK (last_trade_id >= 0)
);
