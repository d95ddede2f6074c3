/* Email re-verification as a risk step-up (FW-25): an admin approving a step-up may ask the worker to confirm
 * their email address; until they open the one-time link, claims are refused and nothing else changes. */
#ifndef FL_EMAIL_VERIFY_H
#define FL_EMAIL_VERIFY_H
#include <stdint.h>

#include "http/req.h"
#include "store/store.h"

#define EMAIL_REVERIFY_TTL_MS (7 * 86400000LL) /* a link works for 7 days */
#define EMAIL_REVERIFY_RESEND_MS (10 * 60000LL) /* at most one email per 10 minutes */

/* Marks worker_id as needing to confirm their email (or, when already pending, replaces the link) and emails a
 * new one-time link, in the caller's transaction; event_id is the approved quality event, approver the human. */
db_rc email_reverify_start(db *d, req *r, int64_t worker_id, int64_t event_id, int64_t approver, int64_t now);

#endif
