-- Read paths of the api.

-- The live stream (/api/v1/stream) polls for candle rows committed since its last look
-- (updated_at > cursor - lookback). Without this index every poll would scan the whole table.
CREATE INDEX trades_1min_agg_updated_at ON trades_1min_agg (updated_at);
