-- The control plane's configuration schema: the config version, teams, providers, models,
-- routes, prices and API keys.
--
-- Conventions, for every later migration too:
--   * Timestamps are INTEGER unix microseconds (UTC); NULL means "not set".
--   * Money is INTEGER: prices in micro-USD per 1M tokens, budgets in micro-USD.
--   * Enums are INTEGER holding the proto enum number of gateway.config.v1 (stable by proto
--     rules): tier (Tier), guardrail_level (GuardrailLevel), type (ProviderType), strategy
--     (RoutingStrategy). 0 is the proto's UNSPECIFIED. CHECKs only bound them from below, so a
--     new enum value needs no table rebuild.
--   * Resources are keyed by their case-sensitive name; ordered lists live in child tables with
--     a `position` column and ON DELETE CASCADE.
--   * References between configuration resources are DEFERRABLE INITIALLY DEFERRED: one
--     transaction may write resources in any order, and the commit still refuses a dangling one.
-- The runner wraps this file in a transaction and records it in schema_migrations.

-- One row: the monotonic version every admin write bumps in its own transaction.
-- Version 1 is the empty configuration of a new database.
CREATE TABLE config_version (
  id         INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
  version    INTEGER NOT NULL CHECK (version >= 1),
  updated_at INTEGER NOT NULL
) STRICT;
INSERT INTO config_version (id, version, updated_at) VALUES (1, 1, unixepoch('now') * 1000000);

-- Unset (NULL) limits fall back to the tier preset (rpm, tpm, max_concurrent) or mean "no
-- limit" (max_tokens_per_request, monthly_budget_micro_usd).
CREATE TABLE teams (
  name                     TEXT PRIMARY KEY NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
  tier                     INTEGER NOT NULL DEFAULT 0 CHECK (tier >= 0),
  max_tokens_per_request   INTEGER CHECK (max_tokens_per_request > 0),
  rpm                      INTEGER CHECK (rpm > 0),
  tpm                      INTEGER CHECK (tpm > 0),
  max_concurrent           INTEGER CHECK (max_concurrent > 0),
  monthly_budget_micro_usd INTEGER CHECK (monthly_budget_micro_usd >= 0),
  guardrail_level          INTEGER NOT NULL DEFAULT 0 CHECK (guardrail_level >= 0),
  created_at               INTEGER NOT NULL,
  updated_at               INTEGER NOT NULL
) STRICT;

-- No rows: the team may use every model. Models need not exist (yet), so no reference.
CREATE TABLE team_allowed_models (
  team     TEXT NOT NULL REFERENCES teams (name) ON DELETE CASCADE,
  position INTEGER NOT NULL CHECK (position >= 0),
  model    TEXT NOT NULL,
  PRIMARY KEY (team, position),
  UNIQUE (team, model)
) STRICT, WITHOUT ROWID;

-- credential_ref is a reference (env:NAME, file:PATH) each worker resolves; never a secret.
CREATE TABLE providers (
  name           TEXT PRIMARY KEY NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
  type           INTEGER NOT NULL CHECK (type >= 1),
  base_url       TEXT NOT NULL,
  credential_ref TEXT NOT NULL,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
) STRICT;

-- A public model name; upstream_model '' means the same as name, context_window 0 unknown.
CREATE TABLE models (
  name           TEXT PRIMARY KEY NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
  provider       TEXT NOT NULL
                 REFERENCES providers (name) DEFERRABLE INITIALLY DEFERRED,
  upstream_model TEXT NOT NULL DEFAULT '',
  context_window INTEGER NOT NULL DEFAULT 0 CHECK (context_window >= 0),
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX models_by_provider ON models (provider);

CREATE TABLE model_capabilities (
  model      TEXT NOT NULL REFERENCES models (name) ON DELETE CASCADE,
  position   INTEGER NOT NULL CHECK (position >= 0),
  capability TEXT NOT NULL,
  PRIMARY KEY (model, position)
) STRICT, WITHOUT ROWID;

-- A routing table entry: requests for `task` go to primary_model, then the fallbacks in order.
CREATE TABLE routes (
  task          TEXT PRIMARY KEY NOT NULL CHECK (length(task) BETWEEN 1 AND 64),
  primary_model TEXT NOT NULL REFERENCES models (name) DEFERRABLE INITIALLY DEFERRED,
  strategy      INTEGER NOT NULL DEFAULT 0 CHECK (strategy >= 0),
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX routes_by_primary_model ON routes (primary_model);

CREATE TABLE route_fallbacks (
  route    TEXT NOT NULL REFERENCES routes (task) ON DELETE CASCADE,
  position INTEGER NOT NULL CHECK (position >= 0),
  model    TEXT NOT NULL REFERENCES models (name) DEFERRABLE INITIALLY DEFERRED,
  PRIMARY KEY (route, position),
  UNIQUE (route, model)
) STRICT, WITHOUT ROWID;
CREATE INDEX route_fallbacks_by_model ON route_fallbacks (model);

-- Integer micro-USD per 1M tokens (= pico-USD per token), per public model name.
CREATE TABLE prices (
  model                           TEXT PRIMARY KEY NOT NULL
                                  REFERENCES models (name) ON DELETE CASCADE,
  input_micro_usd_per_mtok        INTEGER NOT NULL CHECK (input_micro_usd_per_mtok >= 0),
  cached_input_micro_usd_per_mtok INTEGER NOT NULL CHECK (cached_input_micro_usd_per_mtok >= 0),
  output_micro_usd_per_mtok       INTEGER NOT NULL CHECK (output_micro_usd_per_mtok >= 0),
  created_at                      INTEGER NOT NULL,
  updated_at                      INTEGER NOT NULL
) STRICT;

-- Gateway keys. Only the SHA-256 digest of the key and its first characters (prefix, for people
-- to recognise it) are stored; the plaintext is shown once, at creation.
-- A key is valid while revoked_at IS NULL and (expires_at IS NULL OR expires_at > now).
-- rotated_from names the key this one replaced (its expires_at carries the grace period).
CREATE TABLE api_keys (
  id           TEXT PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 1 AND 64),
  team         TEXT NOT NULL REFERENCES teams (name) ON DELETE CASCADE,
  name         TEXT NOT NULL DEFAULT '',
  prefix       TEXT NOT NULL CHECK (length(prefix) BETWEEN 1 AND 32),
  sha256       BLOB NOT NULL UNIQUE CHECK (length(sha256) = 32),
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER,
  revoked_at   INTEGER,
  rotated_from TEXT REFERENCES api_keys (id) ON DELETE SET NULL
) STRICT;
-- Listing a team's keys, and the cascade when a team is deleted.
CREATE INDEX api_keys_by_team ON api_keys (team, created_at);
-- The ON DELETE SET NULL above would otherwise scan every key per deleted key.
CREATE INDEX api_keys_by_rotated_from ON api_keys (rotated_from);

-- No rows: the key may use every model its team may use.
CREATE TABLE api_key_allowed_models (
  key_id   TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
  position INTEGER NOT NULL CHECK (position >= 0),
  model    TEXT NOT NULL,
  PRIMARY KEY (key_id, position),
  UNIQUE (key_id, model)
) STRICT, WITHOUT ROWID;

-- Usage records and rollups arrive in a later migration.
