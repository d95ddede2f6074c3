/* Rejection holds (FW-4): judging a rejection against the bound, recording a hold, and the admin's
 * routes to list holds and uphold or overturn one. */
#include "api/holds.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/decisions.h"
#include "api/jobs.h"
#include "api/notice.h"
#include "api/pay_flow.h"
#include "api/quality_flow.h"
#include "core/validate.h"
#include "http/reply.h"
#include "util/clock.h"

#define DAY_MS 86400000LL

void hold_judge(struct hold_check *h)
{
    /* one rejection per worker and project is always allowed, so small projects do not need an admin for each */
    h->share = h->rejections > 1 && h->rejections * 100 > h->submissions * HOLD_SHARE_PERCENT;
    h->daily = h->rejections_today > HOLD_DAILY_MAX;
}

db_rc hold_check_rejection(db *d, const struct project *p, const struct assignment *as, int64_t now,
                           struct hold_check *out)
{
    memset(out, 0, sizeof *out);
    int64_t v[2];
    db_rc rc = store_row_i64(d, Q_HOLD_WORKER_COUNTS, (struct sql_arg[]){{.i = p->id}, {.i = as->worker_id}}, 2, v, 2);
    if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
    out->submissions = v[0];
    out->rejections = v[1] + 1;
    int64_t day = now - now % DAY_MS, today;
    rc = store_row_i64(d, Q_HOLD_REJECTIONS_DAY,
                       (struct sql_arg[]){{.i = p->owner_id}, {.i = as->worker_id}, {.i = day}, {.i = day + DAY_MS}}, 4,
                       &today, 1);
    if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
    out->rejections_today = today + 1;
    hold_judge(out);
    return DB_OK;
}

static const char *rule_name(const struct hold_check *h)
{
    return h->share && h->daily ? "share_and_daily" : h->share ? "share" : "daily";
}

/* JSON text in the arena (for audit details). */
static char *json_text(arena *a, json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(v);
    if (!s) return NULL;
    char *out = arena_strdup(a, s);
    free(s);
    return out;
}

db_rc hold_record(db *d, arena *a, const struct project *p, const struct assignment *as, int64_t reviewer_id,
                  int64_t review_id, const char *reason_code, const struct hold_check *h, int64_t now,
                  int64_t *hold_id)
{
    int64_t moved = 0;
    db_rc rc = store_exec_args(d, Q_ASSIGNMENT_SET_PAY,
                               (struct sql_arg[]){{.i = as->id}, {.text = "held"}, {.null = true}, {.text = "pending"}}, 4,
                               &moved);
    if (rc != DB_OK) return rc;
    struct sql_arg ins[] = {{.i = as->id},           {.i = p->id},          {.i = as->worker_id},
                            {.i = p->owner_id},      {.i = reviewer_id},    {.i = review_id},
                            {.text = rule_name(h)},  {.i = h->rejections},  {.i = h->submissions},
                            {.i = h->rejections_today}, {.i = moved == 1}, {.i = now}};
    rc = store_row_i64(d, Q_HOLD_INSERT, ins, 12, hold_id, 1);
    if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
    char *detail = json_text(a, json_pack("{s:I, s:I, s:I, s:s, s:I, s:I, s:I, s:b}", "hold_id", (json_int_t)*hold_id,
                                          "assignment_id", (json_int_t)as->id, "worker_id", (json_int_t)as->worker_id,
                                          "rule", rule_name(h), "rejections", (json_int_t)h->rejections, "submissions",
                                          (json_int_t)h->submissions, "rejections_today",
                                          (json_int_t)h->rejections_today, "pay_held", moved == 1));
    if (!detail) return DB_ERROR;
    rc = store_audit_append(d, now, reviewer_id, "rejection.held", p->name, detail);
    if (rc != DB_OK) return rc;
    const char *why = h->share ? arena_printf(a, "%lld of your %lld answers in the project would be rejected, more "
                                                 "than %d%%", (long long)h->rejections, (long long)h->submissions,
                                              HOLD_SHARE_PERCENT)
                               : arena_printf(a, "it would be rejection number %lld from this requester today, more "
                                                 "than %d", (long long)h->rejections_today, HOLD_DAILY_MAX);
    const char *body = arena_printf(a, "A rejection of your answer %lld in \"%s\" (reason %s) is held for human review "
                                       "by an admin, because %s (FW-4). It does not count against you until then%s.",
                                    (long long)as->id, p->name, reason_code ? reason_code : "-", why,
                                    moved == 1 ? ", and its reward stays in your pending balance" : "");
    rc = decision_record_hold(d, a, p, as, reviewer_id, *hold_id, rule_name(h), body, now); /* FW-18 */
    if (rc != DB_OK) return rc;
    /* the why (body) is in the decision statement; the notice is in the worker's language */
    json_t *vars = json_pack("{s:I, s:s}", "assignment_id", (json_int_t)as->id, "project", p->name);
    rc = vars ? notice_send(d, as->worker_id, "rejection_held", "rejection_held", vars, "/worker#due-process", now)
              : DB_ERROR;
    json_decref(vars);
    return rc;
}

db_rc review_apply_rejection(db *d, const struct project *p, const struct assignment *as)
{
    int64_t st[6], changed = 0;
    db_rc rc = store_row_i64(d, Q_TASK_STATE, (struct sql_arg[]){{.i = as->task_id}}, 1, st, 6);
    if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
    rc = store_exec_args(d, Q_TASK_COUNTS_ADD, (struct sql_arg[]){{.i = as->task_id}, {.i = 0}, {.i = -1}}, 3, &changed);
    if (rc != DB_OK || changed != 1) return rc == DB_OK ? DB_ERROR : rc;
    struct sql_arg u[] = {{.i = p->id}, {.i = st[1] == 1 ? 1 : 0}, {.i = st[1] == st[0] ? 1 : 0}};
    return store_exec_args(d, Q_PROJECT_UNCOUNT_ANSWER, u, 3, NULL);
}

/* ---- routes ---- */

struct holds_ctx {
    req *r;
    int64_t now, before;
    const char *state, *decision, *note;
    err_id err;
    const char *detail;
    json_t *out;
    struct assignment as;
    struct project p;
    const char *pay_state;
};

static tx_rc list_tx(db *d, void *vctx)
{
    struct holds_ctx *c = vctx;
    static const char *const cols[] = {"i:id", "i:assignment_id", "i:project_id", "s:project_name", "i:worker_id",
                                       "s:worker_name", "i:requester_id", "i:reviewer_id", "s:reason_code", "s:note",
                                       "s:rule", "i:rejections", "i:submissions", "i:rejections_today", "b:pay_held",
                                       "i:reward_micros", "s:currency", "s:state", "i:decided_by", "s:decision_note",
                                       "t:created_at", "t:decided_at", NULL};
    struct sql_arg a[] = {{.text = c->state}, {.i = c->before}, {.i = 200}};
    TX_CHECK(store_rows_json(d, Q_HOLDS_LIST, a, 3, cols, &c->out));
    return TX_COMMIT;
}

/* GET /api/v1/rejection-holds?state=open|upheld|overturned|all (default open); ?before=ID pages back. */
void rejection_holds_list(req *r)
{
    struct holds_ctx c = {.r = r, .before = INT64_MAX, .state = "open"};
    const char *s = req_query(r, "state");
    if (s) {
        if (!strcmp(s, "all")) c.state = "";
        else if (!strcmp(s, "open") || !strcmp(s, "upheld") || !strcmp(s, "overturned")) c.state = s;
        else {
            reply_error(r, ERR_BAD_QUERY, "state", "?state must be open, upheld, overturned or all");
            return;
        }
    }
    if (req_query_id(r, "before", &c.before) != RES_OK) return;
    store_rc rc = store_run(r->db, false, list_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, json_pack("{s:o}", "items", c.out));
}

struct hold_decision {
    int64_t hold_id, actor_id; /* actor 0: the hold lapsed (HOLD_LAPSE_MS) and resolves for the worker */
    bool uphold;
    const char *note;
    const struct pay_config *pay;
    arena *a;
    int64_t now;
    /* out */
    struct assignment as;
    struct project p;
    const char *pay_state;
};

/* Upholds or overturns an open hold in the caller's transaction. DB_DONE: no such hold (*decided false) or
 * decided already (*decided true). */
static db_rc hold_decide(db *d, struct hold_decision *x, bool *decided)
{
    int64_t h[5];
    *decided = false;
    db_rc rc = store_row_i64(d, Q_HOLD_GET, (struct sql_arg[]){{.i = x->hold_id}}, 1, h, 5);
    if (rc != DB_ROW) return rc;
    int64_t changed = 0;
    struct sql_arg dec[] = {{.i = x->hold_id}, {.text = x->uphold ? "upheld" : "overturned"},
                            {.i = x->actor_id, .null = x->actor_id == 0}, {.text = x->note}, {.i = x->now}};
    rc = store_exec_args(d, Q_HOLD_DECIDE, dec, 5, &changed);
    if (rc != DB_OK) return rc;
    if (changed != 1) {
        *decided = true;
        return DB_DONE;
    }
    rc = store_assignment_get(d, x->a, h[1], &x->as);
    if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
    rc = store_project_get(d, x->a, x->as.project_id, false, &x->p);
    if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
    const char *state = x->uphold ? "rejected" : "accepted";
    rc = store_exec_args(d, Q_ASSIGNMENT_HELD_DECIDE, (struct sql_arg[]){{.i = x->as.id}, {.text = state}}, 2, &changed);
    if (rc != DB_OK) return rc;
    if (changed != 1) return DB_ERROR; /* a hold is open only while its answer is held */
    x->as.review_state = state;
    if (x->uphold) {
        /* the rejection takes effect now, as if applied at review: the task wants another answer */
        rc = review_apply_rejection(d, &x->p, &x->as);
        if (rc != DB_OK) return rc;
        json_t *holder;
        struct quality_config cfg;
        quality_load(&x->p, &holder, &cfg);
        rc = quality_task_result(d, x->a, &x->p, &cfg, x->as.task_id, x->now);
        json_decref(holder);
        if (rc != DB_OK && rc != DB_ROW && rc != DB_DONE) return rc;
    }
    x->pay_state = NULL; /* the reward was not held (unpaid project, or owed): it stays as it is */
    if (h[2]) {
        rc = store_exec_args(d, Q_ASSIGNMENT_SET_PAY,
                             (struct sql_arg[]){{.i = x->as.id}, {.text = "pending"}, {.null = true}, {.text = "held"}}, 4,
                             &changed);
        if (rc != DB_OK) return rc;
        if (changed != 1) return DB_ERROR;
        rc = pay_on_decision(d, x->pay, &x->p, &x->as, !x->uphold, x->actor_id, x->now);
        if (rc != DB_OK) return rc == DB_DONE ? DB_ERROR : rc;
        x->pay_state = x->uphold ? "rejected" : "approved";
        if (x->uphold && x->actor_id) { /* a person refused the held reward: appealable (FW-18) */
            rc = decision_record_pay_refusal(d, x->a, &x->p, &x->as, x->actor_id, x->hold_id, x->note, x->now);
            if (rc != DB_OK) return rc;
        }
    }
    const char *event = x->uphold ? "rejection_hold.upheld"
                        : x->actor_id ? "rejection_hold.overturned"
                                      : "rejection_hold.lapsed";
    char *detail = json_text(x->a, json_pack("{s:I, s:I, s:I, s:s, s:s}", "hold_id", (json_int_t)x->hold_id,
                                             "assignment_id", (json_int_t)x->as.id, "worker_id",
                                             (json_int_t)x->as.worker_id, "decision",
                                             x->uphold ? "uphold" : "overturn", "note", x->note));
    if (!detail) return DB_ERROR;
    rc = store_audit_append(d, x->now, x->actor_id, event, x->p.name, detail);
    if (rc != DB_OK) return rc;
    const char *template_id = x->uphold ? "rejection_upheld" : x->actor_id ? "rejection_overturned" : "rejection_hold_lapsed";
    json_t *vars = json_pack("{s:I, s:s, s:s}", "assignment_id", (json_int_t)x->as.id, "project", x->p.name, "note",
                             x->note ? x->note : "");
    rc = vars ? notice_send(d, x->as.worker_id, x->uphold ? "rejection_upheld" : "rejection_overturned", template_id,
                            vars, "/worker#due-process", x->now)
              : DB_ERROR;
    json_decref(vars);
    return rc;
}

static tx_rc decide_tx(db *d, void *vctx)
{
    struct holds_ctx *c = vctx;
    req *r = c->r;
    struct pay_config pay = {r->cfg->fee_bps, r->cfg->worker_fee_bps};
    struct hold_decision x = {.hold_id = r->id, .actor_id = r->user.id, .uphold = !strcmp(c->decision, "uphold"),
                              .note = c->note, .pay = &pay, .a = r->a, .now = c->now};
    bool decided;
    db_rc rc = hold_decide(d, &x, &decided);
    if (rc == DB_DONE) {
        c->err = decided ? ERR_HOLD_DECIDED : ERR_NOT_FOUND;
        c->detail = arena_printf(r->a, decided ? "rejection hold %lld was already decided" : "no rejection hold %lld",
                                 (long long)r->id);
        return TX_ROLLBACK;
    }
    if (rc != DB_OK) return tx_from_db(rc);
    c->as = x.as;
    c->p = x.p;
    c->pay_state = x.pay_state;
    return TX_COMMIT;
}

/* POST /api/v1/rejection-holds/{id}/decide {decision: uphold|overturn, note} (admins only: the
 * requester who rejected never decides their own hold). */
void rejection_holds_decide(req *r)
{
    struct holds_ctx c = {.r = r, .now = clock_now_ms()};
    if (req_decision_body(r, "decision", "uphold", "overturn", &c.decision, &c.note) != RES_OK) return;
    store_rc rc = store_run(r->db, true, decide_tx, &c);
    if (c.err) {
        reply_error(r, c.err, NULL, "%s", c.detail);
        return;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, json_pack("{s:I, s:s, s:I, s:s, s:o, s:s, s:I}", "id", (json_int_t)r->id, "state",
                                 !strcmp(c.decision, "uphold") ? "upheld" : "overturned", "assignment_id",
                                 (json_int_t)c.as.id, "review_state", c.as.review_state, "pay_state",
                                 c.pay_state ? json_string(c.pay_state) : json_null(),
                                 "note", c.note, "decided_by", (json_int_t)r->user.id));
}

struct lapse_ctx {
    struct hold_decision x;
    bool done;
};

static tx_rc lapse_tx(db *d, void *vctx)
{
    struct lapse_ctx *c = vctx;
    bool decided;
    db_rc rc = hold_decide(d, &c->x, &decided);
    if (rc == DB_DONE) return TX_COMMIT; /* an admin decided it meanwhile */
    if (rc != DB_OK) return tx_from_db(rc);
    c->done = true;
    return TX_COMMIT;
}

int job_hold_lapse(db *d, const struct server_config *cfg, int64_t now)
{
    json_t *rows;
    static const char *const cols[] = {"i:id", NULL};
    if (store_rows_json(d, Q_HOLDS_LAPSED, (struct sql_arg[]){{.i = now - HOLD_LAPSE_MS}, {.i = 100}}, 2, cols, &rows) !=
        DB_OK)
        return -1;
    struct pay_config pay = {cfg->fee_bps, cfg->worker_fee_bps};
    int failures = 0;
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        arena *a = arena_new(16384);
        struct lapse_ctx c = {.x = {.hold_id = json_integer_value(json_object_get(r, "id")), .uphold = false,
                                    .note = "Not decided by an admin within 14 days: resolved in the worker's favour",
                                    .pay = &pay, .a = a, .now = now}};
        if (store_run(d, true, lapse_tx, &c) != STORE_OK) failures++;
        arena_free(a);
    }
    json_decref(rows);
    return failures ? -1 : 0;
}
