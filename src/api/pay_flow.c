/* Escrow, pending and available: the ledger transactions of submit, approval and rejection. */
#include "api/pay_flow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/jobs.h"
#include "api/notify.h"
#include "api/quality_flow.h"
#include "api/topup.h"
#include "core/money.h"
#include "util/env.h"

void pay_config_from_env(struct pay_config *c)
{
    c->fee_bps = env_i64("FAIRLABEL_FEE_BPS", 1000, 0, 10000);
    int64_t cap = env_i64("FAIRLABEL_WORKER_FEE_CAP_BPS", 500, 0, 10000);
    c->worker_fee_bps = env_i64("FAIRLABEL_WORKER_FEE_BPS", 0, 0, cap);
}

/* What one answer costs the requester: the reward and the platform's fee on it. */
static int64_t answer_cost(const struct pay_config *c, int64_t reward, int64_t *fee)
{
    if (!money_fee(reward, c->fee_bps, fee)) *fee = 0;
    return reward + *fee;
}

db_rc pay_escrow_cover(db *d, const struct pay_config *c, int64_t owner_id, int64_t extra_id, const char *currency,
                       int64_t *required, int64_t *available)
{
    static const char *const cols[] = {"i:id", "i:reward", "s:currency", "i:tasks", "i:answers", "i:overlap",
                                       "s:quality", NULL};
    json_t *rows;
    db_rc rc = store_rows_json(d, Q_PROJECT_LIABILITIES, (struct sql_arg[]){{.i = owner_id}, {.i = extra_id}}, 2, cols,
                               &rows);
    if (rc != DB_OK) return rc;
    *required = 0;
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        if (strcmp(json_string_value(json_object_get(r, "currency")), currency)) continue;
        struct project p = {.overlap = json_integer_value(json_object_get(r, "overlap")),
                            .quality_json = json_string_value(json_object_get(r, "quality"))};
        json_t *holder;
        struct quality_config q;
        quality_load(&p, &holder, &q);
        json_decref(holder);
        /* every answer still wanted at the most overlap the project may ask for, and gold mixed in at its rate */
        int64_t slots = json_integer_value(json_object_get(r, "tasks")) * q.max_overlap -
                        json_integer_value(json_object_get(r, "answers"));
        if (slots < 0) slots = 0;
        slots += (slots * q.gold_percent + 99) / 100;
        int64_t fee;
        *required += slots * answer_cost(c, json_integer_value(json_object_get(r, "reward")), &fee);
    }
    json_decref(rows);
    return store_ledger_balance(d, "escrow", owner_id, currency, available);
}

/* The reward and fee leave escrow for the worker's pending account; the answer goes from `from` to pending. */
static db_rc post_submission(db *d, int64_t owner_id, const char *currency, const char *memo, int64_t assignment_id,
                             int64_t worker_id, int64_t reward, int64_t fee, const char *from, int64_t now)
{
    struct ledger_leg legs[] = {{"escrow", owner_id, -(reward + fee)}, {"pending", worker_id, reward}, {"fees", 0, fee}};
    char key[64];
    snprintf(key, sizeof key, "submission:%lld", (long long)assignment_id);
    struct ledger_post post = {.key = key, .cause = "submission", .cause_id = assignment_id, .currency = currency,
                               .memo = memo, .legs = legs, .n_legs = 3, .has_amounts = true, .gross = reward, .fee = 0,
                               .net = reward};
    int64_t tx;
    bool replayed;
    db_rc rc = store_ledger_post(d, &post, now, &tx, &replayed);
    if (rc != DB_OK) return rc;
    return store_exec_args(d, Q_ASSIGNMENT_SET_PAY,
                           (struct sql_arg[]){{.i = assignment_id}, {.text = "pending"}, {.null = true}, {.text = from}}, 4,
                           NULL);
}

/* Pays a qualification answer (FW-8): escrow → available, the platform fee on top like on rewards; the
 * qualification_pay row records the time and rate, and whether it was paid or is owed. */
static db_rc post_qualification(db *d, const struct pay_config *c, int64_t owner_id, const char *currency,
                                const char *memo, int64_t assignment_id, int64_t worker_id, int64_t amount,
                                int64_t now, int64_t *tx, bool *is_short)
{
    int64_t fee, escrow;
    if (!money_fee(amount, c->fee_bps, &fee)) fee = 0;
    db_rc rc = store_ledger_balance(d, "escrow", owner_id, currency, &escrow);
    if (rc != DB_OK) return rc;
    *is_short = escrow < amount + fee;
    if (*is_short) return DB_OK;
    char key[64];
    snprintf(key, sizeof key, "qualification:%lld", (long long)assignment_id);
    struct ledger_leg legs[] = {{"escrow", owner_id, -(amount + fee)}, {"available", worker_id, amount}, {"fees", 0, fee}};
    struct ledger_post post = {.key = key, .cause = "qualification", .cause_id = assignment_id, .currency = currency,
                               .memo = memo, .legs = legs, .n_legs = 3, .has_amounts = true, .gross = amount, .fee = 0,
                               .net = amount};
    bool replayed;
    return store_ledger_post(d, &post, now, tx, &replayed);
}

/* The time paid: the estimate or the measured active time, whichever is longer, within the lease. The rate:
 * the project's rate at its estimate, or the worker's floor where that is higher. */
static db_rc pay_qualification(db *d, const struct pay_config *c, const struct project *p, const struct assignment *as,
                               int64_t now)
{
    int64_t active[1];
    db_rc rc = store_row_i64(d, Q_ASSIGNMENT_ACTIVE_MS, (struct sql_arg[]){{.i = as->id}}, 1, active, 1);
    if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
    int64_t ms = p->estimated_seconds * 1000 > active[0] ? p->estimated_seconds * 1000 : active[0];
    int64_t lease_ms = as->expires_at - as->leased_at;
    if (lease_ms > 0 && ms > lease_ms) ms = lease_ms;
    if (ms < 0) ms = 0;
    int64_t rate = 0, amount = 0, tx = 0;
    if (p->estimated_seconds > 0 && !money_rate_per_hour(p->reward_micros, p->estimated_seconds, &rate)) rate = 0;
    const char *state = "recorded"; /* an unpaid project (reward 0) pays no one, its test included */
    bool is_short = false;
    if (p->reward_micros > 0) {
        static const char *const cols[] = {"s:country", NULL};
        json_t *u;
        rc = store_rows_json(d, Q_USER_COUNTRY_OF, (struct sql_arg[]){{.i = as->worker_id}}, 1, cols, &u);
        if (rc != DB_OK) return rc;
        const char *country = json_string_value(json_object_get(json_array_get(u, 0), "country"));
        struct wage_set ws;
        int64_t floor;
        if (wage_set_load(d, &ws) == DB_OK) {
            if (country && pay_floor_hourly(&ws.t, country, p->currency, now, &floor) && floor > rate) rate = floor;
            wage_set_free(&ws);
        }
        json_decref(u);
        if (!money_div_ceil((money_i128)rate * ms, 3600000, &amount)) return DB_ERROR;
        if (amount > 0) {
            rc = post_qualification(d, c, p->owner_id, p->currency, p->name, as->id, as->worker_id, amount, now, &tx,
                                    &is_short);
            if (rc != DB_OK) return rc;
            state = is_short ? "owed" : "paid";
        }
    }
    struct sql_arg a[] = {{.i = as->id}, {.i = p->id}, {.i = as->worker_id}, {.i = ms}, {.i = rate}, {.i = amount},
                          {.text = p->currency}, {.i = now}, {.text = state}, {.i = tx, .null = !tx}};
    rc = store_exec_args(d, Q_QUALIFICATION_PAY_RECORD, a, 10, NULL);
    if (rc != DB_OK || !is_short) return rc;
    if (!strcmp(p->status, "published")) rc = store_project_set_status(d, p->id, "paused", now);
    if (rc != DB_OK) return rc;
    char detail[160];
    snprintf(detail, sizeof detail, "{\"project_id\":%lld,\"assignment_id\":%lld,\"owed_micros\":%lld}",
             (long long)p->id, (long long)as->id, (long long)amount);
    return store_audit_append(d, now, 0, "pay.qualification_owed", p->name, detail);
}

db_rc pay_on_submit(db *d, const struct pay_config *c, const struct project *p, const struct assignment *as,
                    int64_t now)
{
    if (as->gold == 2) return pay_qualification(d, c, p, as, now);
    if (p->reward_micros <= 0) return DB_OK;
    int64_t fee, cost = answer_cost(c, p->reward_micros, &fee), escrow;
    db_rc rc = store_ledger_balance(d, "escrow", p->owner_id, p->currency, &escrow);
    if (rc != DB_OK) return rc;
    if (escrow < cost) {
        /* The work is done and is owed: the answer is kept as owed (a liability), and the project pauses
         * until the requester funds it; nothing is dropped. */
        rc = store_exec_args(d, Q_ASSIGNMENT_SET_PAY,
                             (struct sql_arg[]){{.i = as->id}, {.text = "owed"}, {.null = true}, {.text = "none"}}, 4, NULL);
        if (rc == DB_OK && !strcmp(p->status, "published")) rc = store_project_set_status(d, p->id, "paused", now);
        if (rc != DB_OK) return rc;
        char detail[160];
        snprintf(detail, sizeof detail, "{\"project_id\":%lld,\"assignment_id\":%lld,\"owed_micros\":%lld}",
                 (long long)p->id, (long long)as->id, (long long)cost);
        return store_audit_append(d, now, 0, "pay.owed", p->name, detail);
    }
    return post_submission(d, p->owner_id, p->currency, p->name, as->id, as->worker_id, p->reward_micros, fee, "none",
                           now);
}

db_rc pay_settle_owed(db *d, const struct pay_config *c, int64_t owner_id, const char *currency, int64_t now, int *n)
{
    static const char *const cols[] = {"i:id", "i:worker_id", "i:project_id", "i:reward", "s:name", NULL};
    json_t *rows;
    *n = 0;
    db_rc rc = store_rows_json(d, Q_OWED_OF_REQUESTER, (struct sql_arg[]){{.i = owner_id}, {.text = currency}}, 2, cols,
                               &rows);
    if (rc != DB_OK) return rc;
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        int64_t reward = json_integer_value(json_object_get(r, "reward")), fee, escrow;
        int64_t cost = answer_cost(c, reward, &fee);
        rc = store_ledger_balance(d, "escrow", owner_id, currency, &escrow);
        if (rc != DB_OK || escrow < cost) break; /* the oldest first; the rest waits for more money */
        rc = post_submission(d, owner_id, currency, json_string_value(json_object_get(r, "name")),
                             json_integer_value(json_object_get(r, "id")),
                             json_integer_value(json_object_get(r, "worker_id")), reward, fee, "owed", now);
        if (rc != DB_OK) break;
        (*n)++;
    }
    json_decref(rows);
    if (rc != DB_OK) return rc;
    /* then qualification pay and top-ups kept as owed, each oldest first */
    static const char *const qcols[] = {"i:id", "i:worker_id", "i:amount", "i:project_id", "s:name", NULL};
    rc = store_rows_json(d, Q_QUALIFICATION_OWED_OF_REQUESTER, (struct sql_arg[]){{.i = owner_id}, {.text = currency}},
                         2, qcols, &rows);
    if (rc != DB_OK) return rc;
    json_array_foreach(rows, i, r) {
        int64_t id = json_integer_value(json_object_get(r, "id")), tx = 0;
        bool is_short;
        rc = post_qualification(d, c, owner_id, currency, json_string_value(json_object_get(r, "name")), id,
                                json_integer_value(json_object_get(r, "worker_id")),
                                json_integer_value(json_object_get(r, "amount")), now, &tx, &is_short);
        if (rc != DB_OK || is_short) break;
        rc = store_exec_args(d, Q_QUALIFICATION_PAY_PAID, (struct sql_arg[]){{.i = id}, {.i = tx}}, 2, NULL);
        if (rc != DB_OK) break;
        (*n)++;
    }
    json_decref(rows);
    if (rc != DB_OK) return rc;
    int topups;
    rc = topup_settle_owed(d, c, owner_id, currency, now, &topups);
    *n += topups;
    return rc;
}

db_rc pay_on_decision(db *d, const struct pay_config *c, const struct project *p, const struct assignment *as,
                      bool approve, int64_t actor_id, int64_t now)
{
    if (p->reward_micros <= 0 || as->gold == 2) return DB_OK;
    /* what the submission moved, not today's rates: a fee changed since is not refunded wrongly */
    char skey[64];
    snprintf(skey, sizeof skey, "submission:%lld", (long long)as->id);
    int64_t r, fee, net, wfee;
    db_rc rc = store_row_i64(d, Q_LEDGER_LEG_OF, (struct sql_arg[]){{.text = skey}, {.text = "pending"}}, 2, &r, 1);
    if (rc == DB_DONE) return DB_DONE; /* never paid into pending (owed, or unpaid) */
    if (rc != DB_ROW) return rc;
    rc = store_row_i64(d, Q_LEDGER_LEG_OF, (struct sql_arg[]){{.text = skey}, {.text = "fees"}}, 2, &fee, 1);
    if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
    if (!money_split(r, c->worker_fee_bps, &net, &wfee)) return DB_ERROR;
    char key[64];
    snprintf(key, sizeof key, "%s:%lld", approve ? "approval" : "rejection", (long long)as->id);
    struct ledger_leg approve_legs[] = {{"pending", as->worker_id, -r}, {"available", as->worker_id, net},
                                        {"fees", 0, wfee}};
    struct ledger_leg reject_legs[] = {{"pending", as->worker_id, -r}, {"fees", 0, -fee},
                                       {"escrow", p->owner_id, r + fee}};
    struct ledger_post post = {.key = key, .cause = approve ? "approval" : "rejection", .cause_id = as->id,
                               .currency = p->currency, .memo = p->name, .actor_id = actor_id,
                               .legs = approve ? approve_legs : reject_legs, .n_legs = 3, .has_amounts = true,
                               .gross = approve ? r : -r, .fee = approve ? wfee : 0, .net = approve ? net : -r};
    int64_t tx;
    bool replayed;
    int64_t changed = 0;
    /* only an answer whose reward is pending moves; the state change and the money go together */
    rc = store_exec_args(d, Q_ASSIGNMENT_SET_PAY,
                               (struct sql_arg[]){{.i = as->id}, {.text = approve ? "approved" : "rejected"},
                                                  {.i = now, .null = !approve}, {.text = "pending"}},
                               4, &changed);
    if (rc != DB_OK) return rc;
    if (changed != 1) return DB_DONE;
    return store_ledger_post(d, &post, now, &tx, &replayed);
}

struct sweep_ctx {
    const struct pay_config *c;
    int64_t now, id;
    bool approved;
    arena *a;
};

static tx_rc approve_one_tx(db *d, void *vctx)
{
    struct sweep_ctx *s = vctx;
    struct assignment as;
    struct project p;
    s->approved = false;
    db_rc rc = store_assignment_get(d, s->a, s->id, &as);
    TX_CHECK(rc);
    if (rc == DB_DONE) return TX_COMMIT;
    rc = store_project_get(d, s->a, as.project_id, false, &p);
    TX_CHECK(rc);
    if (rc == DB_DONE) return TX_COMMIT;
    json_t *holder;
    struct quality_config q;
    quality_load(&p, &holder, &q);
    json_decref(holder);
    if (as.submitted_at + q.review_window_days * 86400000LL > s->now) return TX_COMMIT; /* not yet */
    /* nobody reviewed it in time: approved (FW-2), and no longer open to review. A review that got there
     * first already moved the money: then nothing happens here. */
    rc = pay_on_decision(d, s->c, &p, &as, true, 0, s->now);
    TX_CHECK(rc);
    if (rc == DB_DONE) return TX_COMMIT;
    TX_CHECK(store_exec_args(d, Q_ASSIGNMENT_SET_REVIEW_STATE, (struct sql_arg[]){{.i = as.id}, {.text = "auto_approved"}},
                             2, NULL));
    s->approved = true;
    return TX_COMMIT;
}

int pay_auto_approve(db *d, const struct pay_config *c, int64_t now, int *n)
{
    *n = 0;
    json_t *rows = NULL;
    static const char *const cols[] = {"i:id", NULL};
    /* the shortest window is a day: nothing younger can be due */
    struct sql_arg a[] = {{.i = now - 86400000LL}, {.i = 200}};
    if (store_rows_json(d, Q_PAY_PENDING_DUE, a, 2, cols, &rows) != DB_OK) return -1;
    size_t i;
    json_t *r;
    int failures = 0;
    json_array_foreach(rows, i, r) {
        arena *ar = arena_new(16384);
        struct sweep_ctx s = {.c = c, .now = now, .id = json_integer_value(json_object_get(r, "id")), .a = ar};
        if (store_run(d, true, approve_one_tx, &s) != STORE_OK) failures++;
        else if (s.approved) (*n)++;
        arena_free(ar);
    }
    json_decref(rows);
    return failures ? -1 : 0;
}

int job_auto_approve(db *d, const struct server_config *cfg, int64_t now)
{
    struct pay_config pay = {cfg->fee_bps, cfg->worker_fee_bps};
    int approved;
    return pay_auto_approve(d, &pay, now, &approved);
}
