/* FW-6 top-ups, the per-project median active time (FW-7's card reads it) and the hourly floor. */
#include "api/topup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/jobs.h"
#include "api/notice.h"
#include "api/project_access.h"
#include "core/active_time.h"
#include "core/calendar.h"
#include "core/money.h"
#include "core/validate.h"
#include "http/reply.h"
#include "util/clock.h"
#include "util/log.h"

bool pay_floor_hourly(const struct wage_tables *t, const char *country, const char *currency, int64_t now,
                      int64_t *floor_micros_per_hour)
{
    struct money_decimal to, from;
    if (!wage_usd_per_unit(t, currency, &to)) return false;
    int64_t platform = wage_platform_floor_usd_micros();
    struct wage_floor f;
    if (wage_worker_floor(t, country, platform, wage_date_from_unix(now / 1000), &f) == WAGE_OK &&
        f.legal_minimum_applies) {
        if (!strcmp(f.currency, currency)) {
            *floor_micros_per_hour = f.hourly_micros;
            return true;
        }
        /* the legal minimum in the country's currency, converted up: never under the law */
        return wage_usd_per_unit(t, f.currency, &from) &&
               money_convert_up(f.hourly_micros, from, to, floor_micros_per_hour);
    }
    /* the platform floor straight from USD, so it is not rounded twice */
    return money_convert_up(platform, money_decimal_one(), to, floor_micros_per_hour);
}

/* ---- the median the task card shows ---- */

struct median_ctx {
    int64_t project_id, answers, now;
};

static tx_rc median_tx(db *d, void *vctx)
{
    struct median_ctx *c = vctx;
    db_stmt *s = db_q(d, Q_ACTIVE_TIMES_OF_PROJECT);
    db_bind_i64(s, 1, c->project_id);
    size_t n = 0, cap = 0;
    int64_t *v = NULL;
    db_rc rc;
    while ((rc = db_step(s)) == DB_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            int64_t *nv = realloc(v, cap * sizeof *v);
            if (!nv) {
                free(v);
                db_reset(s);
                return TX_FAIL;
            }
            v = nv;
        }
        v[n++] = db_col_i64(s, 0);
    }
    if (rc != DB_DONE) {
        free(v);
        return tx_from_db(rc);
    }
    int64_t median = n >= ACTIVE_MEDIAN_MIN_ANSWERS ? active_median_ms(v, n) : -1;
    free(v);
    struct sql_arg a[] = {{.i = c->project_id}, {.i = c->answers}, {.i = median, .null = median < 0}, {.i = c->now}};
    TX_CHECK(store_exec_args(d, Q_ACTIVE_MEDIAN_SET, a, 4, NULL));
    return TX_COMMIT;
}

/* Recomputes the median of projects that received timed answers since the last time (20 per call). */
int job_active_medians(db *d, const struct server_config *cfg, int64_t now)
{
    (void)cfg;
    static const char *const cols[] = {"i:project_id", "i:answers", NULL};
    json_t *rows;
    if (store_rows_json(d, Q_ACTIVE_MEDIANS_DUE, (struct sql_arg[]){{.i = now - 60000}}, 1, cols, &rows) != DB_OK)
        return -1;
    int failures = 0;
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        struct median_ctx c = {json_integer_value(json_object_get(r, "project_id")),
                               json_integer_value(json_object_get(r, "answers")), now};
        if (store_run(d, true, median_tx, &c) != STORE_OK) failures++;
    }
    json_decref(rows);
    return failures ? -1 : 0;
}

/* ---- top-ups ---- */

static void money_text(int64_t micros, const char *currency, char *out, size_t n)
{
    char num[32];
    if (!money_format_micros(micros, num, sizeof num)) snprintf(num, sizeof num, "%lld micros", (long long)micros);
    snprintf(out, n, "%s %s", num, currency);
}

/* Pays one top-up (escrow → available, the platform fee on top) or reports that escrow is short. */
static db_rc post_topup(db *d, const struct pay_config *c, int64_t owner_id, const char *currency, const char *memo,
                        int64_t run_id, int64_t assignment_id, int64_t worker_id, int64_t amount, int64_t now,
                        int64_t *tx_id, bool *short_out)
{
    int64_t fee, escrow;
    if (!money_fee(amount, c->fee_bps, &fee)) fee = 0;
    *short_out = false;
    db_rc rc = store_ledger_balance(d, "escrow", owner_id, currency, &escrow);
    if (rc != DB_OK) return rc;
    if (escrow < amount + fee) {
        *short_out = true;
        return DB_OK;
    }
    char key[80];
    snprintf(key, sizeof key, "topup:%lld:%lld", (long long)run_id, (long long)assignment_id);
    struct ledger_leg legs[] = {{"escrow", owner_id, -(amount + fee)}, {"available", worker_id, amount}, {"fees", 0, fee}};
    struct ledger_post post = {.key = key, .cause = "topup", .cause_id = assignment_id, .currency = currency,
                               .memo = memo, .legs = legs, .n_legs = 3, .has_amounts = true, .gross = amount,
                               .fee = 0, .net = amount};
    bool replayed;
    return store_ledger_post(d, &post, now, tx_id, &replayed);
}

struct run_ctx {
    const struct pay_config *c;
    int64_t project_id, now;
    char period[16];
    arena *a;
    /* result */
    json_t *out;
};

static void add_amount(json_t *by_worker, int64_t worker_id, int64_t amount)
{
    char k[24];
    snprintf(k, sizeof k, "%lld", (long long)worker_id);
    json_t *v = json_object_get(by_worker, k);
    json_object_set_new(by_worker, k, json_integer((v ? json_integer_value(v) : 0) + amount));
}

static tx_rc run_tx(db *d, void *vctx)
{
    struct run_ctx *c = vctx;
    json_decref(c->out);
    c->out = NULL;
    struct project p;
    db_rc rc = store_project_get(d, c->a, c->project_id, false, &p);
    TX_CHECK(rc);
    if (rc == DB_DONE) return TX_ROLLBACK;
    int64_t prior[6];
    rc = store_row_i64(d, Q_TOPUP_RUN_GET, (struct sql_arg[]){{.i = p.id}, {.text = c->period}}, 2, prior, 6);
    TX_CHECK(rc);
    if (rc == DB_ROW) { /* this week's run happened: it pays nothing again */
        c->out = json_pack("{s:I, s:s, s:I, s:b}", "project_id", (json_int_t)p.id, "period", c->period, "run_id",
                           (json_int_t)prior[0], "created", 0);
        return TX_COMMIT;
    }
    if (p.reward_micros <= 0 || (strcmp(p.status, "published") && strcmp(p.status, "paused"))) return TX_ROLLBACK;
    static const char *const cols[] = {"i:id", "i:worker_id", "i:active_ms", "s:country", "i:before", NULL};
    json_t *rows;
    TX_CHECK(store_rows_json(d, Q_TOPUP_ANSWERS, (struct sql_arg[]){{.i = p.id}}, 1, cols, &rows));
    size_t n = json_array_size(rows);
    if (n < ACTIVE_MEDIAN_MIN_ANSWERS) { /* too few to measure: no run this time */
        c->out = json_pack("{s:I, s:s, s:I, s:b, s:s}", "project_id", (json_int_t)p.id, "period", c->period, "answers",
                           (json_int_t)n, "created", 0, "state", "too_few_answers");
        json_decref(rows);
        return TX_COMMIT;
    }
    int64_t *times = malloc(n * sizeof *times);
    if (!times) {
        json_decref(rows);
        return TX_FAIL;
    }
    for (size_t i = 0; i < n; i++) times[i] = json_integer_value(json_object_get(json_array_get(rows, i), "active_ms"));
    int64_t median_ms = active_median_ms(times, n);
    free(times);
    int64_t median_s = active_seconds_up(median_ms);
    struct wage_set ws;
    if (wage_set_load(d, &ws) != DB_OK) {
        json_decref(rows);
        return TX_FAIL;
    }
    json_t *floors = json_object(), *by_worker = json_object();
    int64_t run_id[1], total = 0, owed = 0;
    tx_rc t = TX_COMMIT;
    struct sql_arg ra[] = {{.i = p.id}, {.text = c->period}, {.i = median_ms}, {.i = (int64_t)n}, {.text = "{}"},
                           {.i = c->now}};
    rc = store_row_i64(d, Q_TOPUP_RUN_INSERT, ra, 6, run_id, 1);
    if (rc == DB_DONE) { /* another server's run of this week committed first */
        t = TX_RETRY;
        goto out;
    }
    if (rc != DB_ROW) {
        t = tx_from_db(rc);
        goto out;
    }
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        const char *country = json_string_value(json_object_get(r, "country"));
        int64_t floor, due, id = json_integer_value(json_object_get(r, "id"));
        int64_t worker = json_integer_value(json_object_get(r, "worker_id"));
        json_t *known = json_object_get(floors, country);
        if (known) floor = json_integer_value(known);
        else if (pay_floor_hourly(&ws.t, country, p.currency, c->now, &floor))
            json_object_set_new(floors, country, json_integer(floor));
        else {
            log_msg("top-up: no floor for country %s in %s; answer %lld skipped", country, p.currency, (long long)id);
            continue;
        }
        if (!money_topup(p.reward_micros, c->c->worker_fee_bps, median_s, floor, &due)) {
            t = TX_FAIL;
            goto out;
        }
        due -= json_integer_value(json_object_get(r, "before")); /* what earlier runs gave (or owe) already */
        if (due <= 0) continue;
        int64_t tx = 0;
        bool is_short = owed > 0; /* once short, the rest waits too, oldest first on the next deposit */
        if (!is_short) {
            rc = post_topup(d, c->c, p.owner_id, p.currency, p.name, run_id[0], id, worker, due, c->now, &tx, &is_short);
            if (rc != DB_OK) {
                t = tx_from_db(rc);
                goto out;
            }
        }
        struct sql_arg ta[] = {{.i = run_id[0]}, {.i = id}, {.i = p.id}, {.i = worker}, {.i = due}, {.i = floor},
                               {.text = is_short ? "owed" : "paid"}, {.i = tx, .null = is_short}, {.i = c->now},
                               {.i = c->now, .null = is_short}};
        rc = store_exec_args(d, Q_TOPUP_INSERT, ta, 10, NULL);
        if (rc != DB_OK) {
            t = tx_from_db(rc);
            goto out;
        }
        if (is_short) owed += due;
        else {
            total += due;
            add_amount(by_worker, worker, due);
        }
    }
    {
        const char *state = owed ? "short" : total ? "paid" : "nothing";
        char *info_s = NULL;
        json_t *info = json_pack("{s:I, s:I, s:I, s:I, s:O}", "median_seconds", (json_int_t)median_s, "reward_micros",
                                 (json_int_t)p.reward_micros, "worker_fee_bps", (json_int_t)c->c->worker_fee_bps,
                                 "fee_bps", (json_int_t)c->c->fee_bps, "floors_micros_per_hour", floors);
        info_s = json_dumps(info, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(info);
        struct sql_arg fa[] = {{.i = run_id[0]}, {.i = total}, {.i = owed}, {.text = state}, {.text = info_s ? info_s : "{}"}};
        rc = store_exec_args(d, Q_TOPUP_RUN_FINISH, fa, 5, NULL);
        free(info_s);
        if (rc != DB_OK) {
            t = tx_from_db(rc);
            goto out;
        }
        char amount[64], pname[160];
        snprintf(pname, sizeof pname, "%s", p.name);
        const char *k;
        json_t *v;
        json_object_foreach(by_worker, k, v) {
            money_text(json_integer_value(v), p.currency, amount, sizeof amount);
            json_t *vars = json_pack("{s:s, s:s, s:s, s:I}", "amount", amount, "project", pname, "week", c->period,
                                     "median_seconds", (json_int_t)median_s);
            rc = vars ? notice_send(d, strtoll(k, NULL, 10), "topup", "topup_paid", vars, "/worker#earnings", c->now)
                      : DB_ERROR;
            json_decref(vars);
            if (rc != DB_OK) {
                t = tx_from_db(rc);
                goto out;
            }
        }
        if (total || owed) {
            char paid_s[64], owed_s[64];
            money_text(total, p.currency, paid_s, sizeof paid_s);
            money_text(owed, p.currency, owed_s, sizeof owed_s);
            json_t *vars = json_pack("{s:s, s:I, s:s, s:s}", "project", pname, "median_seconds",
                                     (json_int_t)median_s, "paid", paid_s, "owed", owed_s);
            rc = vars ? notice_send(d, p.owner_id, "topup", owed ? "topups_charged_owed" : "topups_charged", vars,
                                    "/requester", c->now)
                      : DB_ERROR;
            json_decref(vars);
            if (rc != DB_OK) {
                t = tx_from_db(rc);
                goto out;
            }
        }
        if (owed) {
            if (!strcmp(p.status, "published")) {
                rc = store_project_set_status(d, p.id, "paused", c->now);
                if (rc != DB_OK) {
                    t = tx_from_db(rc);
                    goto out;
                }
            }
            char detail[200];
            snprintf(detail, sizeof detail, "{\"project_id\":%lld,\"run_id\":%lld,\"owed_micros\":%lld}", (long long)p.id,
                     (long long)run_id[0], (long long)owed);
            rc = store_audit_append(d, c->now, 0, "pay.topup_owed", p.name, detail);
            if (rc != DB_OK) {
                t = tx_from_db(rc);
                goto out;
            }
        }
        c->out = json_pack("{s:I, s:s, s:I, s:b, s:s, s:I, s:I, s:I, s:I, s:s}", "project_id", (json_int_t)p.id,
                           "period", c->period, "run_id", (json_int_t)run_id[0], "created", 1, "state", state,
                           "median_active_ms", (json_int_t)median_ms, "answers", (json_int_t)n, "total_micros",
                           (json_int_t)total, "owed_micros", (json_int_t)owed, "currency", p.currency);
    }
out:
    json_decref(rows);
    json_decref(floors);
    json_decref(by_worker);
    wage_set_free(&ws);
    return t;
}

int topup_run_due(db *d, const struct pay_config *c, int64_t only_project, int64_t now, json_t *runs)
{
    char period[16];
    calendar_iso_week(now, period, sizeof period);
    static const char *const cols[] = {"i:id", NULL};
    json_t *rows;
    struct sql_arg a[] = {{.text = period}, {.i = ACTIVE_MEDIAN_MIN_ANSWERS}, {.i = only_project}};
    if (store_rows_json(d, Q_TOPUP_DUE_PROJECTS, a, 3, cols, &rows) != DB_OK) return -1;
    if (only_project > 0 && !json_array_size(rows)) /* already run (or not eligible): report this week's run */
        json_array_append_new(rows, json_pack("{s:I}", "id", (json_int_t)only_project));
    int failures = 0;
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        arena *ar = arena_new(16384);
        struct run_ctx ctx = {.c = c, .project_id = json_integer_value(json_object_get(r, "id")), .now = now, .a = ar};
        memcpy(ctx.period, period, sizeof period);
        store_rc rc = store_run(d, true, run_tx, &ctx);
        if (rc != STORE_OK && rc != STORE_ABORTED) {
            log_msg("top-up: project %lld failed", (long long)ctx.project_id);
            failures++;
        }
        if (ctx.out && runs) json_array_append(runs, ctx.out);
        json_decref(ctx.out);
        arena_free(ar);
    }
    json_decref(rows);
    return failures ? -1 : 0;
}

int job_topups(db *d, const struct server_config *cfg, int64_t now)
{
    /* at most once a minute per server: the runs are weekly, and a miss costs only a minute */
    static _Thread_local int64_t next_at;
    if (now < next_at) return 0;
    next_at = now + 60000;
    struct pay_config pay = {cfg->fee_bps, cfg->worker_fee_bps};
    return topup_run_due(d, &pay, 0, now, NULL);
}

db_rc topup_settle_owed(db *d, const struct pay_config *c, int64_t owner_id, const char *currency, int64_t now, int *n)
{
    static const char *const cols[] = {"i:id", "i:run_id", "i:assignment_id", "i:worker_id", "i:amount", "i:project_id",
                                       "s:name", NULL};
    json_t *rows;
    *n = 0;
    db_rc rc = store_rows_json(d, Q_TOPUPS_OWED_OF_REQUESTER, (struct sql_arg[]){{.i = owner_id}, {.text = currency}}, 2,
                               cols, &rows);
    if (rc != DB_OK) return rc;
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
        int64_t amount = json_integer_value(json_object_get(r, "amount")), tx = 0;
        int64_t worker = json_integer_value(json_object_get(r, "worker_id"));
        const char *name = json_string_value(json_object_get(r, "name"));
        bool is_short;
        rc = post_topup(d, c, owner_id, currency, name, json_integer_value(json_object_get(r, "run_id")),
                        json_integer_value(json_object_get(r, "assignment_id")), worker, amount, now, &tx, &is_short);
        if (rc != DB_OK || is_short) break; /* oldest first; the rest waits for more money */
        rc = store_exec_args(d, Q_TOPUP_MARK_PAID,
                             (struct sql_arg[]){{.i = json_integer_value(json_object_get(r, "id"))}, {.i = tx}, {.i = now}},
                             3, NULL);
        if (rc == DB_OK)
            rc = store_exec_args(d, Q_TOPUP_RUN_SETTLED,
                                 (struct sql_arg[]){{.i = json_integer_value(json_object_get(r, "run_id"))}, {.i = amount}},
                                 2, NULL);
        if (rc == DB_OK) {
            char amount_s[64];
            money_text(amount, currency, amount_s, sizeof amount_s);
            json_t *vars = json_pack("{s:s, s:s}", "amount", amount_s, "project", name);
            rc = vars ? notice_send(d, worker, "topup", "topup_owed_paid", vars, "/worker#earnings", now) : DB_ERROR;
            json_decref(vars);
        }
        if (rc != DB_OK) break;
        (*n)++;
    }
    json_decref(rows);
    return rc;
}

/* ---- routes ---- */

/* {project_id?}: runs this week's top-ups now (admin), for every due project or the one given; replies
 * with each project's run (created false: it had run this week already, or has too few timed answers). */
void topups_run(req *r)
{
    json_t *body;
    if (req_json_body(r, &body) != RES_OK) return;
    struct verr e;
    int64_t project_id = 0;
    static const char *const keys[] = {"project_id", NULL};
    if (!json_is_object(body)) {
        reply_error(r, ERR_INVALID_FIELD, "", "the body must be a JSON object");
        return;
    }
    if (!json_only_keys(body, keys, "", &e) ||
        (json_object_get(body, "project_id") && !json_req_int(body, "project_id", 1, INT64_MAX, &project_id, &e))) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    struct pay_config pay = {r->cfg->fee_bps, r->cfg->worker_fee_bps};
    json_t *runs = json_array();
    int64_t now = clock_now_ms();
    if (topup_run_due(r->db, &pay, project_id, now, runs) != 0) {
        json_decref(runs);
        reply_store_failure(r, STORE_FAILED);
        return;
    }
    char period[16];
    calendar_iso_week(now, period, sizeof period);
    reply_json(r, 200, json_pack("{s:s, s:o}", "period", period, "runs", runs));
}

struct runs_ctx {
    req *r;
    struct project p;
    bool found;
    json_t *runs;
};

static tx_rc project_runs_tx(db *d, void *vctx)
{
    struct runs_ctx *c = vctx;
    db_rc rc = project_load(d, c->r->a, &c->r->user, c->r->role, c->r->id, ACCESS_READ, false, &c->p);
    TX_CHECK(rc);
    /* the requester who owns it and admins; a worker sees top-ups in their earnings */
    c->found = rc == DB_ROW && ((c->r->role & ROLE_ADMIN) || c->p.owner_id == c->r->user.id);
    if (!c->found) return TX_COMMIT;
    static const char *const cols[] = {"i:id", "s:period", "i:median_active_ms", "i:answers", "j:floor_info",
                                       "i:total_micros", "i:owed_micros", "s:state", "t:created_at", NULL};
    TX_CHECK(store_rows_json(d, Q_PROJECT_TOPUP_RUNS, (struct sql_arg[]){{.i = c->p.id}}, 1, cols, &c->runs));
    return TX_COMMIT;
}

/* The project's top-up runs, newest first (its requester and admins). */
void projects_topups(req *r)
{
    struct runs_ctx c = {.r = r};
    store_rc rc = store_run(r->db, false, project_runs_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    if (!c.found) {
        reply_error(r, ERR_NOT_FOUND, NULL, "no project %lld", (long long)r->id);
        return;
    }
    reply_json(r, 200, json_pack("{s:I, s:s, s:o}", "project_id", (json_int_t)c.p.id, "currency", c.p.currency, "runs",
                                 c.runs));
}
