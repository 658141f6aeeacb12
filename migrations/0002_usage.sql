-- Usage accounting: one row per finished request as workers report it, and hourly rollups that
-- every spend report and the budget state read instead of the raw records.
--
-- Same conventions as 0001 (timestamps INTEGER unix microseconds UTC, money INTEGER, STRICT).
-- No references to teams or api_keys: records and rollups outlive the teams and keys they name,
-- and a report on last month must still show a team deleted since.

-- record_id is the worker's idempotency key: ingestion is INSERT OR IGNORE on it, so a replayed
-- batch adds nothing. request_id (the client's x-request-id) may repeat and is never a key.
-- A rowid table rather than WITHOUT ROWID: rows append in arrival order and only the small
-- record_id index takes random inserts.
CREATE TABLE usage_records (
  record_id           TEXT NOT NULL PRIMARY KEY CHECK (length(record_id) BETWEEN 1 AND 128),
  request_id          TEXT NOT NULL DEFAULT '',
  ts                  INTEGER NOT NULL,
  worker_id           TEXT NOT NULL DEFAULT '',
  team                TEXT NOT NULL DEFAULT '',
  key_id              TEXT NOT NULL DEFAULT '',
  model               TEXT NOT NULL DEFAULT '',
  provider            TEXT NOT NULL DEFAULT '',
  upstream_model      TEXT NOT NULL DEFAULT '',
  input_tokens        INTEGER NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
  cached_input_tokens INTEGER NOT NULL DEFAULT 0 CHECK (cached_input_tokens >= 0),
  output_tokens       INTEGER NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
  latency_us          INTEGER NOT NULL DEFAULT 0 CHECK (latency_us >= 0),
  ttfb_us             INTEGER NOT NULL DEFAULT 0 CHECK (ttfb_us >= 0),
  status_code         INTEGER NOT NULL DEFAULT 0,
  error_code          TEXT NOT NULL DEFAULT '',
  -- Integer pico-USD, exact.
  cost_pico_usd       INTEGER NOT NULL DEFAULT 0 CHECK (cost_pico_usd >= 0),
  estimated           INTEGER NOT NULL DEFAULT 0 CHECK (estimated IN (0, 1)),
  streamed            INTEGER NOT NULL DEFAULT 0 CHECK (streamed IN (0, 1))
) STRICT;
-- `gwctl usage`: the latest N records, and the latest N of one team.
CREATE INDEX usage_records_by_ts ON usage_records (ts);
CREATE INDEX usage_records_by_team_ts ON usage_records (team, ts);

-- Sums of the records per team, key, model and UTC hour (hour_start: unix microseconds of the
-- hour's first instant). Maintained in the transaction that stores the records, counting only
-- records newly stored. requests counts every record, refusals included; failed_requests those
-- with status_code >= 400. Sums of a day, a month or a range add these rows up.
CREATE TABLE usage_rollups_hourly (
  team                TEXT NOT NULL,
  key_id              TEXT NOT NULL,
  model               TEXT NOT NULL,
  hour_start          INTEGER NOT NULL,
  requests            INTEGER NOT NULL CHECK (requests >= 0),
  failed_requests     INTEGER NOT NULL CHECK (failed_requests >= 0),
  input_tokens        INTEGER NOT NULL CHECK (input_tokens >= 0),
  cached_input_tokens INTEGER NOT NULL CHECK (cached_input_tokens >= 0),
  output_tokens       INTEGER NOT NULL CHECK (output_tokens >= 0),
  cost_pico_usd       INTEGER NOT NULL CHECK (cost_pico_usd >= 0),
  PRIMARY KEY (team, key_id, model, hour_start)
) STRICT, WITHOUT ROWID;
-- Spend of every team over a date range (the primary key serves one team's).
CREATE INDEX usage_rollups_by_hour ON usage_rollups_hourly (hour_start);
