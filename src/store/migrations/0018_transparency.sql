-- Announcements with a comment period (FW-23) and the change log of automated rules (FW-26).

-- source: 'admin' (written by an admin), 'wage_edit' or 'terms' (created by that change itself).
CREATE TABLE announcements (
  id PK_ID,
  kind TEXT NOT NULL CHECK (kind IN ('pay_rules', 'terms', 'benchmarks', 'other')),
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  rule_id TEXT,
  source TEXT NOT NULL DEFAULT 'admin',
  short_period_reason TEXT,
  comment_until I64 NOT NULL,
  applies_at I64 NOT NULL,
  created_by I64 NOT NULL REFERENCES users(id),
  created_at I64 NOT NULL
);
CREATE INDEX announcements_created ON announcements(created_at, id);

CREATE TABLE announcement_comments (
  id PK_ID,
  announcement_id I64 NOT NULL REFERENCES announcements(id),
  author_id I64 NOT NULL REFERENCES users(id),
  body TEXT NOT NULL,
  created_at I64 NOT NULL
);
CREATE INDEX announcement_comments_of ON announcement_comments(announcement_id, id);

-- One row per change to an automated rule or its inputs: what changed, when, by whom, and its announcement.
CREATE TABLE rule_changes (
  id PK_ID,
  rule_id TEXT NOT NULL,
  change TEXT NOT NULL,
  changed_at I64 NOT NULL,
  changed_by I64 REFERENCES users(id),
  announcement_id I64 REFERENCES announcements(id)
);
CREATE INDEX rule_changes_at ON rule_changes(changed_at, id);
