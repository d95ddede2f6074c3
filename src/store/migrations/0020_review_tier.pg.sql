-- Decision producers (FW-18, FW-19, FW-25): a lowered review tier becomes an appealable decision of its own kind,
-- a decision may name the quality event a human approved, a qualification removal keeps what it removed, and email
-- re-verification is a step-up.
ALTER TABLE decisions DROP CONSTRAINT decisions_kind_check;
ALTER TABLE decisions ADD CONSTRAINT decisions_kind_check CHECK (kind IN ('rejection', 'hold', 'deactivation',
  'qualification_removal', 'pay_refusal', 'review_tier'));
ALTER TABLE decisions ADD COLUMN quality_event_id I64 REFERENCES quality_events(id);
CREATE INDEX decisions_quality_event ON decisions(quality_event_id);

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
