-- Scheduled changes to the wage-benchmark tables (FW-23): an admin's edit waits for its announcement's comment
-- period, then a periodic job applies it (api/wage_changes.c). An emergency raise is stored already applied.
-- old_row: the row it replaces as the tables will stand just before it applies (NULL: a new row); new_row: the
-- whole row after it. withdrawn_by NULL with a withdraw_reason: withdrawn by the job (it no longer fitted).
CREATE TABLE wage_changes (
  id PK_ID,
  table_name TEXT NOT NULL CHECK (table_name IN ('wage_benchmarks', 'country_basics')),
  row_key TEXT NOT NULL,
  old_row TEXT,
  new_row TEXT NOT NULL,
  reason TEXT NOT NULL,
  emergency_reason TEXT,
  proposed_by I64 NOT NULL REFERENCES users(id),
  announcement_id I64 REFERENCES announcements(id),
  created_at I64 NOT NULL,
  applies_at I64 NOT NULL,
  state TEXT NOT NULL DEFAULT 'scheduled' CHECK (state IN ('scheduled', 'applied', 'withdrawn')),
  applied_at I64,
  applied_version I64,
  withdrawn_at I64,
  withdrawn_by I64 REFERENCES users(id),
  withdraw_reason TEXT,
  withdraw_announcement_id I64 REFERENCES announcements(id)
);
CREATE INDEX wage_changes_due ON wage_changes(state, applies_at, id);
