/* Region policy (FW-15, FW-16): what a country's state means at sign-up and at a claim. The routes are in
 * api/api.h, the closing and payout jobs in api/jobs.h. */
#ifndef FL_REGIONS_H
#define FL_REGIONS_H
#include <stdint.h>

#include "http/req.h"

/* Before a self sign-up: when the body names a country whose sign-ups are not open, replies 403
 * REGION_SIGNUPS_PAUSED with the public explanation and the date, and returns RES_REPLIED. Anything it cannot
 * read is left to the sign-up's own validation (RES_OK). */
res region_signup_check(req *r);

/* In a claim's transaction: when the worker's country offers no new work at now (closed, or winding down past
 * its effective date), sets *err to ERR_REGION_CLOSED and *detail (in a) to the public explanation and date.
 * Open leases are not affected: submits never call this. DB_OK or the database error. */
db_rc region_claim_check(db *d, arena *a, const struct user *u, int64_t now, err_id *err, const char **detail);

#endif
