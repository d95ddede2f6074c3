/* Appeal windows, hold lapses and ticket targets (FW-17 to FW-21). */
#include "core/due_process.h"

#include <string.h>

static const char *const kind_names[] = {"rejection",    "hold",        "deactivation",
                                          "qualification_removal", "pay_refusal", "review_tier"};

const char *due_decision_kind_name(enum due_decision_kind k)
{
    return (unsigned)k < sizeof kind_names / sizeof *kind_names ? kind_names[k] : "";
}

bool due_decision_kind_parse(const char *s, enum due_decision_kind *out)
{
    for (size_t i = 0; s && i < sizeof kind_names / sizeof *kind_names; i++)
        if (!strcmp(s, kind_names[i])) {
            *out = (enum due_decision_kind)i;
            return true;
        }
    return false;
}

bool due_needs_human_approval(enum due_decision_kind k)
{
    return k == DUE_HOLD || k == DUE_DEACTIVATION || k == DUE_QUALIFICATION_REMOVAL || k == DUE_PAY_REFUSAL ||
           k == DUE_REVIEW_TIER;
}

int64_t due_appeal_deadline_ms(int64_t decided_at_ms) { return decided_at_ms + DUE_APPEAL_WINDOW_MS; }

bool due_appeal_open(int64_t decided_at_ms, int64_t now_ms) { return now_ms <= due_appeal_deadline_ms(decided_at_ms); }

int64_t due_appeal_due_ms(int64_t appealed_at_ms) { return appealed_at_ms + DUE_APPEAL_DECIDE_MS; }

bool due_appeal_overdue(int64_t appealed_at_ms, int64_t now_ms) { return now_ms > due_appeal_due_ms(appealed_at_ms); }

bool due_appeal_decider_ok(int64_t original_decider_id, int64_t appeal_decider_id)
{
    return appeal_decider_id > 0 && appeal_decider_id != original_decider_id;
}

bool due_hold_lapsed(int64_t placed_at_ms, int64_t confirmed_by, int64_t now_ms)
{
    return confirmed_by <= 0 && now_ms >= placed_at_ms + DUE_HOLD_LAPSE_MS;
}

bool due_ticket_escalates(int64_t opened_at_ms, int64_t first_response_at_ms, int64_t now_ms)
{
    int64_t target = opened_at_ms + DUE_FIRST_RESPONSE_MS;
    if (first_response_at_ms > 0) return first_response_at_ms > target;
    return now_ms > target;
}

static const char *const restriction_names[] = {"restriction", "suspension", "deactivation"};

const char *due_restriction_kind_name(enum due_restriction_kind k)
{
    return (unsigned)k < sizeof restriction_names / sizeof *restriction_names ? restriction_names[k] : "";
}

bool due_restriction_kind_parse(const char *s, enum due_restriction_kind *out)
{
    for (size_t i = 0; s && i < sizeof restriction_names / sizeof *restriction_names; i++)
        if (!strcmp(s, restriction_names[i])) {
            *out = (enum due_restriction_kind)i;
            return true;
        }
    return false;
}

enum due_decision_kind due_restriction_decision(enum due_restriction_kind k)
{
    return k == DUE_DEACTIVATE ? DUE_DEACTIVATION : DUE_HOLD;
}

bool due_restriction_approver_ok(int64_t proposer_id, int64_t approver_id, bool emergency)
{
    return approver_id > 0 && (approver_id != proposer_id || emergency);
}

bool due_terms_notice_ok(int64_t published_at_ms, int64_t effective_at_ms, bool emergency)
{
    if (emergency) return effective_at_ms >= published_at_ms;
    return effective_at_ms - published_at_ms >= DUE_TERMS_NOTICE_MS;
}

bool due_terms_apply(int64_t effective_at_ms, bool acknowledged, bool emergency, int64_t now_ms)
{
    return now_ms >= effective_at_ms && (acknowledged || emergency);
}
