-- Bounded mass rejection (FW-4) and requester accountability (FW-24).

-- A rejection over the FW-4 bound, held for an admin's decision. pay_held is 1 when the answer's
-- pay_state moved pending → held (its reward stays in the worker's pending account meanwhile).
-- rejections/submissions/rejections_today are the counts that made it excess, this rejection included.
CREATE TABLE rejection_holds (
  id PK_ID,
  assignment_id I64 NOT NULL UNIQUE REFERENCES assignments(id),
  project_id I64 NOT NULL REFERENCES projects(id),
  worker_id I64 NOT NULL REFERENCES users(id),
  requester_id I64 NOT NULL REFERENCES users(id),
  reviewer_id I64 NOT NULL REFERENCES users(id),
  review_id I64 NOT NULL REFERENCES reviews(id),
  rule TEXT NOT NULL CHECK (rule IN ('share', 'daily', 'share_and_daily')),
  rejections I64 NOT NULL,
  submissions I64 NOT NULL,
  rejections_today I64 NOT NULL,
  pay_held I64 NOT NULL,
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'upheld', 'overturned')),
  decided_by I64 REFERENCES users(id),
  decision_note TEXT,
  created_at I64 NOT NULL,
  decided_at I64
);
CREATE INDEX rejection_holds_state ON rejection_holds(state, id);
CREATE INDEX reviews_project_decision ON reviews(project_id, decision, created_at);

-- A requester far outside the norm (FW-24): while a flag is open they cannot publish projects. One open
-- flag per requester; reasons is the JSON of the metrics that raised it.
CREATE TABLE requester_flags (
  id PK_ID,
  requester_id I64 NOT NULL REFERENCES users(id),
  reasons TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'cleared')),
  created_at I64 NOT NULL,
  cleared_by I64 REFERENCES users(id),
  clear_note TEXT,
  cleared_at I64
);
CREATE UNIQUE INDEX requester_flags_open ON requester_flags(requester_id) WHERE state = 'open';
CREATE INDEX requester_flags_state ON requester_flags(state, id);

-- The quarterly report reads approved answers by approval time.
CREATE INDEX assignments_approved ON assignments(approved_at);
-- …and each answer's top-ups by their cause.
CREATE INDEX IF NOT EXISTS ledger_tx_cause ON ledger_tx(cause, cause_id);
