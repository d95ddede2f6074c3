-- Quality control: gold and qualification tasks, priorities, consensus results, review with
-- answer versions, skills, qualification attempts (paid, FW-8), per-worker quality and flags.
ALTER TABLE projects ADD COLUMN quality_json TEXT NOT NULL DEFAULT '{}';

-- gold: 0 a normal task, 1 a gold task mixed into feeds, 2 a qualification-test task. Gold and
-- qualification tasks are never claimable through the normal feed (claimable = 0).
-- remaining = overlap - submitted - leased: claims take the tasks closest to completion first.
ALTER TABLE tasks ADD COLUMN gold I64 NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN gold_answer_json TEXT;
ALTER TABLE tasks ADD COLUMN gold_explanation TEXT;
ALTER TABLE tasks ADD COLUMN priority I64 NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN remaining I64 NOT NULL DEFAULT 0;
-- The aggregated answer: method, confidence in parts per million, version (+1 per change), final
-- once no more answers are wanted.
ALTER TABLE tasks ADD COLUMN result_json TEXT;
ALTER TABLE tasks ADD COLUMN result_method TEXT;
ALTER TABLE tasks ADD COLUMN result_confidence_ppm I64;
ALTER TABLE tasks ADD COLUMN result_version I64 NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN result_final I64 NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN result_at I64;
UPDATE tasks SET remaining = overlap - submitted - leased;
DROP INDEX tasks_claimable;
CREATE INDEX tasks_next ON tasks(project_id, claimable, remaining, priority DESC, id);
CREATE INDEX tasks_gold ON tasks(project_id, gold, id);

-- answer_json stays the worker's original; fixes are later versions in answer_versions.
-- review_state: none (not sampled), pending, accepted, rejected, fixed.
ALTER TABLE assignments ADD COLUMN gold_score_ppm I64;
ALTER TABLE assignments ADD COLUMN review_state TEXT NOT NULL DEFAULT 'none';
ALTER TABLE assignments ADD COLUMN answer_version I64 NOT NULL DEFAULT 1;
CREATE INDEX assignments_review ON assignments(project_id, review_state, id);
CREATE INDEX assignments_worker ON assignments(worker_id, project_id, id);
-- Exports and the results view read a project's answers a range of tasks at a time.
CREATE INDEX assignments_export ON assignments(project_id, state, task_id, id);

CREATE TABLE answer_versions (
  assignment_id I64 NOT NULL REFERENCES assignments(id),
  version I64 NOT NULL,
  answer_json TEXT NOT NULL,
  author_id I64 NOT NULL REFERENCES users(id),
  source TEXT NOT NULL CHECK (source IN ('review_fix')),
  created_at I64 NOT NULL,
  PRIMARY KEY (assignment_id, version)
);

CREATE TABLE reviews (
  id PK_ID,
  assignment_id I64 NOT NULL REFERENCES assignments(id),
  project_id I64 NOT NULL REFERENCES projects(id),
  reviewer_id I64 NOT NULL REFERENCES users(id),
  decision TEXT NOT NULL CHECK (decision IN ('accept', 'reject', 'fix')),
  reason_code TEXT,
  note TEXT,
  answer_version I64 NOT NULL,
  created_at I64 NOT NULL
);
CREATE INDEX reviews_assignment ON reviews(assignment_id, id);

CREATE TABLE worker_skills (
  user_id I64 NOT NULL REFERENCES users(id),
  skill TEXT NOT NULL,
  value I64 NOT NULL CHECK (value BETWEEN 0 AND 100),
  source TEXT NOT NULL,
  updated_by I64,
  updated_at I64 NOT NULL,
  PRIMARY KEY (user_id, skill)
);

CREATE TABLE qualifications (
  project_id I64 NOT NULL REFERENCES projects(id),
  worker_id I64 NOT NULL REFERENCES users(id),
  attempt I64 NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('in_progress', 'passed', 'failed')),
  score_ppm I64,
  started_at I64 NOT NULL,
  decided_at I64,
  PRIMARY KEY (project_id, worker_id)
);

-- What a qualification answer is owed (FW-8) until the ledger pays it.
CREATE TABLE qualification_pay (
  assignment_id I64 PRIMARY KEY REFERENCES assignments(id),
  project_id I64 NOT NULL REFERENCES projects(id),
  worker_id I64 NOT NULL REFERENCES users(id),
  seconds_ms I64 NOT NULL,
  rate_micros_per_hour I64 NOT NULL,
  owed_micros I64 NOT NULL,
  currency TEXT NOT NULL,
  created_at I64 NOT NULL
);
CREATE INDEX qualification_pay_worker ON qualification_pay(worker_id, assignment_id);

-- Per project and worker: gold results and the weight used in aggregation (ppm).
CREATE TABLE worker_quality (
  project_id I64 NOT NULL REFERENCES projects(id),
  worker_id I64 NOT NULL REFERENCES users(id),
  gold_answered I64 NOT NULL DEFAULT 0,
  gold_score_ppm_sum I64 NOT NULL DEFAULT 0,
  weight_ppm I64 NOT NULL DEFAULT 1000000,
  tier I64 NOT NULL DEFAULT 0,
  updated_at I64 NOT NULL,
  PRIMARY KEY (project_id, worker_id)
);

-- What quality rules did. Never a suspension; an action that would restrict a worker (re-qualification)
-- is only proposed until a human approves it (FW-19). state: open (in effect, or proposed), approved,
-- dismissed (undone by a human).
CREATE TABLE quality_events (
  id PK_ID,
  project_id I64 NOT NULL REFERENCES projects(id),
  worker_id I64 NOT NULL REFERENCES users(id),
  rule_id TEXT NOT NULL,
  action TEXT NOT NULL,
  detail TEXT NOT NULL,
  created_at I64 NOT NULL,
  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'approved', 'dismissed')),
  resolved_by I64 REFERENCES users(id),
  resolved_at I64,
  resolution_note TEXT
);
CREATE INDEX quality_events_worker ON quality_events(worker_id, id);
CREATE INDEX quality_events_open ON quality_events(project_id, resolved_at, id);
