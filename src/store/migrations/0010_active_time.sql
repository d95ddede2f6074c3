-- Active time (FW-6, FW-7), top-ups to the floor at the measured time (FW-6), paid qualification (FW-8)
-- and the notifications inbox.

-- A user's inbox: read_at stays NULL until the user marks it read.
CREATE TABLE notifications (
  id PK_ID,
  user_id I64 NOT NULL REFERENCES users(id),
  kind TEXT NOT NULL,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  link TEXT,
  created_at I64 NOT NULL,
  read_at I64
);
CREATE INDEX notifications_user ON notifications(user_id, id);

-- active_ms: NULL while leased, set at submit (see docs/pay.md). active_acc_ms and last_beat_at are the
-- running heartbeat account of a live lease (last_beat_at NULL: no beat yet).
ALTER TABLE assignments ADD COLUMN active_ms I64;
ALTER TABLE assignments ADD COLUMN active_acc_ms I64 NOT NULL DEFAULT 0;
ALTER TABLE assignments ADD COLUMN last_beat_at I64;

-- The median active time of a project's submitted normal answers, refreshed by a periodic job when
-- `answers` moved past `median_answers` (so listing projects never scans answers).
CREATE TABLE project_active_time (
  project_id I64 PRIMARY KEY REFERENCES projects(id),
  answers I64 NOT NULL DEFAULT 0,
  median_answers I64 NOT NULL DEFAULT 0,
  median_active_ms I64,
  updated_at I64 NOT NULL
);

-- One top-up run per project and ISO week: the unique key keeps servers and retries from paying twice.
CREATE TABLE topup_runs (
  id PK_ID,
  project_id I64 NOT NULL REFERENCES projects(id),
  period TEXT NOT NULL,
  median_active_ms I64 NOT NULL,
  answers I64 NOT NULL,
  floor_info TEXT NOT NULL,
  total_micros I64 NOT NULL DEFAULT 0,
  owed_micros I64 NOT NULL DEFAULT 0,
  state TEXT NOT NULL CHECK (state IN ('paid', 'short', 'nothing')),
  created_at I64 NOT NULL,
  UNIQUE (project_id, period)
);

-- Each answer's top-up in a run: paid (tx_id set) or owed (a liability paid when escrow is funded).
CREATE TABLE topups (
  id PK_ID,
  run_id I64 NOT NULL REFERENCES topup_runs(id),
  assignment_id I64 NOT NULL REFERENCES assignments(id),
  project_id I64 NOT NULL REFERENCES projects(id),
  worker_id I64 NOT NULL REFERENCES users(id),
  amount_micros I64 NOT NULL,
  floor_micros_per_hour I64 NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('paid', 'owed')),
  tx_id I64,
  created_at I64 NOT NULL,
  paid_at I64,
  UNIQUE (run_id, assignment_id)
);
CREATE INDEX topups_assignment ON topups(assignment_id);
CREATE INDEX topups_owed ON topups(state, project_id);

-- Qualification answers are paid through the ledger now (FW-8): paid_micros is what the
-- `qualification` transaction moved, state 'owed' while escrow could not pay it.
ALTER TABLE qualification_pay ADD COLUMN state TEXT NOT NULL DEFAULT 'recorded';
ALTER TABLE qualification_pay ADD COLUMN tx_id I64;
