/* The clocks of due process (FW-17 to FW-21): appeal windows and deadlines, emergency holds that lapse, and
 * the first-response target of tickets. Pure: times are Unix milliseconds given by the caller. */
#ifndef FL_DUE_PROCESS_H
#define FL_DUE_PROCESS_H
#include <stdbool.h>
#include <stdint.h>

#define DUE_DAY_MS 86400000LL
#define DUE_APPEAL_WINDOW_MS (30 * DUE_DAY_MS)   /* a worker may appeal a decision within 30 days */
#define DUE_APPEAL_DECIDE_MS (14 * DUE_DAY_MS)   /* an appeal is decided within 14 days (FW-20) */
#define DUE_HOLD_LAPSE_MS (7 * DUE_DAY_MS)       /* an unconfirmed emergency hold lapses (FW-19) */
#define DUE_FIRST_RESPONSE_MS (72 * 3600000LL)   /* a ticket's first-response target (FW-17) */

/* The adverse decisions that need a written statement and can be appealed (FW-18). */
enum due_decision_kind {
    DUE_REJECTION,
    DUE_HOLD,
    DUE_DEACTIVATION,
    DUE_QUALIFICATION_REMOVAL,
    DUE_PAY_REFUSAL,
    DUE_REVIEW_TIER, /* every later answer reviewed: a risk score's lower tier, approved by a human (FW-25) */
};
#define DUE_DECISION_KINDS "rejection, hold, deactivation, qualification_removal, pay_refusal or review_tier"
const char *due_decision_kind_name(enum due_decision_kind k);
bool due_decision_kind_parse(const char *s, enum due_decision_kind *out);
/* Restrictions that take effect only with a human approver (FW-19). */
bool due_needs_human_approval(enum due_decision_kind k);

int64_t due_appeal_deadline_ms(int64_t decided_at_ms);
bool due_appeal_open(int64_t decided_at_ms, int64_t now_ms);
/* An appeal is due by this; undecided then, it resolves in the worker's favour for withheld pay (FW-20). */
int64_t due_appeal_due_ms(int64_t appealed_at_ms);
bool due_appeal_overdue(int64_t appealed_at_ms, int64_t now_ms);
/* The appeal's decider must be a human other than the original decider (FW-20). */
bool due_appeal_decider_ok(int64_t original_decider_id, int64_t appeal_decider_id);

/* An emergency hold without a human's confirmation lapses 7 days after it was placed. */
bool due_hold_lapsed(int64_t placed_at_ms, int64_t confirmed_by, int64_t now_ms);

/* A ticket escalates when no staff reply came within 72 hours of its opening. first_response_at_ms 0: none. */
bool due_ticket_escalates(int64_t opened_at_ms, int64_t first_response_at_ms, int64_t now_ms);

/* Account restrictions (FW-16, FW-19): each stops new work but never access, earnings or payouts. */
enum due_restriction_kind { DUE_RESTRICT, DUE_SUSPEND, DUE_DEACTIVATE };
const char *due_restriction_kind_name(enum due_restriction_kind k); /* restriction, suspension, deactivation */
bool due_restriction_kind_parse(const char *s, enum due_restriction_kind *out);
/* The adverse decision a restriction is recorded as: a deactivation as such, the others as a hold. */
enum due_decision_kind due_restriction_decision(enum due_restriction_kind k);
/* Whether approver may make a proposal take effect: a human other than the proposer, or the proposer
 * themself for an emergency hold (which then lapses unless another human confirms it, due_hold_lapsed). */
bool due_restriction_approver_ok(int64_t proposer_id, int64_t approver_id, bool emergency);

/* Terms (FW-14): a version takes effect at least 30 days after it is published, unless it is recorded as a
 * legal or security emergency; it applies to a worker from then only once they acknowledged it (an
 * emergency version applies without). */
#define DUE_TERMS_NOTICE_MS (30 * DUE_DAY_MS)
bool due_terms_notice_ok(int64_t published_at_ms, int64_t effective_at_ms, bool emergency);
bool due_terms_apply(int64_t effective_at_ms, bool acknowledged, bool emergency, int64_t now_ms);

#endif
