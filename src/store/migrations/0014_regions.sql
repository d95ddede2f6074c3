-- Region policy (FW-15, FW-16, FW-25): each country's state with its public explanation, the two-person
-- changes that move it, and what the closing-region payout job asked for per worker. A country without a
-- region_policies row is open.
CREATE TABLE region_policies (
  country TEXT PRIMARY KEY,
  state TEXT NOT NULL CHECK (state IN ('open', 'signups_paused', 'winding_down', 'closed')),
  explanation TEXT NOT NULL,  -- public: shown on the region page, to refused sign-ups and to the country's workers
  notice_at I64,              -- when the notices of the change in force went out (its approval)
  effective_at I64,           -- winding_down: when work stops (and the country closes)
  change_id I64 NOT NULL,     -- the region_changes row in force
  updated_at I64 NOT NULL
);
CREATE INDEX region_policies_state ON region_policies(state, effective_at);

-- proposed → approved (by a different admin: the policy changes and notices go out in that transaction) →
-- applied (winding down: when the country closes; other changes at once), or proposed → rejected. A row
-- written by the closing job (follows = the winding-down change) is applied at once, by the same humans.
CREATE TABLE region_changes (
  id PK_ID,
  country TEXT NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  reason TEXT NOT NULL,
  explanation TEXT NOT NULL,
  legal_basis TEXT NOT NULL DEFAULT '',     -- sanctions | local_law | payment_rail; '' for reopening
  legal_reference TEXT NOT NULL DEFAULT '',
  effective_at I64,
  emergency I64 NOT NULL DEFAULT 0,
  emergency_reason TEXT,
  follows I64 REFERENCES region_changes(id),
  state TEXT NOT NULL CHECK (state IN ('proposed', 'approved', 'rejected', 'applied', 'cancelled')),
  proposed_by I64 NOT NULL REFERENCES users(id),
  approved_by I64 REFERENCES users(id),
  rejected_by I64 REFERENCES users(id),
  decision_note TEXT,
  notices I64 NOT NULL DEFAULT 0,           -- workers notified at approval
  created_at I64 NOT NULL,
  decided_at I64,
  applied_at I64
);
CREATE INDEX region_changes_country ON region_changes(country, id);
CREATE INDEX region_changes_state ON region_changes(state, id);
-- one open proposal per country, so two admins never approve conflicting changes
CREATE UNIQUE INDEX region_changes_proposed ON region_changes(country) WHERE state = 'proposed';

-- One try per worker, currency and UTC day to pay out a closed region's available money (FW-15): the
-- payout it requested, or why none (no payout method: the worker is told and it is tried again next day).
CREATE TABLE region_payouts (
  id PK_ID,
  country TEXT NOT NULL,
  worker_id I64 NOT NULL REFERENCES users(id),
  currency TEXT NOT NULL,
  day TEXT NOT NULL,
  amount_micros I64 NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('requested', 'no_method')),
  payout_id I64 REFERENCES payouts(id),
  created_at I64 NOT NULL,
  UNIQUE (worker_id, currency, day)
);
CREATE INDEX region_payouts_country ON region_payouts(country, id);
CREATE INDEX users_country_role ON users(country, role, id);
