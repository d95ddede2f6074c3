-- Per-account risk score (FW-25): the signals recorded at sign-in and the last evaluation of each worker.
-- Device and address are stored only as keyed hashes; the raw values never reach the database.

-- One row per successful sign-in. country comes from the trusted proxy header named by
-- FAIRLABEL_COUNTRY_HEADER (NULL when unset); device_hash from the client's X-Device-Id (NULL when absent).
CREATE TABLE risk_logins (
  id PK_ID,
  user_id I64 NOT NULL REFERENCES users(id),
  at I64 NOT NULL,
  country TEXT,
  ip_hash TEXT NOT NULL,
  device_hash TEXT
);
CREATE INDEX risk_logins_user ON risk_logins(user_id, at);
CREATE INDEX risk_logins_device ON risk_logins(device_hash, user_id);
CREATE INDEX risk_logins_ip ON risk_logins(ip_hash, user_id);

-- The last evaluation per worker: score, the rules that fired, the action the table gives, the signals read.
-- effect_event_id is the quality event the action opened (a proposal or a lowered tier), if any.
CREATE TABLE risk_scores (
  user_id I64 PRIMARY KEY REFERENCES users(id),
  score I64 NOT NULL,
  fired TEXT NOT NULL,
  action TEXT NOT NULL,
  signals_json TEXT NOT NULL,
  evaluated_at I64 NOT NULL,
  effect_event_id I64 REFERENCES quality_events(id)
);
