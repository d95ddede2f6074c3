-- Decision producers (FW-18, FW-19, FW-25): a lowered review tier becomes an appealable decision of its own kind,
-- a decision may name the quality event a human approved, a qualification removal keeps what it removed, and email
-- re-verification is a step-up. SQLite cannot alter a CHECK: decisions is rebuilt keeping every row and id; the
-- appeals that reference it are set aside and put back, so foreign keys stay checked throughout.
CREATE TABLE decisions_new (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('rejection', 'hold', 'deactivation', 'qualification_removal', 'pay_refusal',
                                     'review_tier')),
  worker_id INTEGER NOT NULL REFERENCES users(id),
  rule TEXT NOT NULL,
  evidence TEXT NOT NULL,
  signal TEXT,
  decided_by INTEGER REFERENCES users(id),
  assignment_id INTEGER REFERENCES assignments(id),
  hold_id INTEGER REFERENCES rejection_holds(id),
  restriction_id INTEGER REFERENCES account_restrictions(id),
  state TEXT NOT NULL DEFAULT 'in_force' CHECK (state IN ('in_force', 'overturned', 'lapsed')),
  created_at INTEGER NOT NULL,
  appeal_deadline INTEGER NOT NULL,
  quality_event_id INTEGER REFERENCES quality_events(id)
);
INSERT INTO decisions_new (id, kind, worker_id, rule, evidence, signal, decided_by, assignment_id, hold_id,
  restriction_id, state, created_at, appeal_deadline)
  SELECT id, kind, worker_id, rule, evidence, signal, decided_by, assignment_id, hold_id, restriction_id, state,
  created_at, appeal_deadline FROM decisions;
CREATE TEMP TABLE appeals_kept AS SELECT * FROM appeals;
DELETE FROM appeals;
DROP TABLE decisions;
ALTER TABLE decisions_new RENAME TO decisions;
CREATE INDEX decisions_worker ON decisions(worker_id, id);
CREATE INDEX decisions_restriction ON decisions(restriction_id);
CREATE INDEX decisions_quality_event ON decisions(quality_event_id);
INSERT INTO appeals SELECT * FROM appeals_kept;
DROP TABLE appeals_kept;

-- What a qualification removal took away (FW-18), so that an overturned appeal restores it as it was.
-- new_attempt is the re-qualification attempt the approval started.
CREATE TABLE qualification_removals (
  decision_id I64 PRIMARY KEY REFERENCES decisions(id),
  project_id I64 NOT NULL REFERENCES projects(id),
  worker_id I64 NOT NULL REFERENCES users(id),
  prev_attempt I64 NOT NULL,
  prev_state TEXT NOT NULL,
  prev_score_ppm I64,
  prev_started_at I64 NOT NULL,
  prev_decided_at I64,
  new_attempt I64 NOT NULL
);

-- Email re-verification as a step-up (FW-25): pending until the worker opens the emailed one-time link.
-- Only the token's hash is stored; a resend replaces it. Claims are refused while a row is pending.
CREATE TABLE email_reverifications (
  id PK_ID,
  user_id I64 NOT NULL REFERENCES users(id),
  quality_event_id I64 REFERENCES quality_events(id),
  approved_by I64 NOT NULL REFERENCES users(id),
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'verified')),
  token_hash TEXT NOT NULL UNIQUE,
  expires_at I64 NOT NULL,
  sent_at I64 NOT NULL,
  sends I64 NOT NULL DEFAULT 1,
  created_at I64 NOT NULL,
  verified_at I64
);
CREATE INDEX email_reverifications_user ON email_reverifications(user_id, state);
