/* The quarterly Fairwork self-assessment (FW-27): for each rule that can be measured, its evidence from
 * the quarter's data, a target and pass / fail / no data. Pure: the caller gathers the figures; the
 * report is built as JSON and rendered to CSV and HTML from that JSON alone, so the same figures give
 * the same bytes. Durations are in ms. */
#ifndef FL_FAIRWORK_REPORT_H
#define FL_FAIRWORK_REPORT_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/pay_report.h"

#define FW_DAY_MS 86400000LL
#define FW_PAYOUT_TARGET_MS (7 * FW_DAY_MS)   /* FW-9: a requested payout confirmed within a week */
#define FW_REVIEW_MAX_MS (14 * FW_DAY_MS)     /* FW-2: the longest review window */
#define FW_HOLD_DECIDE_MS (14 * FW_DAY_MS)    /* FW-4: a held rejection decided by a human within 14 days */
#define FW_TICKET_TARGET_MS (72 * 3600000LL)  /* FW-17 */
#define FW_NOTICE_MS (30 * FW_DAY_MS)         /* FW-14, FW-15 */

/* Durations of one kind; build sorts v in place. */
struct fw_durations {
    int64_t *v;
    size_t n;
};

struct fairwork_input {
    struct pay_quarter quarter;
    /* FW-2: answers approved in the quarter, submit → approval; how many by the review window passing */
    struct fw_durations approval;
    int64_t auto_approved;
    /* FW-4: holds created in the quarter */
    int64_t holds, holds_open, holds_upheld, holds_overturned, holds_late; /* late: decided, or still open at
                                                                               the quarter's end, after 14 days */
    /* FW-5/FW-10: from the pay report's totals */
    int64_t min_benchmarked_ms, below_min_ms, living_benchmarked_ms, below_living_ms;
    /* FW-6: top-ups created in the quarter */
    int64_t topups_paid, topups_owed;
    /* FW-9: payouts confirmed in the quarter, request → confirmation */
    struct fw_durations payout;
    /* FW-14: terms versions published in the quarter */
    int64_t terms, terms_full_notice, terms_emergency, terms_short, terms_acks;
    /* FW-15: region changes approved in the quarter with an effective date */
    int64_t regions, regions_full_notice, regions_emergency, regions_short;
    struct fw_durations region_notice;
    /* FW-17: tickets opened in the quarter: first responses; unanswered past 72 h at the quarter's end */
    struct fw_durations ticket_response;
    int64_t tickets, tickets_unanswered_late, tickets_escalated;
    /* FW-19: decisions and restrictions that took effect in the quarter without a human's id */
    int64_t decisions_without_human, restrictions_without_human;
    /* FW-20: appeals lodged in the quarter */
    struct fw_durations appeal;
    int64_t appeals, appeals_open, appeals_upheld, appeals_overturned, appeals_late;
    /* FW-24 */
    int64_t requesters_flagged, requester_flags_cleared;
};

/* The report as JSON: {"report":"fairwork","quarter","from","to","items":[{rule,item,title,status,target,
 * value{...}}]} with items in rule order and value members sorted; NULL when memory runs out. */
json_t *fairwork_report_build(struct fairwork_input *in);
/* Count, p50, p90 and max of sorted durations (lower percentiles), and how many (and what share, ppm)
 * are at most within_ms; v sorted in place. */
json_t *fairwork_durations_json(struct fw_durations *d, int64_t within_ms);
/* Renderings of a built report; malloc'd, NUL-terminated; NULL when memory runs out. */
char *fairwork_report_json_text(const json_t *report);
char *fairwork_report_csv(const json_t *report);
char *fairwork_report_html(const json_t *report);

#endif
