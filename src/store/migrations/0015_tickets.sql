-- Tickets (FW-17): threads between a person and support staff, the 72-hour first-response target, and the
-- login-free contact page's one-time links.

-- source: account (opened signed in), contact (the login-free page, after the email link is followed) or
-- anonymous (a safety report without an address: nobody can follow it up). user_id is set for account
-- tickets, and for contact tickets whose verified address belongs to an account. opened_at starts the
-- first-response clock (for contact tickets, when the link is followed); it is NULL while unverified.
-- language is the contact page's (en or fr) for its emails.
-- verify_hash/access_hash are BLAKE2b hashes of the one-time link token and of the ticket-scoped token.
CREATE TABLE tickets (
  id PK_ID,
  source TEXT NOT NULL CHECK (source IN ('account', 'contact', 'anonymous')),
  user_id I64 REFERENCES users(id),
  contact_email TEXT,
  language TEXT NOT NULL DEFAULT 'en',
  category TEXT NOT NULL CHECK (category IN ('pay', 'task', 'account', 'region', 'safety', 'other')),
  subject TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('unverified', 'open', 'waiting_for_worker', 'resolved')),
  assignee_id I64 REFERENCES users(id),
  verify_hash TEXT UNIQUE,
  verify_expires_at I64,
  access_hash TEXT UNIQUE,
  created_at I64 NOT NULL,
  opened_at I64,
  first_response_at I64,
  first_response_by I64 REFERENCES users(id),
  escalated_at I64,
  resolved_at I64,
  updated_at I64 NOT NULL
);
CREATE INDEX tickets_user ON tickets(user_id, id);
CREATE INDEX tickets_due ON tickets(first_response_at, escalated_at, opened_at);

-- staff is 1 for a support or admin reply. author_id is NULL for the contact-page person.
CREATE TABLE ticket_messages (
  id PK_ID,
  ticket_id I64 NOT NULL REFERENCES tickets(id),
  author_id I64 REFERENCES users(id),
  staff I64 NOT NULL,
  body TEXT NOT NULL,
  created_at I64 NOT NULL
);
CREATE INDEX ticket_messages_ticket ON ticket_messages(ticket_id, id);

CREATE TABLE ticket_attachments (
  id PK_ID,
  ticket_id I64 NOT NULL REFERENCES tickets(id),
  message_id I64 NOT NULL REFERENCES ticket_messages(id),
  name TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size I64 NOT NULL,
  sha256 TEXT NOT NULL,
  bytes BYTES NOT NULL,
  created_at I64 NOT NULL
);
CREATE INDEX ticket_attachments_message ON ticket_attachments(message_id, id);
