/* The static list of automated rules that affect workers (FW-26); see rule_registry.h. Values that the server
 * configures (platform floor, payout minimum) are the defaults here and replaced by api/transparency.c. */
#include "core/rule_registry.h"

#include <string.h>

#include "core/due_process.h"
#include "core/region.h"
#include "core/risk.h"

#define DAY_MS 86400000LL

const struct registry_rule rule_registry[] = {
    {"auto_approval", "FW-2", "Approval by default",
     "each submitted answer's submit time and its project's review window",
     "an answer nobody reviewed within the project's review window (default 7 days, at most 14)",
     "approves the answer and moves its reward from pending to available", RULE_EXPANDS_NONE,
     {{"review_window_default_days", 7, "days"}, {"review_window_max_days", 14, "days"}}},
    {"rejection_hold", "FW-4", "Rejection holds",
     "a requester's rejections of one worker: their share of the worker's submissions and their count per UTC day",
     "more than the share, or more than the daily count, of rejections by one requester for one worker",
     "holds the rejection for human review by an admin; the worker keeps the reward meanwhile", RULE_EXPANDS_NONE,
     {{"hold_share_percent", 10, "percent"}, {"hold_daily_max", 10, "rejections per day"}}},
    {"rejection_hold_lapse", "FW-4", "Undecided holds lapse",
     "open rejection holds and when they were placed", "a hold nobody decided within the lapse time",
     "resolves the hold in the worker's favour: the answer is approved and paid", RULE_EXPANDS_NONE,
     {{"hold_lapse_days", 14, "days"}}},
    {"claim_floor", "FW-5", "Pay floor at claim",
     "the project's reward and estimated time, the worker's country and the wage benchmark table",
     "the reward per estimated hour under the worker's floor: the higher of the platform floor and the country's "
     "legal minimum",
     "refuses the claim (the worker is never offered work below the floor)", RULE_EXPANDS_NONE,
     {{"platform_floor_usd_micros_per_hour", 2000000, "usd_micros_per_hour"}}},
    {"weekly_topup", "FW-6", "Weekly top-up to the floor",
     "each project's median active time per answer and the worker's approved answers of the week",
     "approved answers whose reward at the median active time falls under the worker's floor",
     "pays the difference to the worker from the requester's escrow, once per ISO week", RULE_EXPANDS_NONE,
     {{"platform_floor_usd_micros_per_hour", 2000000, "usd_micros_per_hour"}}},
    {"weekly_payouts", "FW-9", "Weekly payouts",
     "workers who chose weekly payouts and their available balance",
     "an available balance at or above the payout minimum, once per ISO week",
     "requests a payout of the whole available balance", RULE_EXPANDS_NONE,
     {{"payout_min_usd_micros", 5000000, "usd_micros"}}},
    {"quality_rules", "FW-3", "Project quality rules",
     "a worker's recent gold accuracy, speed and skips within one project, as the project configures them",
     "per rule, as each project sets it (GET /api/v1/quality-rules lists them and their parameter bounds)",
     "lower the answer weight, ask for re-qualification, move to lower-risk work, or flag for human review; "
     "never suspend or ban",
     RULE_EXPANDS_QUALITY, {{NULL, 0, NULL}}},
    {"risk_score", "FW-25", "Account risk score",
     "per-account signals: gold accuracy, answer speed, shared devices, copied answers, login countries, shared IP",
     "step-up checks from a score of 40, lower-risk work from 70 (each rule adds its points when it fires)",
     "proposes re-qualification, email re-verification or lower-risk work, which apply only when a person approves; never suspends",
     RULE_EXPANDS_RISK, {{"step_up_at", RISK_STEP_UP_AT, "points"}, {"lower_tier_at", RISK_LOWER_TIER_AT, "points"}}},
    {"ticket_escalation", "FW-17", "Ticket escalation",
     "open tickets, when they were opened and when staff first replied",
     "no staff reply within the first-response target",
     "escalates the ticket to the admins", RULE_EXPANDS_NONE,
     {{"first_response_hours", DUE_FIRST_RESPONSE_MS / 3600000LL, "hours"}}},
    {"emergency_hold_lapse", "FW-19", "Emergency holds lapse",
     "emergency holds approved by their proposer and whether a second admin confirmed them",
     "no confirmation by a second admin within the lapse time",
     "lifts the hold (it lapses); the account gets new work again", RULE_EXPANDS_NONE,
     {{"hold_lapse_days", DUE_HOLD_LAPSE_MS / DAY_MS, "days"}}},
    {"appeal_overdue", "FW-20", "Undecided appeals",
     "open appeals and when they were filed", "no human decision within the appeal deadline",
     "resolves the appeal in the worker's favour: the decision is overturned", RULE_EXPANDS_NONE,
     {{"appeal_decide_days", DUE_APPEAL_DECIDE_MS / DAY_MS, "days"},
      {"appeal_window_days", DUE_APPEAL_WINDOW_MS / DAY_MS, "days"}}},
    {"region_close", "FW-15", "Regions close at their effective date",
     "countries winding down and their effective date (announced at least the notice period before)",
     "the effective date has passed",
     "closes the country to new work; earnings, payouts, export, tickets and appeals keep working, and all "
     "available money is paid out within the payout period",
     RULE_EXPANDS_NONE,
     {{"notice_days", REGION_NOTICE_MS / DAY_MS, "days"}, {"payout_days", REGION_PAYOUT_MS / DAY_MS, "days"}}},
    {"requester_flags", "FW-24", "Requester accountability flags",
     "each requester's rejection rate and median effective hourly pay over the last 90 days",
     "a rejection rate above max(2 × the platform median, 20%) over at least 20 decisions, or a median hourly pay "
     "under the platform floor over at least 20 measured answers",
     "puts the requester on hold for review by an admin (no new publishing); running projects continue",
     RULE_EXPANDS_NONE,
     {{"window_days", 90, "days"}, {"rejection_floor_percent", 20, "percent"}, {"min_decisions", 20, "decisions"},
      {"min_paid_answers", 20, "answers"}}},
};
const size_t rule_registry_len = sizeof rule_registry / sizeof rule_registry[0];

const struct registry_rule *rule_registry_find(const char *id)
{
    if (!id) return NULL;
    for (size_t i = 0; i < rule_registry_len; i++)
        if (!strcmp(rule_registry[i].id, id)) return &rule_registry[i];
    return NULL;
}

bool announce_period_ok(int64_t now_ms, int64_t comment_until_ms, bool reason_recorded)
{
    if (comment_until_ms <= now_ms) return false; /* a period must exist at all */
    return reason_recorded || comment_until_ms - now_ms >= ANNOUNCE_COMMENT_MIN_MS;
}

bool announce_comments_open(int64_t comment_until_ms, int64_t now_ms) { return now_ms < comment_until_ms; }
