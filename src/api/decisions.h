/* Adverse decisions (FW-18) and account restrictions with a human approver (FW-19): the record and written
 * statement of each decision, used by review, FW-4 holds, restrictions and appeals. */
#ifndef FL_DECISIONS_H
#define FL_DECISIONS_H
#include <stdbool.h>

#include <jansson.h>

#include "core/due_process.h"
#include "http/errors.h"
#include "store/store.h"

struct decision_input {
    enum due_decision_kind kind;
    int64_t worker_id;
    const char *rule;     /* from the published rule list: a reject reason, an FW-4 hold rule, an account rule */
    const char *evidence; /* a summary the worker reads */
    const char *signal;   /* the automated signal that triggered it; NULL: none */
    int64_t decided_by;   /* the human; 0 only for an automated signal with no effect until a human confirms */
    int64_t assignment_id, hold_id, restriction_id; /* the subject; 0: none */
    int64_t quality_event_id; /* the quality event a human approved (review tier, qualification removal); 0: none */
};

/* Inserts the decision (appeal deadline due_appeal_deadline_ms(now)) and tells the worker in the inbox and by
 * email (notice "decision_made"), in the caller's transaction; *id gets its id (may be NULL). */
db_rc decision_record(db *d, const struct decision_input *in, int64_t now, int64_t *id);

/* The record of a review's rejection (rule: the project's reject reason) and of an FW-4 hold. */
db_rc decision_record_rejection(db *d, arena *a, const struct project *p, const struct assignment *as,
                                int64_t reviewer_id, const char *reason_code, const char *note, int64_t now);
db_rc decision_record_hold(db *d, arena *a, const struct project *p, const struct assignment *as, int64_t reviewer_id,
                           int64_t hold_id, const char *rule, const char *evidence, int64_t now);
/* The pay refusal (FW-18) of an FW-4 held rejection that admin_id upheld: the reward goes back to escrow, so the
 * worker gets a decision of their own naming that admin, appealable; overturned, the reward is paid from escrow
 * (appeals.c, one "appeal:<answer>" ledger transaction). For the hold's decide path (api/holds.c). */
db_rc decision_record_pay_refusal(db *d, arena *a, const struct project *p, const struct assignment *as,
                                  int64_t admin_id, int64_t hold_id, const char *note, int64_t now);

/* A human (approver) approved a risk score's lower-tier proposal, quality event event_id of worker_id in project p
 * (detail: the event's detail, with "fired" and "score"): the worker goes to review tier 1 there, and the
 * appealable decision review_tier is recorded (rule "risk:<fired rule ids>", signal "risk_score"). */
db_rc decision_apply_review_tier(db *d, arena *a, const struct project *p, int64_t worker_id, int64_t event_id,
                                 json_t *detail, int64_t approver, int64_t now);

/* A human approved a require_requalification proposal (quality rule rule_id): a new qualification attempt starts.
 * When that takes a passed qualification away (the project's test has tasks and the worker had passed it), the
 * decision qualification_removal is recorded with what was removed, so that an overturn restores it. */
db_rc decision_apply_requalification(db *d, arena *a, const struct project *p, int64_t worker_id, int64_t event_id,
                                     const char *rule_id, json_t *detail, int64_t approver, int64_t now);

/* What an overturned appeal undoes beyond the decision's state, for the kinds a quality event carried out:
 * review_tier (back to tier 0) and qualification_removal (the qualification as it was, unless the worker passed
 * again meanwhile); the quality event becomes dismissed. actor_id 0: nobody decided the appeal in time. */
db_rc decision_overturn_effect(db *d, arena *a, int64_t decision_id, const char *kind, int64_t actor_id,
                               const char *note, int64_t now);

/* *restricted: the worker has a restriction, suspension or deactivation in force (no new work, FW-16). */
db_rc decision_worker_restricted(db *d, int64_t worker_id, bool *restricted);
/* For a claim: *err = ERR_ACCOUNT_RESTRICTED (and *detail) while one is in force, else ERR_EMAIL_REVERIFY_REQUIRED
 * while an email re-verification step-up is pending; left alone otherwise. */
db_rc decision_claim_check(db *d, int64_t worker_id, err_id *err, const char **detail);

/* Ends an active restriction (state lifted or lapsed) and marks its decision the same way (overturned or
 * lapsed), in the caller's transaction. DB_DONE when it was not active. */
db_rc restriction_end(db *d, int64_t restriction_id, const char *state, int64_t now);

/* Appends an audit row whose detail is the JSON object detail (stolen). */
db_rc decision_audit(db *d, arena *a, int64_t now, int64_t actor_id, const char *action, const char *target,
                     json_t *detail);

#endif
