-- Payouts (FW-9): a worker's payout method and weekly option, withdrawals moving available money to
-- in_transit, batches written as bulk-payment files per rail and currency, and the payment provider's
-- deposit webhook events (each event id recorded once).
CREATE TABLE payout_methods (
  user_id I64 PRIMARY KEY REFERENCES users(id),
  rail TEXT NOT NULL CHECK (rail IN ('bank_transfer', 'mobile_money')),
  holder_name TEXT NOT NULL,
  account TEXT NOT NULL,            -- IBAN or account number; the E.164 phone number for mobile money
  bank_code TEXT NOT NULL DEFAULT '', -- BIC or national bank code; '' for mobile money
  provider TEXT NOT NULL DEFAULT '',  -- mobile-money provider; '' for bank transfers
  weekly I64 NOT NULL DEFAULT 0,      -- 1: all available funds are requested once per ISO week
  updated_at I64 NOT NULL
);

-- created → sent → done (when every payout in it is confirmed or failed).
CREATE TABLE payout_batches (
  id PK_ID,
  rail TEXT NOT NULL,
  currency TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('created', 'sent', 'done')),
  payout_count I64 NOT NULL,
  total_micros I64 NOT NULL,
  file_text TEXT NOT NULL,
  file_sha256 TEXT NOT NULL,
  created_by I64 NOT NULL,
  created_at I64 NOT NULL,
  sent_at I64,
  done_at I64
);

-- requested → in_batch → sent → confirmed | failed (a failure re-credits available in its transaction).
-- The method is copied at request time, so the file pays where the worker said when asking.
CREATE TABLE payouts (
  id PK_ID,
  worker_id I64 NOT NULL REFERENCES users(id),
  idempotency_key TEXT NOT NULL UNIQUE, -- "<worker id>:<client key>" or "<worker id>:weekly:<ISO week>:<currency>"
  origin TEXT NOT NULL CHECK (origin IN ('request', 'weekly')),
  currency TEXT NOT NULL,
  amount_micros I64 NOT NULL CHECK (amount_micros > 0),
  rail TEXT NOT NULL,
  holder_name TEXT NOT NULL,
  account TEXT NOT NULL,
  bank_code TEXT NOT NULL,
  provider TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('requested', 'in_batch', 'sent', 'confirmed', 'failed')),
  batch_id I64 REFERENCES payout_batches(id),
  provider_reference TEXT,
  failure_reason TEXT,
  created_at I64 NOT NULL,
  updated_at I64 NOT NULL,
  settled_at I64
);
CREATE INDEX payouts_worker ON payouts(worker_id, id);
CREATE INDEX payouts_state ON payouts(state, rail, currency, id);
CREATE INDEX payouts_batch ON payouts(batch_id, id);

CREATE TABLE payment_webhook_events (
  id PK_ID,
  event_id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  body TEXT NOT NULL,
  tx_id I64,
  received_at I64 NOT NULL
);
