-- Result callbacks (as Scale's API does): a project may name a URL; final and changed results are
-- POSTed there, signed, retried with backoff for 24 hours. The signing secret is derived from the
-- server's key and never stored.
ALTER TABLE projects ADD COLUMN callback_url TEXT;
ALTER TABLE projects ADD COLUMN callback_allow_private I64 NOT NULL DEFAULT 0;

-- state: pending (due at next_at), delivered, failed (gave up after 24 hours). locked_until keeps
-- two servers sharing a database from sending the same delivery at once.
CREATE TABLE callbacks (
  id PK_ID,
  project_id I64 NOT NULL REFERENCES projects(id),
  task_id I64 NOT NULL REFERENCES tasks(id),
  result_version I64 NOT NULL,
  url TEXT NOT NULL,
  allow_private I64 NOT NULL,
  body TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts I64 NOT NULL DEFAULT 0,
  next_at I64 NOT NULL,
  locked_until I64 NOT NULL DEFAULT 0,
  created_at I64 NOT NULL,
  delivered_at I64,
  last_status I64,
  last_error TEXT
);
CREATE INDEX callbacks_due ON callbacks(state, next_at);
CREATE INDEX callbacks_task ON callbacks(task_id, id);
