-- The wage benchmark tables in force (FW-5, FW-10), seeded once from data/seed/ right after the migrations
-- run (api/wage_tables.c) and edited by admins; every edit bumps wage_version and leaves a wage_history row.
-- Amounts are exact: micros, and the USD rate as the decimal written.
CREATE TABLE wage_benchmarks (
  country TEXT NOT NULL,
  region TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('minimum', 'living')),
  amount_micros I64 NOT NULL CHECK (amount_micros > 0),
  currency TEXT NOT NULL,
  unit TEXT NOT NULL CHECK (unit IN ('hour', 'day', 'week', 'month')),
  ref_date TEXT NOT NULL,
  method TEXT NOT NULL,
  confidence TEXT NOT NULL CHECK (confidence IN ('V', '?')),
  source TEXT NOT NULL,
  position I64 NOT NULL, -- table order: of equal figures the first is chosen
  updated_at I64 NOT NULL,
  PRIMARY KEY (country, region, kind)
);

CREATE TABLE country_basics (
  country TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  currency TEXT NOT NULL,
  usd_per_unit TEXT NOT NULL,
  fx_date TEXT NOT NULL,
  weekly_hours_micros I64 NOT NULL CHECK (weekly_hours_micros > 0),
  hours_source TEXT NOT NULL,
  position I64 NOT NULL,
  updated_at I64 NOT NULL
);

-- One row; version 0 until the seed is copied in. Servers cache the parsed tables per version.
CREATE TABLE wage_version (
  id I64 PRIMARY KEY CHECK (id = 1),
  version I64 NOT NULL,
  updated_at I64 NOT NULL
);
INSERT INTO wage_version (id, version, updated_at) VALUES (1, 0, 0);

-- Public change history (FW-23, FW-26): old_row NULL for a new row; admin_id NULL for the seed.
CREATE TABLE wage_history (
  id PK_ID,
  version I64 NOT NULL,
  table_name TEXT NOT NULL,
  row_key TEXT NOT NULL,
  old_row TEXT,
  new_row TEXT NOT NULL,
  admin_id I64 REFERENCES users(id),
  reason TEXT NOT NULL,
  at I64 NOT NULL
);
