/* Appeals (FW-20, FW-21): a worker appeals a decision within its window; a human other than the decider
 * upholds or overturns it within 14 days; one nobody decided in time resolves in the worker's favour. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/decisions.h"
#include "api/jobs.h"
#include "api/notice.h"
#include "api/pay_flow.h"
#include "core/money.h"
#include "core/validate.h"
#include "http/reply.h"
#include "util/clock.h"

/* An overturned rejection is paid: the reward and the fee that went back to the requester's escrow on
 * rejection (FW-3) leave it again, the worker's net goes to available. The answer keeps pay_state rejected
 * (its rejection transaction stands); the one "appeal:<answer>" transaction makes it whole, at most once.
 * DB_CONSTRAINT when escrow does not hold it. */
static db_rc appeal_pay(db *d, arena *a, const struct pay_config *pay, int64_t assignment_id, int64_t appeal_id,
                        int64_t actor_id, int64_t now)
{
    int64_t rejected;
    db_rc rc = store_row_i64(d, Q_ASSIGNMENT_PAY_STATE, (struct sql_arg[]){{.i = assignment_id}}, 1, &rejected, 1);
    if (rc != DB_ROW) return rc == DB_DONE ? DB_OK : rc;
    if (!rejected) return DB_OK; /* the reward was never taken back (held, or approved) */
    struct assignment as;
    struct project p;
    rc = store_assignment_get(d, a, assignment_id, &as);
    if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
    rc = store_project_get(d, a, as.project_id, false, &p);
    if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
    if (p.reward_micros <= 0 || as.gold == 2) return DB_OK;
    char skey[64], key[64];
    snprintf(skey, sizeof skey, "submission:%lld", (long long)as.id);
    int64_t r, fee, net, wfee;
    rc = store_row_i64(d, Q_LEDGER_LEG_OF, (struct sql_arg[]){{.text = skey}, {.text = "pending"}}, 2, &r, 1);
    if (rc == DB_DONE) return DB_OK; /* never paid into pending */
    if (rc != DB_ROW) return rc;
    rc = store_row_i64(d, Q_LEDGER_LEG_OF, (struct sql_arg[]){{.text = skey}, {.text = "fees"}}, 2, &fee, 1);
    if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
    if (!money_split(r, pay->worker_fee_bps, &net, &wfee)) return DB_ERROR;
    snprintf(key, sizeof key, "appeal:%lld", (long long)as.id);
    struct ledger_leg legs[] = {{"escrow", p.owner_id, -(r + fee)}, {"available", as.worker_id, net},
                                {"fees", 0, fee + wfee}};
    struct ledger_post post = {.key = key, .cause = "appeal", .cause_id = appeal_id, .currency = p.currency,
                               .memo = p.name, .actor_id = actor_id, .legs = legs, .n_legs = 3, .has_amounts = true,
                               .gross = r, .fee = wfee, .net = net};
    int64_t tx;
    bool replayed;
    return store_ledger_post(d, &post, now, &tx, &replayed);
}

struct appeal_resolution {
    int64_t appeal_id, actor_id; /* actor 0: nobody decided by the due date */
    bool overturn;
    const char *note;
    const struct pay_config *pay;
    arena *a;
    int64_t now;
    /* out: a refusal for the human path */
    err_id err;
    const char *detail;
};

/* Decides an open appeal in the caller's transaction. DB_DONE with x->err set when refused, or (overdue path)
 * when it must wait for an FW-4 hold's lapse. */
static db_rc appeal_resolve(db *d, struct appeal_resolution *x)
{
    int64_t ap[4], dec[8];
    db_rc rc = store_row_i64(d, Q_APPEAL_GET, (struct sql_arg[]){{.i = x->appeal_id}}, 1, ap, 4);
    if (rc == DB_DONE) {
        x->err = ERR_NOT_FOUND;
        x->detail = arena_printf(x->a, "no appeal %lld", (long long)x->appeal_id);
        return DB_DONE;
    }
    if (rc != DB_ROW) return rc;
    if (ap[2]) {
        x->err = ERR_APPEAL_DECIDED;
        x->detail = arena_printf(x->a, "appeal %lld was already decided", (long long)x->appeal_id);
        return DB_DONE;
    }
    rc = store_row_i64(d, Q_DECISION_GET, (struct sql_arg[]){{.i = ap[0]}}, 1, dec, 8);
    if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
    json_t *kr;
    static const char *const kcols[] = {"s:kind", "-", NULL};
    rc = store_rows_json(d, Q_DECISION_KIND, (struct sql_arg[]){{.i = ap[0]}}, 1, kcols, &kr);
    if (rc != DB_OK) return rc;
    const char *kind = arena_strdup(x->a, json_string_value(json_object_get(json_array_get(kr, 0), "kind")));
    json_decref(kr);
    if (!kind) return DB_ERROR;
    int64_t decider = dec[2], assignment = dec[5], hold = dec[6], restriction = dec[7];
    if (x->actor_id) {
        int64_t proposer = 0;
        if (restriction > 0) {
            rc = store_row_i64(d, Q_RESTRICTION_PROPOSER, (struct sql_arg[]){{.i = restriction}}, 1, &proposer, 1);
            if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
        }
        if (!due_appeal_decider_ok(decider > 0 ? decider : 0, x->actor_id) || proposer == x->actor_id) {
            x->err = ERR_APPEAL_SAME_DECIDER;
            x->detail = "you took part in the decision under appeal: another human decides the appeal (FW-20)";
            return DB_DONE;
        }
    }
    if (hold > 0) {
        int64_t hs[2];
        rc = store_row_i64(d, Q_HOLD_STATE_OF, (struct sql_arg[]){{.i = hold}}, 1, hs, 2);
        if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
        if (x->actor_id && hs[1] == x->actor_id) { /* the admin who decided the hold took part too (FW-20) */
            x->err = ERR_APPEAL_SAME_DECIDER;
            x->detail = "you decided the rejection hold under appeal: another human decides the appeal (FW-20)";
            return DB_DONE;
        }
        if (hs[0] == 0) {
            x->err = ERR_APPEAL_HOLD_OPEN;
            x->detail = arena_printf(x->a, "rejection hold %lld is still open: decide it at "
                                           "POST /api/v1/rejection-holds/%lld/decide", (long long)hold, (long long)hold);
            return DB_DONE;
        }
    }
    if (x->overturn) {
        if (restriction > 0) {
            rc = restriction_end(d, restriction, x->actor_id ? "lifted" : "lapsed", x->now);
            if (rc != DB_OK && rc != DB_DONE) return rc;
        }
        if (assignment > 0 && (!strcmp(kind, "rejection") || !strcmp(kind, "hold") || !strcmp(kind, "pay_refusal"))) {
            rc = appeal_pay(d, x->a, x->pay, assignment, x->appeal_id, x->actor_id, x->now);
            if (rc == DB_CONSTRAINT) {
                x->err = ERR_APPEAL_ESCROW_SHORT;
                x->detail = "the requester's escrow does not hold the reward; the appeal stays open until it does";
                return DB_DONE;
            }
            if (rc != DB_OK) return rc;
        }
        rc = decision_overturn_effect(d, x->a, ap[0], kind, x->actor_id, x->note, x->now);
        if (rc != DB_OK) return rc;
        rc = store_exec_args(d, Q_DECISION_SET_STATE, (struct sql_arg[]){{.i = ap[0]}, {.text = "overturned"}}, 2, NULL);
        if (rc != DB_OK) return rc;
    }
    const char *state = x->overturn ? "overturned" : "upheld";
    int64_t changed = 0;
    rc = store_exec_args(d, Q_APPEAL_DECIDE,
                         (struct sql_arg[]){{.i = x->appeal_id}, {.text = state},
                                            {.i = x->actor_id, .null = x->actor_id == 0}, {.text = x->note},
                                            {.i = x->now}},
                         5, &changed);
    if (rc != DB_OK) return rc;
    if (changed != 1) return DB_ERROR;
    const char *action = !x->actor_id ? "appeal.resolved_for_worker" : x->overturn ? "appeal.overturned" : "appeal.upheld";
    rc = decision_audit(d, x->a, x->now, x->actor_id, action, kind,
                        json_pack("{s:I, s:I, s:I, s:s, s:s}", "appeal_id", (json_int_t)x->appeal_id, "decision_id",
                                  (json_int_t)ap[0], "worker_id", (json_int_t)ap[1], "outcome", state, "note", x->note));
    if (rc != DB_OK) return rc;
    json_t *vars = json_pack("{s:I, s:s, s:s, s:s}", "appeal_id", (json_int_t)x->appeal_id, "outcome", state, "note",
                             x->note, "link", "/worker#due-process");
    if (!vars) return DB_ERROR;
    rc = notice_send(d, ap[1], x->overturn ? "appeal_overturned" : "appeal_upheld",
                     x->actor_id ? "appeal_decided" : "appeal_resolved_for_worker", vars, "/worker#due-process", x->now);
    json_decref(vars);
    return rc;
}

/* ---- routes ---- */

static const char *const appeal_cols[] = {"i:id", "i:decision_id", "i:worker_id", "s:worker_email", "s:statement",
                                          "s:state", "i:decided_by", "s:note", "t:created_at", "t:due_at",
                                          "T:decided_at", "s:decision_kind", "s:rule", "s:evidence",
                                          "i:decision_decided_by", "i:assignment_id", "i:hold_id", "i:restriction_id",
                                          NULL};

struct appeal_ctx {
    req *r;
    int64_t now, id, before;
    const char *statement, *state, *outcome, *note;
    err_id err;
    const char *detail;
    json_t *out;
};

static tx_rc appeal_tx(db *d, void *vctx)
{
    struct appeal_ctx *c = vctx;
    req *r = c->r;
    int64_t dec[8];
    db_rc rc = store_row_i64(d, Q_DECISION_GET, (struct sql_arg[]){{.i = r->id}}, 1, dec, 8);
    TX_CHECK(rc);
    if (rc == DB_DONE || dec[1] != r->user.id) { /* another's decision is not visible */
        c->err = ERR_NOT_FOUND;
        c->detail = arena_printf(r->a, "no decision %lld of yours", (long long)r->id);
        return TX_ROLLBACK;
    }
    if (!due_appeal_open(dec[3], c->now)) {
        c->err = ERR_APPEAL_WINDOW_CLOSED;
        c->detail = "the window to appeal this decision closed 30 days after it";
        return TX_ROLLBACK;
    }
    struct sql_arg ins[] = {{.i = r->id}, {.i = r->user.id}, {.text = c->statement}, {.i = c->now},
                            {.i = due_appeal_due_ms(c->now)}};
    rc = store_row_i64(d, Q_APPEAL_INSERT, ins, 5, &c->id, 1);
    TX_CHECK(rc);
    if (rc == DB_DONE) {
        c->err = ERR_APPEAL_EXISTS;
        c->detail = arena_printf(r->a, "decision %lld was already appealed", (long long)r->id);
        return TX_ROLLBACK;
    }
    TX_CHECK(decision_audit(d, r->a, c->now, r->user.id, "appeal.filed", r->user.email,
                            json_pack("{s:I, s:I}", "appeal_id", (json_int_t)c->id, "decision_id", (json_int_t)r->id)));
    struct sql_arg q[] = {{.text = ""}, {.i = c->id + 1}};
    json_t *rows;
    TX_CHECK(store_rows_json(d, Q_APPEALS_LIST, q, 2, appeal_cols, &rows));
    c->out = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    return c->out ? TX_COMMIT : TX_FAIL;
}

static void reply_appeal(req *r, struct appeal_ctx *c, store_rc rc, int status)
{
    if (c->err) {
        json_decref(c->out);
        reply_error(r, c->err, NULL, "%s", c->detail);
    } else if (rc != STORE_OK) {
        json_decref(c->out);
        reply_store_failure(r, rc);
    } else
        reply_json(r, status, c->out);
}

/* POST /api/v1/decisions/{id}/appeal {statement}: within 30 days of the decision; one appeal each. */
void decisions_appeal(req *r)
{
    static const char *const keys[] = {"statement", NULL};
    json_t *body;
    if (req_json_object(r, keys, &body) != RES_OK) return;
    struct appeal_ctx c = {.r = r, .now = clock_now_ms()};
    struct verr e;
    if (!json_req_string(body, "statement", 1, 4000, &c.statement, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    if (text_blank(c.statement)) {
        reply_error(r, ERR_INVALID_FIELD, "/statement", "/statement must say why the decision is wrong");
        return;
    }
    reply_appeal(r, &c, store_run(r->db, true, appeal_tx, &c), 201);
}

static tx_rc list_tx(db *d, void *vctx)
{
    struct appeal_ctx *c = vctx;
    struct sql_arg a[] = {{.text = c->state}, {.i = c->before}};
    TX_CHECK(store_rows_json(d, Q_APPEALS_LIST, a, 2, appeal_cols, &c->out));
    return TX_COMMIT;
}

/* GET /api/v1/appeals?state=open|upheld|overturned|all (default open)&before=ID (admins). */
void appeals_list(req *r)
{
    struct appeal_ctx c = {.r = r, .state = "open", .before = INT64_MAX};
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

static tx_rc decide_tx(db *d, void *vctx)
{
    struct appeal_ctx *c = vctx;
    req *r = c->r;
    struct pay_config pay = {r->cfg->fee_bps, r->cfg->worker_fee_bps};
    struct appeal_resolution x = {.appeal_id = r->id, .actor_id = r->user.id, .overturn = !strcmp(c->outcome, "overturned"),
                                  .note = c->note, .pay = &pay, .a = r->a, .now = c->now};
    db_rc rc = appeal_resolve(d, &x);
    if (rc == DB_DONE) {
        c->err = x.err ? x.err : ERR_INTERNAL;
        c->detail = x.detail ? x.detail : "";
        return TX_ROLLBACK;
    }
    TX_CHECK(rc);
    struct sql_arg q[] = {{.text = ""}, {.i = r->id + 1}};
    json_t *rows;
    TX_CHECK(store_rows_json(d, Q_APPEALS_LIST, q, 2, appeal_cols, &rows));
    c->out = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    return c->out ? TX_COMMIT : TX_FAIL;
}

/* POST /api/v1/appeals/{id}/decide {outcome: upheld|overturned, note} (admins other than the decider). */
void appeals_decide(req *r)
{
    struct appeal_ctx c = {.r = r, .now = clock_now_ms()};
    if (req_decision_body(r, "outcome", "upheld", "overturned", &c.outcome, &c.note) != RES_OK) return;
    reply_appeal(r, &c, store_run(r->db, true, decide_tx, &c), 200);
}

struct overdue_ctx {
    struct appeal_resolution x;
};

static tx_rc overdue_tx(db *d, void *vctx)
{
    struct overdue_ctx *c = vctx;
    c->x.err = 0;
    db_rc rc = appeal_resolve(d, &c->x);
    if (rc == DB_DONE) return TX_ROLLBACK; /* decided meanwhile, a hold still open, or escrow short: next time */
    TX_CHECK(rc);
    return TX_COMMIT;
}

int job_appeals_overdue(db *d, const struct server_config *cfg, int64_t now)
{
    json_t *rows;
    static const char *const cols[] = {"i:id", NULL};
    if (store_rows_json(d, Q_APPEALS_OVERDUE, (struct sql_arg[]){{.i = now}, {.i = 100}}, 2, cols, &rows) != DB_OK)
        return -1;
    if (!json_array_size(rows)) {
        json_decref(rows);
        return 0;
    }
    /* an appealed FW-4 hold resolves through the holds code path first (it is due by then: a hold lapses 14
     * days after it was placed, the appeal 14 days after it was filed) */
    int failures = job_hold_lapse(d, cfg, now) ? 1 : 0;
    struct pay_config pay = {cfg->fee_bps, cfg->worker_fee_bps};
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        arena *a = arena_new(16384);
        struct overdue_ctx c = {.x = {.appeal_id = json_integer_value(json_object_get(row, "id")), .overturn = true,
                                      .note = "Not decided by a human within 14 days: resolved in your favour (FW-20)",
                                      .pay = &pay, .a = a, .now = now}};
        store_rc rc = store_run(d, true, overdue_tx, &c);
        if (rc != STORE_OK && rc != STORE_ABORTED) failures++;
        arena_free(a);
    }
    json_decref(rows);
    return failures ? -1 : 0;
}
