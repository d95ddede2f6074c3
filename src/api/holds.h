/* Bounded mass rejection (FW-4): a rejection beyond 10% of a worker's submissions in a project, or
 * beyond 10 a UTC day from one requester, is held until an admin upholds or overturns it. */
#ifndef FL_HOLDS_H
#define FL_HOLDS_H
#include <stdbool.h>

#include "store/store.h"

#define HOLD_SHARE_PERCENT 10 /* rejections may be at most this share of the worker's submissions */
#define HOLD_DAILY_MAX 10     /* and at most this many a UTC day per requester and worker */
#define HOLD_LAPSE_MS (14 * 86400000LL) /* undecided this long, a hold resolves in the worker's favour */

/* The counts a rejection is judged on, this rejection included. */
struct hold_check {
    int64_t submissions, rejections, rejections_today;
    bool share, daily; /* the bound it exceeds; neither: the rejection applies at once */
};

/* Pure: whether `rejections` (this one included) out of `submissions` exceeds the share bound: more than
 * max(1, floor(submissions × HOLD_SHARE_PERCENT / 100)), i.e. rejections > 1 and rejections × 100 >
 * submissions × HOLD_SHARE_PERCENT; and whether today's count exceeds HOLD_DAILY_MAX. */
void hold_judge(struct hold_check *h);

/* Inside the review's transaction, before the rejection is stored: the counts for a rejection of as
 * (project p, owned by the requester whose rejections are bounded) decided at now. */
db_rc hold_check_rejection(db *d, const struct project *p, const struct assignment *as, int64_t now,
                           struct hold_check *out);

/* After the review row is stored with review_state 'held': moves the reward's pay_state pending → held
 * (when pending), records the hold, audits it and tells the worker. */
db_rc hold_record(db *d, arena *a, const struct project *p, const struct assignment *as, int64_t reviewer_id,
                  int64_t review_id, const char *reason_code, const struct hold_check *h, int64_t now,
                  int64_t *hold_id);

/* What a rejection that counts changes on the task: it wants another answer in place of this one
 * (FW-3: rejected work is not delivered). Used by a review's rejection and an upheld hold. */
db_rc review_apply_rejection(db *d, const struct project *p, const struct assignment *as);

#endif
