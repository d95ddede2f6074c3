-- Money (issue "Fair pay"): a double-entry ledger in integer micro-units. An account is (kind, owner,
-- currency); owner 0 holds the platform's accounts (fees, external). A transaction's entries sum to
-- zero; only external may go below zero. Every transaction has an idempotency key and its cause, and
-- is written in the same database transaction as the change that caused it.
CREATE TABLE ledger_accounts (
  id PK_ID,
  kind TEXT NOT NULL CHECK (kind IN ('escrow', 'pending', 'available', 'in_transit', 'fees', 'external')),
  owner_id I64 NOT NULL,
  currency TEXT NOT NULL,
  balance I64 NOT NULL DEFAULT 0,
  UNIQUE (kind, owner_id, currency)
);

-- gross, fee and net: what an earnings line shows the worker (FW-9), when the transaction is one.
CREATE TABLE ledger_tx (
  id PK_ID,
  idempotency_key TEXT NOT NULL UNIQUE,
  cause TEXT NOT NULL,
  cause_id I64 NOT NULL,
  currency TEXT NOT NULL,
  memo TEXT NOT NULL,
  gross I64,
  fee I64,
  net I64,
  created_at I64 NOT NULL
);

CREATE TABLE ledger_entries (
  id PK_ID,
  tx_id I64 NOT NULL REFERENCES ledger_tx(id),
  account_id I64 NOT NULL REFERENCES ledger_accounts(id),
  amount I64 NOT NULL
);
CREATE INDEX ledger_entries_account ON ledger_entries(account_id, id);
CREATE INDEX ledger_entries_tx ON ledger_entries(tx_id);

-- pay_state of an answer: none (gold, qualification, unpaid), pending (reward held for the worker),
-- approved (available to withdraw), rejected (back to escrow).
ALTER TABLE assignments ADD COLUMN pay_state TEXT NOT NULL DEFAULT 'none';
ALTER TABLE assignments ADD COLUMN approved_at I64;
CREATE INDEX assignments_pay_due ON assignments(pay_state, submitted_at);
