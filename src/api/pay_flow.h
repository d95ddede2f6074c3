/* Money movements that ride in other transactions: escrow to pending on submit, pending to available
 * on approval (by a reviewer or when the review window passes, FW-2), back to escrow on a reasoned
 * rejection (FW-3), and the escrow cover a project needs to be published or receive tasks (FW-1). */
#ifndef FL_PAY_FLOW_H
#define FL_PAY_FLOW_H
#include "store/store.h"

struct pay_config {
    int64_t fee_bps;        /* the platform's fee, charged to the requester on top of rewards */
    int64_t worker_fee_bps; /* a fee taken from the worker's reward: 0 by default, capped */
};

/* The platform's fee and the worker's fee from FAIRLABEL_FEE_BPS (default 1000 = 10%) and
 * FAIRLABEL_WORKER_FEE_BPS (default 0, at most FAIRLABEL_WORKER_FEE_CAP_BPS, default 500). */
void pay_config_from_env(struct pay_config *c);

/* The escrow a requester needs for the open work of their published projects (and of project
 * extra_id, about to be published or fed tasks) in currency, and what escrow holds. */
db_rc pay_escrow_cover(db *d, const struct pay_config *c, int64_t owner_id, int64_t extra_id, const char *currency,
                       int64_t *required, int64_t *available);

/* After an answer was stored (normal or gold): the reward and the fee leave escrow, the reward waits
 * in the worker's pending account. No-op for an unpaid (reward 0) project. A qualification answer is paid
 * straight to available at the higher of the project's rate and the worker's floor, for the longer of the
 * estimate and its active time (FW-8), or kept as owed (project paused) when escrow is short. */
db_rc pay_on_submit(db *d, const struct pay_config *c, const struct project *p, const struct assignment *as,
                    int64_t now);

/* After a deposit: the answers kept as owed when escrow ran dry are paid into pending, oldest first,
 * while escrow covers them, then owed qualification pay (FW-8) and owed top-ups (FW-6); *n gets how many. */
db_rc pay_settle_owed(db *d, const struct pay_config *c, int64_t owner_id, const char *currency, int64_t now, int *n);

/* approve: pending → available (minus any worker fee); else the reward and the fee charged at submit
 * return to escrow. DB_DONE when the answer's reward was not pending (decided already, or owed). */
db_rc pay_on_decision(db *d, const struct pay_config *c, const struct project *p, const struct assignment *as,
                      bool approve, int64_t actor_id, int64_t now);

/* Approves the answers whose project's review window has passed (at most 200 per call); *n gets how
 * many. Each one in its own transaction. */
int pay_auto_approve(db *d, const struct pay_config *c, int64_t now, int *n);

#endif
