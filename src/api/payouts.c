/* Payouts (FW-9): a worker's payout method and weekly option, withdrawals of available money (available →
 * in_transit), the admin's batches per rail and currency with their bulk-payment files, confirmation files
 * and single confirmations or failures (in_transit → external, or back to available), and the weekly job. */
#include "api/payouts.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/jobs.h"
#include "api/notice.h"
#include "api/wage_tables.h"
#include "core/calendar.h"
#include "core/country.h"
#include "core/money.h"
#include "core/payout_rail.h"
#include "core/validate.h"
#include "http/reply.h"
#include "util/clock.h"
#include "util/env.h"

static const char *const payout_cols[] = {
    "i:id", "i:worker_id", "s:origin", "s:currency", "i:amount_micros", "s:rail", "s:holder_name", "s:account",
    "s:bank_code", "s:provider", "s:state", "i:batch_id", "s:provider_reference", "s:failure_reason", "t:created_at",
    "t:updated_at", "t:settled_at", NULL};
static const char *const batch_cols[] = {"i:id", "s:rail", "s:currency", "s:state", "i:payout_count", "i:total_micros",
                                         "s:file_sha256", "i:created_by", "t:created_at", "t:sent_at", "t:done_at",
                                         "i:confirmed", "i:failed", NULL};

/* ---- configuration ---- */

static bool parse_min(int64_t *out)
{
    return env_i64_checked("FAIRLABEL_PAYOUT_MIN_USD_MICROS", PAYOUT_MIN_CAP_USD_MICROS, 10000,
                           PAYOUT_MIN_CAP_USD_MICROS, out);
}

bool payout_min_config_ok(char *err, size_t n)
{
    int64_t m;
    if (parse_min(&m)) return true;
    snprintf(err, n, "FAIRLABEL_PAYOUT_MIN_USD_MICROS must be an amount in micros from 10000 to %lld (FW-9 caps the "
                     "payout minimum at 5 USD)", PAYOUT_MIN_CAP_USD_MICROS);
    return false;
}

int64_t payout_min_usd_micros(void)
{
    int64_t m;
    return parse_min(&m) ? m : PAYOUT_MIN_CAP_USD_MICROS;
}

bool payout_minimum(db *d, const char *currency, int64_t *min_micros)
{
    int64_t usd = payout_min_usd_micros(), local;
    if (!strcmp(currency, "USD")) {
        local = usd;
    } else {
        struct wage_set ws;
        if (wage_set_load(d, &ws) != DB_OK) return false;
        struct money_decimal rate;
        bool known = wage_usd_per_unit(&ws.t, currency, &rate);
        bool ok = !known || money_convert_up(usd, money_decimal_one(), rate, &local);
        wage_set_free(&ws);
        if (!ok) return false;
        /* no rate to tell what 5 USD is: a cent, so the money can still leave (FW-9 caps the minimum, not the floor) */
        if (!known) local = 10000;
    }
    *min_micros = (local + 9999) / 10000 * 10000; /* payouts are whole cents */
    return true;
}

/* ---- shared pieces ---- */

static json_t *payout_json(json_t *row)
{
    char ref[32];
    snprintf(ref, sizeof ref, PAYOUT_REF_PREFIX "%lld", (long long)json_integer_value(json_object_get(row, "id")));
    json_object_set_new(row, "reference", json_string(ref));
    return row;
}

/* The payout's row (DB_ROW) or DB_DONE. */
static db_rc payout_load(db *d, int64_t id, json_t **row)
{
    json_t *rows;
    db_rc rc = store_rows_json(d, Q_PAYOUT_GET, (struct sql_arg[]){{.i = id}}, 1, payout_cols, &rows);
    if (rc != DB_OK) return rc;
    *row = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    return *row ? DB_ROW : DB_DONE;
}

static db_rc audit_json(db *d, int64_t now, int64_t actor, const char *action, const char *kind, int64_t id,
                        json_t *detail)
{
    char target[64];
    snprintf(target, sizeof target, "%s:%lld", kind, (long long)id);
    char *s = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(detail);
    if (!s) return DB_ERROR;
    db_rc rc = store_audit_append(d, now, actor, action, target, s);
    free(s);
    return rc;
}

/* When no payout of the batch is open any more, the batch is done. */
static db_rc batch_maybe_done(db *d, int64_t batch_id, int64_t actor, int64_t now)
{
    if (batch_id <= 0) return DB_OK;
    int64_t open[1];
    db_rc rc = store_row_i64(d, Q_PAYOUT_BATCH_OPEN, (struct sql_arg[]){{.i = batch_id}}, 1, open, 1);
    if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
    if (open[0]) return DB_OK;
    int64_t changed = 0;
    rc = store_exec_args(d, Q_PAYOUT_BATCH_DONE, (struct sql_arg[]){{.i = batch_id}, {.i = now}}, 2, &changed);
    if (rc != DB_OK || !changed) return rc;
    return audit_json(d, now, actor, "payout_batch.done", "payout_batch", batch_id, json_object());
}

enum settle { SETTLED, UNCHANGED, CONFLICT };

/* Confirms (text: the provider's reference) or fails (text: the reason) a payout in the caller's
 * transaction, with its ledger transaction, audit entry and (on failure) the worker's notification.
 * UNCHANGED when it already is in that state with that text; CONFLICT (why set) otherwise. */
static db_rc payout_settle(db *d, int64_t id, bool confirm, const char *text, const char *via, int64_t actor,
                           int64_t now, enum settle *out, char *why, size_t whylen)
{
    json_t *p;
    db_rc rc = payout_load(d, id, &p);
    if (rc == DB_DONE) {
        snprintf(why, whylen, "no payout %s%lld", PAYOUT_REF_PREFIX, (long long)id);
        *out = CONFLICT;
        return DB_OK;
    }
    if (rc != DB_ROW) return rc;
    const char *state = json_string_value(json_object_get(p, "state"));
    const char *cur = json_string_value(json_object_get(p, "currency"));
    int64_t worker = json_integer_value(json_object_get(p, "worker_id"));
    int64_t amount = json_integer_value(json_object_get(p, "amount_micros"));
    int64_t batch = json_integer_value(json_object_get(p, "batch_id"));
    const char *final = confirm ? "confirmed" : "failed";
    if (!strcmp(state, "confirmed") || !strcmp(state, "failed")) {
        const char *had = json_string_value(json_object_get(p, confirm ? "provider_reference" : "failure_reason"));
        *out = !strcmp(state, final) && had && !strcmp(had, text) ? UNCHANGED : CONFLICT;
        if (*out == CONFLICT)
            snprintf(why, whylen, "payout %s%lld is %s already (%s)", PAYOUT_REF_PREFIX, (long long)id, state,
                     had ? had : "");
        json_decref(p);
        return DB_OK;
    }
    if (confirm && !strcmp(state, "requested")) {
        snprintf(why, whylen, "payout %s%lld was never put in a batch, so it cannot have been paid", PAYOUT_REF_PREFIX,
                 (long long)id);
        *out = CONFLICT;
        json_decref(p);
        return DB_OK;
    }
    int64_t changed = 0;
    rc = store_exec_args(d, confirm ? Q_PAYOUT_CONFIRM : Q_PAYOUT_FAIL,
                         (struct sql_arg[]){{.i = id}, {.text = text}, {.i = now}}, 3, &changed);
    if (rc != DB_OK || !changed) { /* settled in between by another transaction: run again and see how */
        json_decref(p);
        return rc == DB_OK ? DB_BUSY : rc;
    }
    char key[64], memo[300];
    snprintf(key, sizeof key, "%s:%lld", confirm ? "payout_confirm" : "payout_recredit", (long long)id);
    snprintf(memo, sizeof memo, "payout %s%lld %s: %s", PAYOUT_REF_PREFIX, (long long)id, final, text);
    struct ledger_leg confirm_legs[] = {{"in_transit", worker, -amount}, {"external", 0, amount}};
    struct ledger_leg fail_legs[] = {{"in_transit", worker, -amount}, {"available", worker, amount}};
    struct ledger_post post = {.key = key, .cause = confirm ? "payout_confirm" : "payout_recredit", .cause_id = id,
                               .currency = cur, .memo = memo, .actor_id = actor,
                               .legs = confirm ? confirm_legs : fail_legs, .n_legs = 2};
    int64_t tx_id;
    bool replayed;
    rc = store_ledger_post(d, &post, now, &tx_id, &replayed);
    if (rc == DB_OK)
        rc = audit_json(d, now, actor, confirm ? "payout.confirmed" : "payout.failed", "payout", id,
                        json_pack("{s:s, s:s, s:s, s:I, s:s, s:I}", confirm ? "reference" : "reason", text, "via", via,
                                  "from", state, "amount_micros", (json_int_t)amount, "currency", cur, "tx_id",
                                  (json_int_t)tx_id));
    if (rc == DB_OK && !confirm) {
        char amt[32], ref[48];
        money_format_micros(amount, amt, sizeof amt);
        snprintf(ref, sizeof ref, "%s%lld", PAYOUT_REF_PREFIX, (long long)id);
        json_t *vars = json_pack("{s:s, s:s, s:s, s:s}", "payout_ref", ref, "amount", amt, "currency", cur, "reason", text);
        rc = notice_send(d, worker, "payout", "payout_failed", vars, "/worker#earnings", now);
        json_decref(vars);
    }
    if (rc == DB_OK) rc = batch_maybe_done(d, batch, actor, now);
    json_decref(p);
    if (rc == DB_OK) *out = SETTLED;
    return rc;
}

/* ---- the worker's method, schedule and payouts ---- */

static char *strip_spaces(arena *a, const char *s, bool upper)
{
    char *o = arena_alloc(a, strlen(s) + 1), *w = o;
    for (; *s; s++) {
        if (*s == ' ') continue;
        *w++ = upper && *s >= 'a' && *s <= 'z' ? (char)(*s - 32) : *s;
    }
    *w = '\0';
    return o;
}

struct method_ctx {
    req *r;
    int64_t now;
    const char *rail, *holder, *account, *bank_code, *provider;
    json_t *method;
    bool weekly, has_method;
};

static tx_rc method_read(db *d, struct method_ctx *c)
{
    static const char *const cols[] = {"s:rail", "s:holder_name", "s:account", "s:bank_code", "s:provider",
                                       "b:weekly", "t:updated_at", NULL};
    json_t *rows;
    json_decref(c->method); /* from a try that was retried */
    c->method = NULL;
    TX_CHECK(store_rows_json(d, Q_PAYOUT_METHOD_GET, (struct sql_arg[]){{.i = c->r->user.id}}, 1, cols, &rows));
    c->method = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    c->has_method = c->method != NULL;
    c->weekly = c->method && json_is_true(json_object_get(c->method, "weekly"));
    return TX_COMMIT;
}

static tx_rc method_put_tx(db *d, void *vctx)
{
    struct method_ctx *c = vctx;
    struct sql_arg a[] = {{.i = c->r->user.id}, {.text = c->rail}, {.text = c->holder}, {.text = c->account},
                          {.text = c->bank_code}, {.text = c->provider}, {.i = c->now}};
    TX_CHECK(store_exec_args(d, Q_PAYOUT_METHOD_PUT, a, 7, NULL));
    TX_CHECK(audit_json(d, c->now, c->r->user.id, "payout.method", "user", c->r->user.id,
                        json_pack("{s:s, s:s}", "rail", c->rail, "account_tail",
                                  c->account + (strlen(c->account) > 4 ? strlen(c->account) - 4 : 0))));
    return method_read(d, c);
}

/* {rail, holder_name, iban | account_number + bank_code, bank_code?} or {rail, holder_name, phone, provider}. */
void me_payout_method_put(req *r)
{
    static const char *const keys[] = {"rail", "holder_name", "iban", "account_number", "bank_code", "phone",
                                       "provider", NULL};
    json_t *body;
    if (req_json_object(r, keys, &body) != RES_OK) return;
    struct method_ctx c = {.r = r, .now = clock_now_ms(), .bank_code = "", .provider = ""};
    struct verr e;
    const char *iban = NULL, *number = NULL, *bank = NULL, *phone = NULL, *provider = NULL;
    if (!json_req_string(body, "rail", 1, 40, &c.rail, &e) ||
        !json_req_string(body, "holder_name", 1, 70, &c.holder, &e) ||
        !json_opt_string(body, "iban", 60, NULL, &iban, &e) ||
        !json_opt_string(body, "account_number", 60, NULL, &number, &e) ||
        !json_opt_string(body, "bank_code", 20, NULL, &bank, &e) || !json_opt_string(body, "phone", 30, NULL, &phone, &e) ||
        !json_opt_string(body, "provider", 30, NULL, &provider, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    if (!payout_holder_name_valid(c.holder)) {
        reply_error(r, ERR_INVALID_FIELD, "/holder_name",
                    "/holder_name must be the account holder's name: printable text, not starting with = + - @");
        return;
    }
    if (!strcmp(c.rail, "bank_transfer")) {
        if (phone || provider) {
            reply_error(r, ERR_INVALID_FIELD, phone ? "/phone" : "/provider", "a bank transfer takes no %s",
                        phone ? "phone" : "provider");
            return;
        }
        if (bank) {
            c.bank_code = strip_spaces(r->a, bank, true);
            if (!payout_bank_code_valid(c.bank_code)) {
                reply_error(r, ERR_INVALID_FIELD, "/bank_code",
                            "/bank_code must be a BIC (8 or 11 characters) or a national bank code of 2-11 letters and digits");
                return;
            }
        }
        if (iban && number) {
            reply_error(r, ERR_INVALID_FIELD, "/account_number", "give either /iban or /account_number, not both");
            return;
        }
        if (iban) {
            c.account = strip_spaces(r->a, iban, true);
            if (!payout_iban_valid(c.account)) {
                reply_error(r, ERR_INVALID_FIELD, "/iban", "/iban is not a valid IBAN (country, check digits, account)");
                return;
            }
        } else if (number) {
            c.account = strip_spaces(r->a, number, false);
            if (!payout_account_number_valid(c.account)) {
                reply_error(r, ERR_INVALID_FIELD, "/account_number", "/account_number must be 4-34 digits");
                return;
            }
            if (!bank) {
                reply_error(r, ERR_INVALID_FIELD, "/bank_code", "an /account_number needs its /bank_code");
                return;
            }
        } else {
            reply_error(r, ERR_INVALID_FIELD, "/iban", "a bank transfer needs an /iban, or an /account_number and /bank_code");
            return;
        }
    } else if (!strcmp(c.rail, "mobile_money")) {
        if (iban || number || bank) {
            const char *f = iban ? "/iban" : number ? "/account_number" : "/bank_code";
            reply_error(r, ERR_INVALID_FIELD, f, "mobile money takes no %s", f + 1);
            return;
        }
        if (!phone) {
            reply_error(r, ERR_INVALID_FIELD, "/phone", "mobile money needs the /phone number (E.164, like +254712345678)");
            return;
        }
        c.account = strip_spaces(r->a, phone, false);
        if (!payout_msisdn_valid(c.account)) {
            reply_error(r, ERR_INVALID_FIELD, "/phone", "/phone must be in E.164 form: + and 8-15 digits, like +254712345678");
            return;
        }
        if (!provider) {
            reply_error(r, ERR_INVALID_FIELD, "/provider", "mobile money needs the /provider (like MPESA)");
            return;
        }
        c.provider = strip_spaces(r->a, provider, true);
        if (!payout_provider_valid(c.provider)) {
            reply_error(r, ERR_INVALID_FIELD, "/provider", "/provider must be 2-20 letters, digits or _ (like MPESA)");
            return;
        }
    } else {
        reply_error(r, ERR_INVALID_FIELD, "/rail", "/rail must be bank_transfer or mobile_money");
        return;
    }
    store_rc rc = store_run(r->db, true, method_put_tx, &c);
    if (rc != STORE_OK) {
        json_decref(c.method);
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, c.method);
}

static tx_rc schedule_tx(db *d, void *vctx)
{
    struct method_ctx *c = vctx;
    int64_t changed = 0;
    TX_CHECK(store_exec_args(d, Q_PAYOUT_SCHEDULE_SET,
                             (struct sql_arg[]){{.i = c->r->user.id}, {.i = c->weekly}, {.i = c->now}}, 3, &changed));
    if (!changed) return TX_ROLLBACK; /* no method yet */
    TX_CHECK(audit_json(d, c->now, c->r->user.id, "payout.schedule", "user", c->r->user.id,
                        json_pack("{s:b}", "weekly", c->weekly)));
    return TX_COMMIT;
}

/* {weekly: bool} */
void me_payout_schedule_put(req *r)
{
    static const char *const keys[] = {"weekly", NULL};
    json_t *body;
    if (req_json_object(r, keys, &body) != RES_OK) return;
    if (!json_is_boolean(json_object_get(body, "weekly"))) {
        reply_error(r, ERR_INVALID_FIELD, "/weekly", "/weekly must be true or false");
        return;
    }
    struct method_ctx c = {.r = r, .now = clock_now_ms(), .weekly = json_is_true(json_object_get(body, "weekly"))};
    store_rc rc = store_run(r->db, true, schedule_tx, &c);
    if (rc == STORE_ABORTED) {
        reply_error(r, ERR_PAYOUT_METHOD_MISSING, NULL, "set a payout method (PUT /api/v1/me/payout-method) first");
        return;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, json_pack("{s:b, s:I}", "weekly", c.weekly, "minimum_usd_micros",
                                 (json_int_t)payout_min_usd_micros()));
}

struct request_ctx {
    int64_t worker_id, amount, now, actor_id, payout_id, available;
    const char *currency, *key, *origin;
    bool replayed;
    err_id err;
    const char *field;
    char detail[240];
    json_t *payout;
};

static tx_rc request_tx(db *d, void *vctx)
{
    struct request_ctx *c = vctx;
    c->replayed = false;
    json_decref(c->payout); /* from a try that was retried */
    c->payout = NULL;
    struct sql_arg a[] = {{.i = c->worker_id}, {.text = c->key}, {.text = c->origin}, {.text = c->currency},
                          {.i = c->amount}, {.i = c->now}};
    int64_t id[1];
    db_rc rc = store_row_i64(d, Q_PAYOUT_INSERT, a, 6, id, 1);
    TX_CHECK(rc);
    if (rc == DB_DONE) { /* the key was used, or the worker has no method */
        json_t *rows;
        static const char *const cols[] = {"i:id", "i:amount", "s:currency", NULL};
        TX_CHECK(store_rows_json(d, Q_PAYOUT_BY_KEY, (struct sql_arg[]){{.text = c->key}}, 1, cols, &rows));
        json_t *row = json_array_get(rows, 0);
        if (!row) {
            json_decref(rows);
            c->err = ERR_PAYOUT_METHOD_MISSING;
            snprintf(c->detail, sizeof c->detail, "set a payout method (PUT /api/v1/me/payout-method) first");
            return TX_ROLLBACK;
        }
        bool same = json_integer_value(json_object_get(row, "amount")) == c->amount &&
                    !strcmp(json_string_value(json_object_get(row, "currency")), c->currency);
        c->payout_id = json_integer_value(json_object_get(row, "id"));
        json_decref(rows);
        if (!same) {
            c->err = ERR_PAYOUT_KEY_REUSED;
            c->field = "/idempotency_key";
            snprintf(c->detail, sizeof c->detail, "this key asked for payout %s%lld of another amount or currency",
                     PAYOUT_REF_PREFIX, (long long)c->payout_id);
            return TX_ROLLBACK;
        }
        c->replayed = true;
    } else {
        c->payout_id = id[0];
        TX_CHECK(store_ledger_balance(d, "available", c->worker_id, c->currency, &c->available));
        if (c->available < c->amount) {
            c->err = ERR_PAYOUT_OVER_AVAILABLE;
            c->field = "/amount_micros";
            snprintf(c->detail, sizeof c->detail, "/amount_micros %lld is more than the %lld micro-%s available",
                     (long long)c->amount, (long long)c->available, c->currency);
            return TX_ROLLBACK;
        }
        char key[48], memo[64];
        snprintf(key, sizeof key, "payout:%lld", (long long)c->payout_id);
        snprintf(memo, sizeof memo, "payout %s%lld", PAYOUT_REF_PREFIX, (long long)c->payout_id);
        struct ledger_leg legs[] = {{"available", c->worker_id, -c->amount}, {"in_transit", c->worker_id, c->amount}};
        struct ledger_post post = {.key = key, .cause = "payout", .cause_id = c->payout_id, .currency = c->currency,
                                   .memo = memo, .actor_id = c->actor_id, .legs = legs, .n_legs = 2};
        int64_t tx;
        bool replayed;
        rc = store_ledger_post(d, &post, c->now, &tx, &replayed);
        if (rc == DB_CONSTRAINT) { /* a concurrent payout took the money first */
            c->err = ERR_PAYOUT_OVER_AVAILABLE;
            c->field = "/amount_micros";
            snprintf(c->detail, sizeof c->detail, "/amount_micros is more than the available balance");
            return TX_ROLLBACK;
        }
        TX_CHECK(rc);
        TX_CHECK(audit_json(d, c->now, c->actor_id, "payout.requested", "payout", c->payout_id,
                            json_pack("{s:I, s:s, s:s, s:I}", "amount_micros", (json_int_t)c->amount, "currency",
                                      c->currency, "origin", c->origin, "tx_id", (json_int_t)tx)));
    }
    rc = payout_load(d, c->payout_id, &c->payout);
    TX_CHECK(rc);
    return rc == DB_ROW ? TX_COMMIT : TX_FAIL;
}

tx_rc payout_request_in_tx(db *d, int64_t worker_id, const char *currency, int64_t amount, const char *key,
                           const char *origin, int64_t now, int64_t *payout_id, err_id *err)
{
    struct request_ctx c = {.worker_id = worker_id, .amount = amount, .now = now, .currency = currency, .key = key,
                            .origin = origin};
    tx_rc t = request_tx(d, &c);
    json_decref(c.payout);
    *payout_id = c.payout_id;
    *err = c.err;
    return t;
}

/* {amount_micros, currency, idempotency_key?} with the key in the body or the Idempotency-Key header. */
void me_payouts_create(req *r)
{
    static const char *const keys[] = {"amount_micros", "currency", "idempotency_key", NULL};
    json_t *body;
    if (req_json_object(r, keys, &body) != RES_OK) return;
    struct request_ctx c = {.worker_id = r->user.id, .actor_id = r->user.id, .now = clock_now_ms(), .origin = "request"};
    struct verr e;
    const char *key = NULL;
    if (!json_req_int(body, "amount_micros", 1, 1000000000000000LL, &c.amount, &e) ||
        !json_req_string(body, "currency", 3, 3, &c.currency, &e) ||
        !json_opt_string(body, "idempotency_key", 200, NULL, &key, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    const char *header_key = req_header(r, "Idempotency-Key");
    if (!key) key = header_key;
    if (!key || !*key || strlen(key) > 200) {
        reply_error(r, ERR_INVALID_FIELD, "/idempotency_key",
                    "send an idempotency key (1-200 bytes) in /idempotency_key or the Idempotency-Key header");
        return;
    }
    if (!currency_code_valid(c.currency)) {
        reply_error(r, ERR_INVALID_FIELD, "/currency", "/currency must be an ISO 4217 code such as USD or KES");
        return;
    }
    if (c.amount % 10000) {
        reply_error(r, ERR_INVALID_FIELD, "/amount_micros",
                    "/amount_micros must be a whole number of cents (a multiple of 10000): payment files carry 2 decimals");
        return;
    }
    int64_t min;
    if (!payout_minimum(r->db, c.currency, &min)) {
        reply_error(r, ERR_INTERNAL, NULL, "the wage tables, which give the minimum in %s, do not load", c.currency);
        return;
    }
    if (c.amount < min) {
        char m[32];
        money_format_micros(min, m, sizeof m);
        reply_error_with(r, ERR_PAYOUT_BELOW_MINIMUM, "/amount_micros",
                         arena_printf(r->a, "/amount_micros must be at least the payout minimum, %s %s", m, c.currency),
                         json_pack("{s:I, s:s}", "minimum_micros", (json_int_t)min, "currency", c.currency));
        return;
    }
    c.key = arena_printf(r->a, "%lld:%s", (long long)r->user.id, key);
    store_rc rc = store_run(r->db, true, request_tx, &c);
    if (c.err) {
        reply_error(r, c.err, c.field, "%s", c.detail);
        return;
    }
    if (rc != STORE_OK) {
        json_decref(c.payout);
        reply_store_failure(r, rc);
        return;
    }
    json_t *p = payout_json(c.payout);
    json_object_set_new(p, "replayed", json_boolean(c.replayed));
    reply_json(r, c.replayed ? 200 : 201, p);
}

struct list_ctx {
    req *r;
    int64_t before, after, batch;
    int limit;
    const char *state;
    json_t *items, *balances;
    struct method_ctx m;
};

static tx_rc mine_tx(db *d, void *vctx)
{
    struct list_ctx *c = vctx;
    json_decref(c->balances); /* from a try that was retried */
    json_decref(c->items);
    c->balances = c->items = NULL;
    tx_rc t = method_read(d, &c->m);
    if (t != TX_COMMIT) return t;
    static const char *const bcols[] = {"s:kind", "s:currency", "i:balance", NULL};
    TX_CHECK(store_rows_json(d, Q_LEDGER_BALANCES_OF, (struct sql_arg[]){{.i = c->r->user.id}}, 1, bcols, &c->balances));
    struct sql_arg a[] = {{.i = c->r->user.id}, {.i = c->before}, {.i = c->limit}};
    TX_CHECK(store_rows_json(d, Q_PAYOUTS_OF_WORKER, a, 3, payout_cols, &c->items));
    return TX_COMMIT;
}

/* {method, weekly, minimum_usd_micros, balances: {CUR: {available_micros, in_transit_micros, minimum_micros}},
 * items: [payouts, newest first]}; ?before=ID pages back. */
void me_payouts_list(req *r)
{
    struct list_ctx c = {.r = r, .before = INT64_MAX, .limit = 100};
    c.m.r = r;
    if (req_query_id(r, "before", &c.before) != RES_OK) return;
    store_rc rc = store_run(r->db, false, mine_tx, &c);
    if (rc != STORE_OK) {
        json_decref(c.m.method);
        json_decref(c.balances);
        json_decref(c.items);
        reply_store_failure(r, rc);
        return;
    }
    json_t *by_cur = json_object();
    size_t i;
    json_t *b;
    json_array_foreach(c.balances, i, b) {
        const char *kind = json_string_value(json_object_get(b, "kind"));
        if (strcmp(kind, "available") && strcmp(kind, "in_transit")) continue;
        const char *cur = json_string_value(json_object_get(b, "currency"));
        json_t *o = json_object_get(by_cur, cur);
        if (!o) {
            int64_t min = -1;
            o = json_pack("{s:i, s:i}", "available_micros", 0, "in_transit_micros", 0);
            json_object_set_new(o, "minimum_micros", payout_minimum(r->db, cur, &min) ? json_integer(min) : json_null());
            json_object_set_new(by_cur, cur, o);
        }
        json_object_set(o, !strcmp(kind, "available") ? "available_micros" : "in_transit_micros",
                        json_object_get(b, "balance"));
    }
    json_decref(c.balances);
    json_array_foreach(c.items, i, b) payout_json(b);
    reply_json(r, 200, json_pack("{s:o, s:b, s:I, s:o, s:o}", "method", c.m.method ? c.m.method : json_null(), "weekly",
                                 c.m.weekly, "minimum_usd_micros", (json_int_t)payout_min_usd_micros(), "balances",
                                 by_cur, "items", c.items));
}

/* ---- admin: payouts ---- */

static tx_rc admin_list_tx(db *d, void *vctx)
{
    struct list_ctx *c = vctx;
    json_decref(c->items);
    c->items = NULL;
    struct sql_arg a[] = {{.text = c->state, .null = !c->state}, {.i = c->batch}, {.i = c->after}, {.i = c->limit}};
    TX_CHECK(store_rows_json(d, Q_PAYOUTS_LIST, a, 4, payout_cols, &c->items));
    return TX_COMMIT;
}

/* ?state=requested|in_batch|sent|confirmed|failed, ?batch_id=, ?after_id=, ?limit= (≤ 500) */
void payouts_list(req *r)
{
    struct list_ctx c = {.r = r};
    if (req_page(r, &c.after, &c.limit, 200, 500) != RES_OK || req_query_id(r, "batch_id", &c.batch) != RES_OK) return;
    c.state = req_query(r, "state");
    static const char *const states[] = {"requested", "in_batch", "sent", "confirmed", "failed", NULL};
    if (c.state) {
        bool ok = false;
        for (int i = 0; states[i]; i++) ok |= !strcmp(states[i], c.state);
        if (!ok) {
            reply_error(r, ERR_BAD_QUERY, "state", "?state must be requested, in_batch, sent, confirmed or failed");
            return;
        }
    }
    store_rc rc = store_run(r->db, false, admin_list_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    size_t i;
    json_t *p;
    json_array_foreach(c.items, i, p) payout_json(p);
    reply_json(r, 200, json_pack("{s:o}", "items", c.items));
}

struct settle_ctx {
    req *r;
    int64_t now;
    bool confirm;
    const char *text;
    enum settle result;
    char why[240];
    json_t *payout;
    bool missing;
};

static tx_rc settle_tx(db *d, void *vctx)
{
    struct settle_ctx *c = vctx;
    json_decref(c->payout);
    c->payout = NULL;
    json_t *p;
    db_rc rc = payout_load(d, c->r->id, &p);
    TX_CHECK(rc);
    if (rc == DB_DONE) {
        c->missing = true;
        return TX_ROLLBACK;
    }
    json_decref(p);
    TX_CHECK(payout_settle(d, c->r->id, c->confirm, c->text, "admin", c->r->user.id, c->now, &c->result, c->why,
                           sizeof c->why));
    if (c->result == CONFLICT) return TX_ROLLBACK;
    TX_CHECK(payout_load(d, c->r->id, &c->payout));
    return TX_COMMIT;
}

static void settle_one(req *r, bool confirm)
{
    const char *name = confirm ? "reference" : "reason";
    static const char *const ckeys[] = {"reference", NULL}, *const fkeys[] = {"reason", NULL};
    json_t *body;
    if (req_json_object(r, confirm ? ckeys : fkeys, &body) != RES_OK) return;
    struct verr e;
    struct settle_ctx c = {.r = r, .now = clock_now_ms(), .confirm = confirm};
    if (!json_req_string(body, name, 1, PAYOUT_TEXT_MAX - 1, &c.text, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    for (const unsigned char *p = (const unsigned char *)c.text; *p; p++)
        if (*p < 0x20 || *p == 0x7f) {
            reply_error(r, ERR_INVALID_FIELD, confirm ? "/reference" : "/reason", "/%s must be one line of text", name);
            return;
        }
    store_rc rc = store_run(r->db, true, settle_tx, &c);
    if (c.missing) {
        reply_error(r, ERR_NOT_FOUND, NULL, "no payout %lld", (long long)r->id);
        return;
    }
    if (rc == STORE_ABORTED && c.result == CONFLICT) {
        reply_error(r, ERR_PAYOUT_STATE, NULL, "%s", c.why);
        return;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    json_t *p = payout_json(c.payout);
    json_object_set_new(p, "replayed", json_boolean(c.result == UNCHANGED));
    reply_json(r, 200, p);
}

/* {reference}: the payout was paid (the provider's or bank's reference); in_transit → external. */
void payouts_confirm(req *r) { settle_one(r, true); }
/* {reason}: the payout failed; the money returns to the worker's available balance. */
void payouts_fail(req *r) { settle_one(r, false); }

/* ---- admin: batches ---- */

struct batch_ctx {
    const char *rail, *currency;
    int64_t actor, now;
    struct payout_batch_result *out;
};

static tx_rc batch_create_tx(db *d, void *vctx)
{
    struct batch_ctx *c = vctx;
    struct payout_batch_result *o = c->out;
    free(o->file);
    o->file = NULL;
    int64_t id[1];
    db_rc rc = store_row_i64(d, Q_PAYOUT_BATCH_INSERT,
                             (struct sql_arg[]){{.text = c->rail}, {.text = c->currency}, {.i = c->actor}, {.i = c->now}},
                             4, id, 1);
    if (rc != DB_ROW) return tx_from_db(rc == DB_DONE ? DB_ERROR : rc);
    o->batch_id = id[0];
    int64_t taken = 0;
    TX_CHECK(store_exec_args(d, Q_PAYOUTS_TAKE_FOR_BATCH,
                             (struct sql_arg[]){{.i = o->batch_id}, {.i = c->now}, {.text = c->rail}, {.text = c->currency}},
                             4, &taken));
    if (!taken) {
        o->err = ERR_PAYOUT_NOTHING_TO_BATCH;
        snprintf(o->detail, sizeof o->detail, "no requested %s payouts in %s", c->rail, c->currency);
        return TX_ROLLBACK;
    }
    static const char *const cols[] = {"i:id", "i:amount", "s:currency", "s:holder", "s:account", "s:bank", "s:provider",
                                       NULL};
    json_t *rows;
    TX_CHECK(store_rows_json(d, Q_PAYOUT_LINES_OF_BATCH, (struct sql_arg[]){{.i = o->batch_id}}, 1, cols, &rows));
    size_t n = json_array_size(rows);
    struct payout_line *lines = calloc(n ? n : 1, sizeof *lines);
    json_t *ids = json_array();
    if (!lines || !ids) {
        free(lines);
        json_decref(ids);
        json_decref(rows);
        return TX_FAIL;
    }
    o->total_micros = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *row = json_array_get(rows, i);
        lines[i] = (struct payout_line){json_integer_value(json_object_get(row, "id")),
                                        json_integer_value(json_object_get(row, "amount")),
                                        json_string_value(json_object_get(row, "currency")),
                                        json_string_value(json_object_get(row, "holder")),
                                        json_string_value(json_object_get(row, "account")),
                                        json_string_value(json_object_get(row, "bank")),
                                        json_string_value(json_object_get(row, "provider"))};
        o->total_micros += lines[i].amount_micros;
        json_array_append_new(ids, json_integer(lines[i].payout_id));
    }
    o->count = (int64_t)n;
    struct payout_file_error fe;
    const struct payout_rail *rail = payout_rail_find(c->rail);
    bool ok = rail->write(lines, n, &o->file, &o->file_len, &fe);
    free(lines);
    json_decref(rows);
    if (!ok) {
        json_decref(ids);
        o->err = ERR_INTERNAL;
        snprintf(o->detail, sizeof o->detail, "the batch file cannot be written: %s", fe.detail);
        return TX_ROLLBACK;
    }
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)o->file, o->file_len);
    sodium_bin2hex(o->sha256, sizeof o->sha256, h, sizeof h);
    struct sql_arg a[] = {{.i = o->batch_id}, {.i = o->count}, {.i = o->total_micros}, {.text = o->file},
                          {.text = o->sha256}};
    db_rc w = store_exec_args(d, Q_PAYOUT_BATCH_SET_FILE, a, 5, NULL);
    if (w != DB_OK) {
        json_decref(ids);
        return tx_from_db(w);
    }
    TX_CHECK(audit_json(d, c->now, c->actor, "payout_batch.created", "payout_batch", o->batch_id,
                        json_pack("{s:s, s:s, s:I, s:I, s:s, s:o}", "rail", c->rail, "currency", c->currency,
                                  "payout_count", (json_int_t)o->count, "total_micros", (json_int_t)o->total_micros,
                                  "file_sha256", o->sha256, "payouts", ids)));
    return TX_COMMIT;
}

store_rc payout_batch_create(db *d, const char *rail, const char *currency, int64_t actor_id, int64_t now,
                             struct payout_batch_result *out)
{
    memset(out, 0, sizeof *out);
    if (!payout_rail_find(rail)) {
        out->err = ERR_INVALID_FIELD;
        out->field = "/rail";
        snprintf(out->detail, sizeof out->detail, "/rail must be bank_transfer or mobile_money");
        return STORE_ABORTED;
    }
    if (!currency_code_valid(currency)) {
        out->err = ERR_INVALID_FIELD;
        out->field = "/currency";
        snprintf(out->detail, sizeof out->detail, "/currency must be an ISO 4217 code such as USD or KES");
        return STORE_ABORTED;
    }
    struct batch_ctx c = {rail, currency, actor_id, now, out};
    store_rc rc = store_run(d, true, batch_create_tx, &c);
    if (rc != STORE_OK) {
        free(out->file);
        out->file = NULL;
    }
    return rc;
}

struct batch_read_ctx {
    int64_t id, before;
    int limit;
    json_t *items;
    const char *file, *sha, *rail, *currency;
    arena *a;
};

static tx_rc batch_get_tx(db *d, void *vctx)
{
    struct batch_read_ctx *c = vctx;
    json_decref(c->items);
    c->items = NULL;
    if (c->id)
        TX_CHECK(store_rows_json(d, Q_PAYOUT_BATCH_GET, (struct sql_arg[]){{.i = c->id}}, 1, batch_cols, &c->items));
    else
        TX_CHECK(store_rows_json(d, Q_PAYOUT_BATCHES_LIST, (struct sql_arg[]){{.i = c->before}, {.i = c->limit}}, 2,
                                 batch_cols, &c->items));
    return TX_COMMIT;
}

static json_t *batch_read(req *r, int64_t id)
{
    struct batch_read_ctx c = {.id = id};
    if (store_run(r->db, false, batch_get_tx, &c) != STORE_OK) return NULL;
    json_t *b = json_incref(json_array_get(c.items, 0));
    json_decref(c.items);
    return b ? b : json_null();
}

/* {rail, currency} */
void payout_batches_create(req *r)
{
    static const char *const keys[] = {"rail", "currency", NULL};
    json_t *body;
    if (req_json_object(r, keys, &body) != RES_OK) return;
    struct verr e;
    const char *rail, *currency;
    if (!json_req_string(body, "rail", 1, 40, &rail, &e) || !json_req_string(body, "currency", 3, 3, &currency, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    struct payout_batch_result res;
    store_rc rc = payout_batch_create(r->db, rail, currency, r->user.id, clock_now_ms(), &res);
    free(res.file);
    if (res.err) {
        reply_error(r, res.err, res.field, "%s", res.detail);
        return;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    json_t *b = batch_read(r, res.batch_id);
    if (!b || json_is_null(b)) {
        json_decref(b);
        reply_store_failure(r, STORE_FAILED);
        return;
    }
    reply_json(r, 201, b);
}

/* ?before=ID pages back, newest first. */
void payout_batches_list(req *r)
{
    struct batch_read_ctx c = {.before = INT64_MAX, .limit = 100};
    if (req_query_id(r, "before", &c.before) != RES_OK) return;
    store_rc rc = store_run(r->db, false, batch_get_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, json_pack("{s:o}", "items", c.items));
}

static tx_rc batch_file_tx(db *d, void *vctx)
{
    struct batch_read_ctx *c = vctx;
    static const char *const cols[] = {"s:file", "s:sha", "s:rail", "s:currency", NULL};
    TX_CHECK(store_rows_json(d, Q_PAYOUT_BATCH_FILE, (struct sql_arg[]){{.i = c->id}}, 1, cols, &c->items));
    json_t *row = json_array_get(c->items, 0);
    if (row) {
        c->file = arena_strdup(c->a, json_string_value(json_object_get(row, "file")));
        c->sha = arena_strdup(c->a, json_string_value(json_object_get(row, "sha")));
        c->rail = arena_strdup(c->a, json_string_value(json_object_get(row, "rail")));
        c->currency = arena_strdup(c->a, json_string_value(json_object_get(row, "currency")));
    }
    json_decref(c->items);
    c->items = NULL;
    return TX_COMMIT;
}

/* The batch file as stored (text/csv), with its SHA-256 in X-Content-SHA256. */
void payout_batches_file(req *r)
{
    struct batch_read_ctx c = {.id = r->id, .a = r->a};
    store_rc rc = store_run(r->db, false, batch_file_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    if (!c.file) {
        reply_error(r, ERR_NOT_FOUND, NULL, "no payout batch %lld", (long long)r->id);
        return;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
    evhttp_add_header(h, "X-Content-SHA256", c.sha);
    evhttp_add_header(h, "Content-Disposition",
                      arena_printf(r->a, "attachment; filename=\"payouts-%lld-%s-%s.csv\"", (long long)r->id, c.rail,
                                   c.currency));
    reply_bytes(r, 200, "text/csv; charset=utf-8", c.file, strlen(c.file));
}

struct sent_ctx {
    req *r;
    int64_t now;
    bool missing, wrong_state;
    json_t *batch;
};

static tx_rc batch_sent_tx(db *d, void *vctx)
{
    struct sent_ctx *c = vctx;
    json_decref(c->batch);
    c->batch = NULL;
    json_t *rows;
    TX_CHECK(store_rows_json(d, Q_PAYOUT_BATCH_GET, (struct sql_arg[]){{.i = c->r->id}}, 1, batch_cols, &rows));
    json_t *b = json_array_get(rows, 0);
    const char *state = b ? json_string_value(json_object_get(b, "state")) : NULL;
    bool created = state && !strcmp(state, "created"), sent = state && !strcmp(state, "sent");
    json_decref(rows);
    if (!state) {
        c->missing = true;
        return TX_ROLLBACK;
    }
    if (!created && !sent) {
        c->wrong_state = true;
        return TX_ROLLBACK;
    }
    if (created) {
        TX_CHECK(store_exec_args(d, Q_PAYOUT_BATCH_MARK_SENT, (struct sql_arg[]){{.i = c->r->id}, {.i = c->now}}, 2, NULL));
        int64_t n = 0;
        TX_CHECK(store_exec_args(d, Q_PAYOUTS_MARK_SENT, (struct sql_arg[]){{.i = c->r->id}, {.i = c->now}}, 2, &n));
        TX_CHECK(audit_json(d, c->now, c->r->user.id, "payout_batch.sent", "payout_batch", c->r->id,
                            json_pack("{s:I}", "payouts_sent", (json_int_t)n)));
    }
    TX_CHECK(store_rows_json(d, Q_PAYOUT_BATCH_GET, (struct sql_arg[]){{.i = c->r->id}}, 1, batch_cols, &rows));
    c->batch = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    return TX_COMMIT;
}

/* The file went to the bank or provider: the batch and its waiting payouts become `sent` (again: no change). */
void payout_batches_sent(req *r)
{
    struct sent_ctx c = {.r = r, .now = clock_now_ms()};
    store_rc rc = store_run(r->db, true, batch_sent_tx, &c);
    if (c.missing) {
        reply_error(r, ERR_NOT_FOUND, NULL, "no payout batch %lld", (long long)r->id);
        return;
    }
    if (c.wrong_state) {
        reply_error(r, ERR_PAYOUT_STATE, NULL, "batch %lld is done: every payout in it is confirmed or failed",
                    (long long)r->id);
        return;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, c.batch);
}

struct confirm_ctx {
    int64_t batch_id, actor, now;
    const char *text;
    size_t len;
    struct payout_confirm_result *out;
};

static tx_rc confirm_tx(db *d, void *vctx)
{
    struct confirm_ctx *c = vctx;
    struct payout_confirm_result *o = c->out;
    o->confirmed = o->failed = o->unchanged = 0;
    static const char *const cols[] = {"s:file", "s:sha", "s:rail", "s:currency", NULL};
    json_t *rows;
    TX_CHECK(store_rows_json(d, Q_PAYOUT_BATCH_FILE, (struct sql_arg[]){{.i = c->batch_id}}, 1, cols, &rows));
    json_t *b = json_array_get(rows, 0);
    if (!b) {
        json_decref(rows);
        o->err = ERR_NOT_FOUND;
        snprintf(o->detail, sizeof o->detail, "no payout batch %lld", (long long)c->batch_id);
        return TX_ROLLBACK;
    }
    const struct payout_rail *rail = payout_rail_find(json_string_value(json_object_get(b, "rail")));
    json_decref(rows);
    struct payout_outcome *out;
    size_t n;
    struct payout_file_error fe;
    if (!rail || !rail->parse(c->text, c->len, &out, &n, &fe)) {
        o->err = ERR_PAYOUT_FILE_INVALID;
        if (rail) payout_file_error_format(&fe, o->detail, sizeof o->detail);
        return TX_ROLLBACK;
    }
    unsigned char h[crypto_hash_sha256_BYTES];
    char hex[65];
    crypto_hash_sha256(h, (const unsigned char *)c->text, c->len);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    for (size_t i = 0; i < n; i++) {
        struct payout_outcome *x = &out[i];
        json_t *p;
        db_rc rc = payout_load(d, x->payout_id, &p);
        if (rc != DB_ROW && rc != DB_DONE) {
            free(out);
            return tx_from_db(rc);
        }
        const char *bad = NULL;
        int col = 1;
        if (rc == DB_DONE || json_integer_value(json_object_get(p, "batch_id")) != c->batch_id) {
            bad = "this payout is not in the batch";
        } else if (json_integer_value(json_object_get(p, "amount_micros")) != x->amount_micros) {
            bad = "the amount differs from the payout's";
            col = rail == &payout_rail_bank_transfer ? 4 : 5;
        } else if (strcmp(json_string_value(json_object_get(p, "currency")), x->currency)) {
            bad = "the currency differs from the payout's";
            col = rail == &payout_rail_bank_transfer ? 5 : 6;
        } else if (x->account[0] && strcmp(json_string_value(json_object_get(p, "account")), x->account)) {
            bad = "the phone number differs from the payout's";
            col = 2;
        }
        json_decref(p);
        if (bad) {
            o->err = ERR_PAYOUT_FILE_INVALID;
            snprintf(o->detail, sizeof o->detail, "line %zu, column %d: %s%lld: %s", x->line, col, PAYOUT_REF_PREFIX,
                     (long long)x->payout_id, bad);
            free(out);
            return TX_ROLLBACK;
        }
        enum settle s;
        char why[200];
        rc = payout_settle(d, x->payout_id, x->confirmed, x->confirmed ? x->provider_reference : x->reason, "file",
                           c->actor, c->now, &s, why, sizeof why);
        if (rc != DB_OK) {
            free(out);
            return tx_from_db(rc);
        }
        if (s == CONFLICT) {
            o->err = ERR_PAYOUT_STATE;
            snprintf(o->detail, sizeof o->detail, "line %zu: %s", x->line, why);
            free(out);
            return TX_ROLLBACK;
        }
        if (s == UNCHANGED) o->unchanged++;
        else if (x->confirmed) o->confirmed++;
        else o->failed++;
    }
    free(out);
    if (o->confirmed || o->failed)
        TX_CHECK(audit_json(d, c->now, c->actor, "payout_batch.confirmation", "payout_batch", c->batch_id,
                            json_pack("{s:s, s:i, s:i, s:i}", "file_sha256", hex, "confirmed", o->confirmed, "failed",
                                      o->failed, "unchanged", o->unchanged)));
    return TX_COMMIT;
}

store_rc payout_confirm_file(db *d, int64_t batch_id, const char *text, size_t len, int64_t actor_id, int64_t now,
                             struct payout_confirm_result *out)
{
    memset(out, 0, sizeof *out);
    out->batch_id = batch_id;
    struct confirm_ctx c = {batch_id, actor_id, now, text, len, out};
    return store_run(d, true, confirm_tx, &c);
}

/* The body is the provider's confirmation file (text/csv). */
void payout_batches_confirmation(req *r)
{
    const char *ct = req_header(r, "Content-Type");
    if (!ct || strncmp(ct, "text/csv", 8)) {
        reply_error(r, ERR_UNSUPPORTED_MEDIA_TYPE, NULL, "send the confirmation file as text/csv");
        return;
    }
    struct payout_confirm_result res;
    store_rc rc = payout_confirm_file(r->db, r->id, r->body ? r->body : "", r->body_len, r->user.id, clock_now_ms(), &res);
    if (res.err) {
        reply_error(r, res.err, NULL, "%s", res.detail);
        return;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    json_t *b = batch_read(r, r->id);
    if (!b) {
        reply_store_failure(r, STORE_FAILED);
        return;
    }
    reply_json(r, 200, json_pack("{s:I, s:i, s:i, s:i, s:o}", "batch_id", (json_int_t)r->id, "confirmed", res.confirmed,
                                 "failed", res.failed, "unchanged", res.unchanged, "batch", b));
}

/* ---- the weekly payout job ---- */

struct due_ctx {
    const char *period;
    int64_t from_user;
    json_t *rows;
};

static tx_rc due_tx(db *d, void *vctx)
{
    struct due_ctx *c = vctx;
    json_decref(c->rows);
    c->rows = NULL;
    static const char *const cols[] = {"i:user", "s:currency", "i:balance", NULL};
    struct sql_arg a[] = {{.text = c->period}, {.i = c->from_user}, {.i = 50}};
    TX_CHECK(store_rows_json(d, Q_PAYOUT_WEEKLY_DUE, a, 3, cols, &c->rows));
    return TX_COMMIT;
}

/* Workers with the weekly option get all their available money (in whole cents, at least the minimum) asked
 * for once per ISO week and currency: the key "<worker>:weekly:<YYYY-Www>:<CUR>" makes it once. */
int job_weekly_payouts(db *d, const struct server_config *cfg, int64_t now)
{
    (void)cfg;
    static int64_t from_user; /* keyset cursor, so workers under the minimum do not hide the others */
    char period[16];
    calendar_iso_week(now, period, sizeof period);
    struct due_ctx c = {.period = period, .from_user = from_user};
    if (store_run(d, false, due_tx, &c) != STORE_OK) return -1;
    size_t n = json_array_size(c.rows);
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *row = json_array_get(c.rows, i);
        int64_t user = json_integer_value(json_object_get(row, "user"));
        const char *cur = json_string_value(json_object_get(row, "currency"));
        int64_t amount = json_integer_value(json_object_get(row, "balance")) / 10000 * 10000, min;
        from_user = user;
        if (!payout_minimum(d, cur, &min) || amount < min) continue;
        char key[96];
        snprintf(key, sizeof key, "%lld:weekly:%s:%s", (long long)user, period, cur);
        struct request_ctx r = {.worker_id = user, .amount = amount, .now = now, .actor_id = 0, .currency = cur,
                                .key = key, .origin = "weekly"};
        store_rc rc = store_run(d, true, request_tx, &r);
        json_decref(r.payout);
        if (rc != STORE_OK && !r.err) failed = -1;
    }
    if (n < 50) from_user = 0; /* reached the end: start over */
    else from_user++;
    json_decref(c.rows);
    return failed;
}
