/* Periodic jobs run by the background thread (http/callback_sender.c) about once a second. Each one does
 * a bounded amount of work per call, in its own transactions, and is safe when several servers sharing a
 * database run it at once (idempotent ledger keys, conditional updates, SKIP LOCKED). Returns 0, or -1
 * after logging a failure. */
#ifndef FL_JOBS_H
#define FL_JOBS_H
#include "http/req.h"

struct job {
    const char *name;
    int (*run)(db *d, const struct server_config *cfg, int64_t now);
};

/* answers nobody reviewed within their project's window are approved (FW-2); api/pay_flow.c */
int job_auto_approve(db *d, const struct server_config *cfg, int64_t now);
/* the median active time of projects that received timed answers, for the task card (FW-7); api/topup.c */
int job_active_medians(db *d, const struct server_config *cfg, int64_t now);
/* this week's top-ups to the floor at the median active time (FW-6), at most once a minute; api/topup.c */
int job_topups(db *d, const struct server_config *cfg, int64_t now);

/* workers with the weekly option get their available money asked for once per ISO week (FW-9); api/payouts.c */
int job_weekly_payouts(db *d, const struct server_config *cfg, int64_t now);

/* requesters far outside the norm are flagged (FW-24), every 10 minutes; api/reports.c */
int job_requester_flags(db *d, const struct server_config *cfg, int64_t now);
/* rejection holds nobody decided within HOLD_LAPSE_MS resolve in the worker's favour (FW-4, FW-20); api/holds.c */
int job_hold_lapse(db *d, const struct server_config *cfg, int64_t now);
/* winding-down countries close at their effective date (FW-15); api/regions.c */
int job_region_close(db *d, const struct server_config *cfg, int64_t now);
/* closed countries' workers get all their available money asked for, daily until none is left; api/regions.c */
int job_region_payouts(db *d, const struct server_config *cfg, int64_t now);
/* closed countries' answers pending review are approved 7 days after the effect (FW-15); api/regions.c */
int job_region_review_deadline(db *d, const struct server_config *cfg, int64_t now);
/* tickets without a staff reply 72 hours after opening escalate to the admins (FW-17); api/tickets.c */
int job_ticket_escalation(db *d, const struct server_config *cfg, int64_t now);
/* emergency holds no second admin confirmed within 7 days lapse (FW-19); api/decisions.c */
int job_restriction_lapse(db *d, const struct server_config *cfg, int64_t now);
/* appeals nobody decided within 14 days resolve in the worker's favour (FW-20); api/appeals.c */
int job_appeals_overdue(db *d, const struct server_config *cfg, int64_t now);
/* every worker's risk score, a pass at most once a minute, 50 workers a call (FW-25); api/risk.c */
int job_risk_scores(db *d, const struct server_config *cfg, int64_t now);
/* wage-table changes whose comment period ended apply, in order, each in its own transaction (FW-23);
 * api/wage_changes.c */
int job_wage_changes(db *d, const struct server_config *cfg, int64_t now);

#endif
