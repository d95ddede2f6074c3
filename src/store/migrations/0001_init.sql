-- Accounts, sessions, projects, tasks, leases and the audit chain.
-- PK_ID and I64 are replaced per dialect by migrate.c (INTEGER PRIMARY KEY / BIGINT identity).
-- Times are Unix epoch milliseconds; money is integer micro-units.
CREATE TABLE users (
  id PK_ID,
  email TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  display_name TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'requester', 'reviewer', 'support', 'worker')),
  country TEXT NOT NULL,
  disabled I64 NOT NULL DEFAULT 0,
  created_at I64 NOT NULL
);
CREATE INDEX users_role ON users(role, id);

CREATE TABLE sessions (
  id PK_ID,
  token_hash TEXT NOT NULL UNIQUE,
  csrf_hash TEXT NOT NULL,
  user_id I64 NOT NULL REFERENCES users(id),
  created_at I64 NOT NULL,
  expires_at I64 NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_keys (
  id PK_ID,
  user_id I64 NOT NULL REFERENCES users(id),
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  created_at I64 NOT NULL,
  last_used_at I64,
  revoked_at I64
);
CREATE INDEX api_keys_user ON api_keys(user_id, id);

CREATE TABLE login_throttle (
  scope TEXT PRIMARY KEY,
  failures I64 NOT NULL,
  window_start I64 NOT NULL,
  locked_until I64 NOT NULL DEFAULT 0
);

CREATE TABLE projects (
  id PK_ID,
  owner_id I64 NOT NULL REFERENCES users(id),
  name TEXT NOT NULL,
  instructions TEXT NOT NULL,
  kind TEXT NOT NULL,
  schema_json TEXT NOT NULL,
  reward_micros I64 NOT NULL CHECK (reward_micros >= 0),
  currency TEXT NOT NULL,
  estimated_seconds I64 NOT NULL,
  overlap I64 NOT NULL,
  lease_seconds I64 NOT NULL,
  status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'paused')),
  task_count I64 NOT NULL DEFAULT 0,
  tasks_started I64 NOT NULL DEFAULT 0,
  tasks_complete I64 NOT NULL DEFAULT 0,
  answer_count I64 NOT NULL DEFAULT 0,
  created_at I64 NOT NULL,
  updated_at I64 NOT NULL
);
CREATE INDEX projects_owner ON projects(owner_id, id);
CREATE INDEX projects_status ON projects(status, id);

-- claimable is 1 while submitted + leased < overlap; kept in step by every lease change so a claim
-- is an index lookup.
CREATE TABLE tasks (
  id PK_ID,
  project_id I64 NOT NULL REFERENCES projects(id),
  external_id TEXT,
  data_json TEXT NOT NULL,
  overlap I64 NOT NULL,
  leased I64 NOT NULL DEFAULT 0,
  submitted I64 NOT NULL DEFAULT 0,
  claimable I64 NOT NULL DEFAULT 1,
  created_at I64 NOT NULL,
  UNIQUE (project_id, external_id)
);
CREATE INDEX tasks_claimable ON tasks(project_id, claimable, id);

CREATE TABLE assignments (
  id PK_ID,
  task_id I64 NOT NULL REFERENCES tasks(id),
  project_id I64 NOT NULL REFERENCES projects(id),
  worker_id I64 NOT NULL REFERENCES users(id),
  lease_hash TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('leased', 'submitted', 'released', 'expired')),
  leased_at I64 NOT NULL,
  expires_at I64 NOT NULL,
  submitted_at I64,
  answer_json TEXT,
  idempotency_key TEXT,
  UNIQUE (task_id, worker_id)
);
CREATE INDEX assignments_live ON assignments(project_id, state, expires_at);
CREATE INDEX assignments_task ON assignments(task_id, state);

-- Append-only; each row carries the hash of the previous one (see core/audit_chain.c).
CREATE TABLE audit_log (
  id I64 PRIMARY KEY,
  at I64 NOT NULL,
  actor_id I64,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE TABLE audit_head (
  id I64 PRIMARY KEY CHECK (id = 1),
  last_id I64 NOT NULL,
  last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, last_id, last_hash)
  VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
