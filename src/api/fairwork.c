/* The quarterly fairwork self-assessment (FW-27): GET /api/v1/reports/fairwork (admin). The figures are
 * read here; what they mean and pass / fail is decided in core/fairwork_report.c. */
#include "api/fairwork.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/reports.h"
#include "http/reply.h"

struct fw_lists {
    struct fw_durations approval, payout, region, ticket, appeal;
};

static bool dur_push(struct fw_durations *d, size_t *cap, int64_t v)
{
    if (d->n == *cap) {
        size_t n = *cap ? *cap * 2 : 64;
        int64_t *p = realloc(d->v, n * sizeof *p);
        if (!p) return false;
        d->v = p;
        *cap = n;
    }
    d->v[d->n++] = v;
    return true;
}

struct fw_ctx {
    struct pay_quarter q;
    struct fairwork_input in; /* pay totals filled in before the transaction */
};

static void lists_free(struct fairwork_input *in)
{
    struct fw_durations *all[] = {&in->approval, &in->payout, &in->region_notice, &in->ticket_response, &in->appeal};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        free(all[i]->v);
        all[i]->v = NULL;
        all[i]->n = 0;
    }
}

/* Rows of one query into durations; col 0 the duration (NULL rows skipped), and on_row sees the rest. */
typedef bool (*row_fn)(struct fairwork_input *in, db_stmt *s);

static db_rc load(db *d, query_id q, const struct pay_quarter *qt, struct fw_durations *dst, row_fn fn,
                  struct fairwork_input *in)
{
    db_stmt *s = db_q(d, q);
    if (!s) return DB_ERROR;
    db_bind_i64(s, 1, qt->start_ms);
    db_bind_i64(s, 2, qt->end_ms);
    size_t cap = 0;
    db_rc rc;
    while ((rc = db_step(s)) == DB_ROW) {
        if ((!db_col_null(s, 0) && !dur_push(dst, &cap, db_col_i64(s, 0))) || (fn && !fn(in, s))) {
            db_reset(s);
            return DB_ERROR;
        }
    }
    return rc == DB_DONE ? DB_OK : rc;
}

static bool approval_row(struct fairwork_input *in, db_stmt *s)
{
    in->auto_approved += db_col_i64(s, 1);
    return true;
}

static bool region_row(struct fairwork_input *in, db_stmt *s)
{
    in->regions++;
    if (db_col_i64(s, 0) >= FW_NOTICE_MS) in->regions_full_notice++;
    else if (db_col_i64(s, 1)) in->regions_emergency++;
    else in->regions_short++;
    return true;
}


static bool ticket_row(struct fairwork_input *in, db_stmt *s)
{
    in->tickets++;
    in->tickets_escalated += db_col_i64(s, 1);
    if (db_col_null(s, 0) && in->quarter.end_ms - db_col_i64(s, 2) > FW_TICKET_TARGET_MS) in->tickets_unanswered_late++;
    return true;
}

static bool appeal_row(struct fairwork_input *in, db_stmt *s)
{
    const char *st = db_col_text(s, 1);
    in->appeals++;
    if (!strcmp(st, "open")) in->appeals_open++;
    else if (!strcmp(st, "upheld")) in->appeals_upheld++;
    else if (!strcmp(st, "overturned")) in->appeals_overturned++;
    in->appeals_late += db_col_i64(s, 2);
    return true;
}

#define ROW(Q, ARGS, N, OUT, NC)                                                                                      \
    do {                                                                                                              \
        db_rc r_ = store_row_i64(d, Q, ARGS, N, OUT, NC);                                                             \
        if (r_ != DB_ROW) return tx_from_db(r_ == DB_DONE ? DB_ERROR : r_);                                          \
    } while (0)

static tx_rc fairwork_tx(db *d, void *vctx)
{
    struct fw_ctx *c = vctx;
    struct fairwork_input *in = &c->in;
    /* a retried transaction starts over, keeping the pay totals */
    lists_free(in);
    struct fairwork_input keep = *in;
    memset(in, 0, sizeof *in);
    in->quarter = c->q;
    in->min_benchmarked_ms = keep.min_benchmarked_ms;
    in->below_min_ms = keep.below_min_ms;
    in->living_benchmarked_ms = keep.living_benchmarked_ms;
    in->below_living_ms = keep.below_living_ms;

    const struct pay_quarter *q = &c->q;
    db_rc rc;
    if ((rc = load(d, Q_FW_APPROVALS, q, &in->approval, approval_row, in)) != DB_OK ||
        (rc = load(d, Q_FW_PAYOUTS, q, &in->payout, NULL, in)) != DB_OK ||
        (rc = load(d, Q_FW_REGION_NOTICES, q, &in->region_notice, region_row, in)) != DB_OK ||
        (rc = load(d, Q_FW_TICKETS, q, &in->ticket_response, ticket_row, in)) != DB_OK ||
        (rc = load(d, Q_FW_APPEALS, q, &in->appeal, appeal_row, in)) != DB_OK)
        return tx_from_db(rc);

    struct sql_arg span[] = {{.i = q->start_ms}, {.i = q->end_ms}, {.i = FW_HOLD_DECIDE_MS}};
    int64_t v[5];
    ROW(Q_FW_HOLDS, span, 3, v, 5);
    in->holds = v[0], in->holds_open = v[1], in->holds_upheld = v[2], in->holds_overturned = v[3], in->holds_late = v[4];
    ROW(Q_FW_TOPUPS, span, 2, v, 2);
    in->topups_paid = v[0], in->topups_owed = v[1];
    span[2].i = FW_NOTICE_MS;
    ROW(Q_FW_TERMS, span, 3, v, 5);
    in->terms = v[0], in->terms_full_notice = v[1], in->terms_emergency = v[2], in->terms_short = v[3];
    in->terms_acks = v[4];
    ROW(Q_FW_WITHOUT_HUMAN, span, 2, v, 2);
    in->decisions_without_human = v[0], in->restrictions_without_human = v[1];
    ROW(Q_FW_FLAGS, span, 2, v, 2);
    in->requesters_flagged = v[0], in->requester_flags_cleared = v[1];
    return TX_COMMIT;
}

store_rc fairwork_report_run(db *d, const struct pay_quarter *q, json_t **out)
{
    json_t *pay;
    store_rc rc = pay_report_run(d, q, &pay);
    if (rc != STORE_OK) return rc;
    struct fw_ctx c = {.q = *q};
    json_t *t = json_object_get(pay, "totals");
    c.in.min_benchmarked_ms = json_integer_value(json_object_get(t, "hours_benchmarked_minimum_ms"));
    c.in.below_min_ms = json_integer_value(json_object_get(t, "hours_below_minimum_ms"));
    c.in.living_benchmarked_ms = json_integer_value(json_object_get(t, "hours_benchmarked_living_ms"));
    c.in.below_living_ms = json_integer_value(json_object_get(t, "hours_below_living_ms"));
    json_decref(pay);
    rc = store_run(d, false, fairwork_tx, &c);
    if (rc == STORE_OK) {
        *out = fairwork_report_build(&c.in);
        if (!*out) rc = STORE_FAILED;
    }
    lists_free(&c.in);
    return rc;
}

char *fairwork_report_render(const json_t *report, const char *format)
{
    if (!strcmp(format, "json")) return fairwork_report_json_text(report);
    if (!strcmp(format, "csv")) return fairwork_report_csv(report);
    if (!strcmp(format, "html")) return fairwork_report_html(report);
    return NULL;
}

/* GET /api/v1/reports/fairwork?quarter=2026Q3&format=json|csv|html (admin). */
void reports_fairwork(req *r) { report_reply(r, fairwork_report_run, fairwork_report_render); }
