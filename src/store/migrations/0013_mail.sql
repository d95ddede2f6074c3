-- Email notices (issue 6): the outbox the sender thread delivers by SMTP, and each user's language.
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT 'en';

-- One row per email. state: queued (due at next_at), sent, failed (retries for 24 hours after queued_at
-- ran out). subject and body are rendered when queued, so a later catalog change does not alter a notice
-- already given. locked_until keeps two servers sharing a database from sending one message twice.
-- token makes the Message-ID ("<id>.<token>@fairlabel") unguessable and stable across retries.
CREATE TABLE mail_outbox (
  id PK_ID,
  user_id I64 REFERENCES users(id),
  to_email TEXT NOT NULL,
  language TEXT NOT NULL,
  template_id TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  token TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),
  attempts I64 NOT NULL DEFAULT 0,
  next_at I64 NOT NULL,
  locked_until I64 NOT NULL DEFAULT 0,
  last_error TEXT,
  created_at I64 NOT NULL,
  queued_at I64 NOT NULL,
  sent_at I64
);
CREATE INDEX mail_outbox_due ON mail_outbox(state, next_at);
CREATE INDEX mail_outbox_user ON mail_outbox(user_id, id);
