-- A worker may answer a qualification task again in a later attempt (re-qualification), so the
-- uniqueness of (task, worker) gains the attempt number. SQLite cannot drop a UNIQUE constraint:
-- the table is rebuilt.
CREATE TABLE assignments_new (
  id INTEGER PRIMARY KEY,
  task_id INTEGER NOT NULL REFERENCES tasks(id),
  project_id INTEGER NOT NULL REFERENCES projects(id),
  worker_id INTEGER NOT NULL REFERENCES users(id),
  lease_hash TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('leased', 'submitted', 'released', 'expired')),
  leased_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  submitted_at INTEGER,
  answer_json TEXT,
  idempotency_key TEXT,
  attempt INTEGER NOT NULL DEFAULT 0,
  UNIQUE (task_id, worker_id, attempt)
);
INSERT INTO assignments_new (id, task_id, project_id, worker_id, lease_hash, state, leased_at, expires_at,
  submitted_at, answer_json, idempotency_key)
  SELECT id, task_id, project_id, worker_id, lease_hash, state, leased_at, expires_at, submitted_at, answer_json,
  idempotency_key FROM assignments;
DROP TABLE assignments;
ALTER TABLE assignments_new RENAME TO assignments;
CREATE INDEX assignments_live ON assignments(project_id, state, expires_at);
CREATE INDEX assignments_task ON assignments(task_id, state);
