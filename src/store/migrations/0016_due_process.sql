-- Due process (FW-14, FW-18 to FW-22): account restrictions with a human approver, adverse decision records
-- with their written statement, appeals, and versioned terms with workers' acknowledgements.

-- proposed → active (a human approved; emergency: possibly its proposer) → lapsed (an emergency hold nobody
-- else confirmed within 7 days, or an appeal nobody decided in time) | lifted (overturned on appeal).
CREATE TABLE account_restrictions (
  id PK_ID,
  user_id I64 NOT NULL REFERENCES users(id),
  kind TEXT NOT NULL CHECK (kind IN ('restriction', 'suspension', 'deactivation')),
  rule TEXT NOT NULL,
  evidence TEXT NOT NULL,
  emergency I64 NOT NULL DEFAULT 0,
  state TEXT NOT NULL DEFAULT 'proposed' CHECK (state IN ('proposed', 'active', 'lapsed', 'lifted')),
  proposed_by I64 NOT NULL REFERENCES users(id),
  approved_by I64 REFERENCES users(id),
  confirmed_by I64 REFERENCES users(id), -- a second human: set at approval unless it is an emergency hold
  created_at I64 NOT NULL,
  effective_at I64,
  ended_at I64
);
CREATE INDEX account_restrictions_user ON account_restrictions(user_id, state);
CREATE INDEX account_restrictions_state ON account_restrictions(state, id);

-- One adverse decision and its written statement (FW-18). decided_by is NULL only for an automated signal
-- that has no effect until a human confirms it. The subject is the answer, the FW-4 hold or the restriction.
CREATE TABLE decisions (
  id PK_ID,
  kind TEXT NOT NULL CHECK (kind IN ('rejection', 'hold', 'deactivation', 'qualification_removal', 'pay_refusal')),
  worker_id I64 NOT NULL REFERENCES users(id),
  rule TEXT NOT NULL,
  evidence TEXT NOT NULL,
  signal TEXT,
  decided_by I64 REFERENCES users(id),
  assignment_id I64 REFERENCES assignments(id),
  hold_id I64 REFERENCES rejection_holds(id),
  restriction_id I64 REFERENCES account_restrictions(id),
  state TEXT NOT NULL DEFAULT 'in_force' CHECK (state IN ('in_force', 'overturned', 'lapsed')),
  created_at I64 NOT NULL,
  appeal_deadline I64 NOT NULL
);
CREATE INDEX decisions_worker ON decisions(worker_id, id);
CREATE INDEX decisions_restriction ON decisions(restriction_id);

-- One appeal per decision, decided by a human other than the decider within 14 days (FW-20). An appeal
-- overturned with decided_by NULL resolved in the worker's favour because nobody decided it by due_at.
CREATE TABLE appeals (
  id PK_ID,
  decision_id I64 NOT NULL UNIQUE REFERENCES decisions(id),
  worker_id I64 NOT NULL REFERENCES users(id),
  statement TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'upheld', 'overturned')),
  decided_by I64 REFERENCES users(id),
  note TEXT,
  created_at I64 NOT NULL,
  due_at I64 NOT NULL,
  decided_at I64
);
CREATE INDEX appeals_state_due ON appeals(state, due_at);
CREATE INDEX appeals_worker ON appeals(worker_id, id);

-- Versioned terms (FW-14): effective_at ≥ published_at + 30 days unless emergency_reason is set.
CREATE TABLE terms_versions (
  version I64 PRIMARY KEY,
  body TEXT NOT NULL,
  summary TEXT NOT NULL,
  published_by I64 NOT NULL REFERENCES users(id),
  published_at I64 NOT NULL,
  effective_at I64 NOT NULL,
  emergency_reason TEXT
);
CREATE TABLE terms_acks (
  user_id I64 NOT NULL REFERENCES users(id),
  version I64 NOT NULL REFERENCES terms_versions(version),
  acked_at I64 NOT NULL,
  PRIMARY KEY (user_id, version)
);
