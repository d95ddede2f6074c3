/* Money over HTTP: escrow deposits recorded by an admin or announced by the payment provider's signed
 * webhook, a worker's earnings (pending, available and each line's gross, fees and net, FW-9), a
 * requester's escrow, bonuses, and the test clock. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/pay_flow.h"
#include "api/project_access.h"
#include "core/money.h"
#include "core/callback.h"
#include "core/country.h"
#include "core/validate.h"
#include "http/reply.h"
#include "util/clock.h"

struct money_ctx {
    req *r;
    int64_t now, requester_id, amount, tx_id, balance, before;
    const char *currency, *reference, *memo;
    bool replayed;
    err_id err;
    const char *field, *detail;
    json_t *balances, *lines;
};

/* Records a deposit in the caller's transaction (the admin route and the payment webhook): external →
 * escrow(requester), then owed answers are paid. c->err set (and TX_ROLLBACK) when refused. */
static tx_rc deposit_post(db *d, struct money_ctx *c, int64_t actor_id)
{
    struct user u;
    db_rc rc = store_user_by_id(d, c->r->a, c->requester_id, &u);
    TX_CHECK(rc);
    if (rc == DB_DONE || strcmp(u.role, "requester")) {
        c->err = ERR_INVALID_FIELD;
        c->field = "/requester_id";
        c->detail = "/requester_id must be the id of a requester";
        return TX_ROLLBACK;
    }
    char *key = arena_printf(c->r->a, "deposit:%s", c->reference);
    struct ledger_leg legs[] = {{"external", 0, -c->amount}, {"escrow", u.id, c->amount}};
    struct ledger_post post = {.key = key, .cause = "deposit", .cause_id = u.id, .currency = c->currency,
                               .memo = c->memo ? c->memo : c->reference, .actor_id = actor_id, .legs = legs,
                               .n_legs = 2};
    TX_CHECK(store_ledger_post(d, &post, c->now, &c->tx_id, &c->replayed));
    if (c->replayed) { /* the reference was used: fine when it was this very deposit */
        static const char *const cols[] = {"i:requester", "s:currency", "i:amount", NULL};
        json_t *rows;
        TX_CHECK(store_rows_json(d, Q_LEDGER_DEPOSIT_OF, (struct sql_arg[]){{.text = key}}, 1, cols, &rows));
        json_t *row = json_array_get(rows, 0);
        bool same = row && json_integer_value(json_object_get(row, "requester")) == u.id &&
                    !strcmp(json_string_value(json_object_get(row, "currency")), c->currency) &&
                    json_integer_value(json_object_get(row, "amount")) == c->amount;
        json_decref(rows);
        if (!same) {
            c->err = ERR_DEPOSIT_REFERENCE_USED;
            c->field = "/reference";
            c->detail = "this reference was recorded for another deposit (requester, currency or amount differ)";
            return TX_ROLLBACK;
        }
    }
    if (!c->replayed) { /* money in: what is owed from before is paid first */
        struct pay_config pay = {c->r->cfg->fee_bps, c->r->cfg->worker_fee_bps};
        int settled;
        TX_CHECK(pay_settle_owed(d, &pay, u.id, c->currency, c->now, &settled));
    }
    TX_CHECK(store_ledger_balance(d, "escrow", u.id, c->currency, &c->balance));
    return TX_COMMIT;
}

static tx_rc deposit_tx(db *d, void *vctx)
{
    struct money_ctx *c = vctx;
    return deposit_post(d, c, c->r->user.id);
}

/* {requester_id, amount_micros, currency, reference, memo?}: the reference makes it idempotent. */
void escrow_deposit(req *r)
{
    json_t *body;
    struct money_ctx c = {.r = r, .now = clock_now_ms()};
    struct verr e;
    static const char *const keys[] = {"requester_id", "amount_micros", "currency", "reference", "memo", NULL};
    if (req_json_object(r, keys, &body) != RES_OK) return;
    if (!json_req_int(body, "requester_id", 1, INT64_MAX, &c.requester_id, &e) ||
        !json_req_int(body, "amount_micros", 1, 1000000000000000LL, &c.amount, &e) ||
        !json_req_string(body, "currency", 3, 3, &c.currency, &e) ||
        !json_req_string(body, "reference", 1, 200, &c.reference, &e) ||
        !json_opt_string(body, "memo", 500, NULL, &c.memo, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    if (!currency_code_valid(c.currency)) {
        reply_error(r, ERR_INVALID_FIELD, "/currency", "/currency must be an ISO 4217 code such as USD or KES");
        return;
    }
    store_rc rc = store_run(r->db, true, deposit_tx, &c);
    if (c.err) {
        reply_error(r, c.err, c.field, "%s", c.detail);
        return;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, c.replayed ? 200 : 201,
               json_pack("{s:I, s:I, s:I, s:s, s:s, s:I, s:b}", "tx_id", (json_int_t)c.tx_id, "requester_id",
                         (json_int_t)c.requester_id, "amount_micros", (json_int_t)c.amount, "currency", c.currency,
                         "reference", c.reference, "escrow_micros", (json_int_t)c.balance, "replayed", c.replayed));
}

static tx_rc mine_tx(db *d, void *vctx)
{
    struct money_ctx *c = vctx;
    req *r = c->r;
    static const char *const bcols[] = {"s:kind", "s:currency", "i:balance", NULL};
    static const char *const lcols[] = {"i:tx_id", "s:cause", "i:cause_id", "s:currency", "s:memo", "i:gross", "i:fee",
                                        "i:net", "t:created_at", "i:pending", "i:available", "i:escrow", NULL};
    TX_CHECK(store_rows_json(d, Q_LEDGER_BALANCES_OF, (struct sql_arg[]){{.i = r->user.id}}, 1, bcols, &c->balances));
    struct sql_arg a[] = {{.i = r->user.id}, {.i = c->before}, {.i = 200}};
    db_rc rc = store_rows_json(d, Q_LEDGER_LINES_OF, a, 3, lcols, &c->lines);
    if (rc != DB_OK) json_decref(c->balances);
    TX_CHECK(rc);
    return TX_COMMIT;
}

/* {balances: {CUR: {pending, available, …}}, lines: [...]}; ?before=TX pages back. */
static void reply_mine(req *r, bool worker)
{
    struct money_ctx c = {.r = r, .before = INT64_MAX};
    if (req_query_id(r, "before", &c.before) != RES_OK) return;
    store_rc rc = store_run(r->db, false, mine_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    json_t *by_cur = json_object();
    size_t i;
    json_t *b;
    json_array_foreach(c.balances, i, b) {
        const char *cur = json_string_value(json_object_get(b, "currency"));
        json_t *o = json_object_get(by_cur, cur);
        if (!o) {
            o = worker ? json_pack("{s:i, s:i}", "pending_micros", 0, "available_micros", 0)
                       : json_pack("{s:i}", "escrow_micros", 0);
            json_object_set_new(by_cur, cur, o);
        }
        char name[40];
        snprintf(name, sizeof name, "%s_micros", json_string_value(json_object_get(b, "kind")));
        json_object_set(o, name, json_object_get(b, "balance"));
    }
    json_decref(c.balances);
    json_array_foreach(c.lines, i, b) {
        /* the owner's side only: a worker never sees the requester's escrow, and the reverse */
        json_object_del(b, worker ? "escrow" : "pending");
        json_object_del(b, worker ? "escrow" : "available");
        if (!worker) {
            json_object_del(b, "gross");
            json_object_del(b, "fee");
            json_object_del(b, "net");
        }
    }
    reply_json(r, 200, json_pack("{s:o, s:o}", "balances", by_cur, "lines", c.lines));
}

void me_earnings(req *r) { reply_mine(r, true); }
void me_escrow(req *r) { reply_mine(r, false); }

/* {advance_ms}: moves the server's clock forward, so a test can see a review window pass. */
void test_clock_advance(req *r)
{
    if (!r->cfg->test_clock) {
        reply_error(r, ERR_TEST_CLOCK_OFF, NULL, "start the server with FAIRLABEL_TEST_CLOCK=1 to move its clock");
        return;
    }
    json_t *body;
    struct verr e;
    int64_t ms;
    static const char *const keys[] = {"advance_ms", NULL};
    if (req_json_object(r, keys, &body) != RES_OK) return;
    if (!json_req_int(body, "advance_ms", 0, 400LL * 86400000, &ms, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    int64_t offset = clock_advance_ms(ms);
    reply_json(r, 200, json_pack("{s:I, s:o}", "offset_ms", (json_int_t)offset, "now", json_time(clock_now_ms())));
}

/* ---- bonuses: from the requester's escrow to a worker who worked on the project, with a message ---- */

struct bonus_ctx {
    req *r;
    int64_t now, worker_id, amount, tx_id, required, available;
    const char *message, *reference;
    struct project p;
    bool replayed;
    err_id err;
    const char *field, *detail;
};

static tx_rc bonus_tx(db *d, void *vctx)
{
    struct bonus_ctx *c = vctx;
    req *r = c->r;
    db_rc rc = project_load(d, r->a, &r->user, r->role, r->id, ACCESS_OWNER, false, &c->p);
    TX_CHECK(rc);
    if (rc == DB_DONE) {
        c->err = ERR_NOT_FOUND;
        c->detail = arena_printf(r->a, "no project %lld", (long long)r->id);
        return TX_ROLLBACK;
    }
    int64_t one[1];
    rc = store_row_i64(d, Q_WORKER_WORKED_ON, (struct sql_arg[]){{.i = c->p.id}, {.i = c->worker_id}}, 2, one, 1);
    TX_CHECK(rc);
    if (rc == DB_DONE) {
        c->err = ERR_INVALID_FIELD;
        c->field = "/worker_id";
        c->detail = "/worker_id must be a worker who submitted work in this project";
        return TX_ROLLBACK;
    }
    struct pay_config pay = {r->cfg->fee_bps, r->cfg->worker_fee_bps};
    int64_t fee, net, wfee;
    if (!money_fee(c->amount, pay.fee_bps, &fee) || !money_split(c->amount, pay.worker_fee_bps, &net, &wfee)) return TX_FAIL;
    TX_CHECK(store_ledger_balance(d, "escrow", c->p.owner_id, c->p.currency, &c->available));
    c->required = c->amount + fee;
    char *key = arena_printf(r->a, "bonus:%lld:%s", (long long)c->p.id, c->reference);
    struct ledger_leg legs[] = {{"escrow", c->p.owner_id, -(c->amount + fee)}, {"available", c->worker_id, net},
                                {"fees", 0, fee + wfee}};
    struct ledger_post post = {.key = key, .cause = "bonus", .cause_id = c->p.id, .currency = c->p.currency,
                               .memo = c->message, .actor_id = r->user.id, .legs = legs, .n_legs = 3,
                               .has_amounts = true, .gross = c->amount, .fee = wfee, .net = net};
    rc = store_ledger_post(d, &post, c->now, &c->tx_id, &c->replayed);
    if (rc == DB_CONSTRAINT) { /* escrow would be overdrawn */
        c->err = ERR_ESCROW_SHORT;
        return TX_ROLLBACK;
    }
    TX_CHECK(rc);
    return TX_COMMIT;
}

/* {worker_id, amount_micros, message, reference}: the reference makes it idempotent per project. */
void projects_bonus(req *r)
{
    json_t *body;
    struct bonus_ctx c = {.r = r, .now = clock_now_ms()};
    struct verr e;
    static const char *const keys[] = {"worker_id", "amount_micros", "message", "reference", NULL};
    if (req_json_object(r, keys, &body) != RES_OK) return;
    if (!json_req_int(body, "worker_id", 1, INT64_MAX, &c.worker_id, &e) ||
        !json_req_int(body, "amount_micros", 1, 1000000000000LL, &c.amount, &e) ||
        !json_req_string(body, "message", 1, 500, &c.message, &e) ||
        !json_req_string(body, "reference", 1, 200, &c.reference, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    store_rc rc = store_run(r->db, true, bonus_tx, &c);
    if (c.err == ERR_ESCROW_SHORT) {
        reply_escrow_short(r, c.p.currency, c.required, c.available);
        return;
    }
    if (c.err) {
        reply_error(r, c.err, c.field, "%s", c.detail);
        return;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, c.replayed ? 200 : 201,
               json_pack("{s:I, s:I, s:I, s:I, s:s, s:s, s:b}", "tx_id", (json_int_t)c.tx_id, "project_id",
                         (json_int_t)c.p.id, "worker_id", (json_int_t)c.worker_id, "amount_micros",
                         (json_int_t)c.amount, "currency", c.p.currency, "message", c.message, "replayed", c.replayed));
}

/* ---- deposits announced by the payment provider's webhook ---- */

#define WEBHOOK_TOLERANCE_MS (5 * 60 * 1000LL)

struct webhook_ctx {
    struct money_ctx m;
    const char *event_id, *type, *body;
    bool event_replayed, ignored;
};

static tx_rc webhook_tx(db *d, void *vctx)
{
    struct webhook_ctx *c = vctx;
    c->event_replayed = false;
    int64_t id[2];
    struct sql_arg a[] = {{.text = c->event_id}, {.text = c->type}, {.text = c->body}, {.i = c->m.now}};
    db_rc rc = store_row_i64(d, Q_WEBHOOK_EVENT_INSERT, a, 4, id, 1);
    TX_CHECK(rc);
    if (rc == DB_DONE) { /* this event was recorded before: nothing more happens */
        rc = store_row_i64(d, Q_WEBHOOK_EVENT_GET, (struct sql_arg[]){{.text = c->event_id}}, 1, id, 2);
        TX_CHECK(rc);
        c->m.tx_id = rc == DB_ROW ? id[1] : 0;
        c->event_replayed = true;
        return TX_COMMIT;
    }
    if (c->ignored) return TX_COMMIT;
    int64_t event_row = id[0];
    tx_rc t = deposit_post(d, &c->m, 0);
    if (t != TX_COMMIT) return t;
    TX_CHECK(store_exec_args(d, Q_WEBHOOK_EVENT_SET_TX, (struct sql_arg[]){{.i = event_row}, {.i = c->m.tx_id}}, 2, NULL));
    return TX_COMMIT;
}

/* "t=<ms>,v1=<64 hex>" → t and the hex; false when malformed. */
static bool signature_parse(const char *h, int64_t *t, const char **hex)
{
    if (!h || strncmp(h, "t=", 2)) return false;
    char *end;
    long long v = strtoll(h + 2, &end, 10);
    if (end == h + 2 || strncmp(end, ",v1=", 4) || strlen(end + 4) != 64) return false;
    for (const char *p = end + 4; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return false;
    *t = v;
    *hex = end + 4;
    return true;
}

/* The payment provider tells of money paid in: signed with FAIRLABEL_PAYMENT_WEBHOOK_SECRET,
 * {id, type: "deposit.succeeded", requester_id, amount_micros, currency, reference, memo?}. Each event id is
 * recorded once; the deposit is the one the admin route records (key deposit:<reference>). */
void escrow_webhook(req *r)
{
    const char *secret = getenv("FAIRLABEL_PAYMENT_WEBHOOK_SECRET");
    if (!secret || !*secret) {
        reply_error(r, ERR_PAYMENT_WEBHOOK_OFF, NULL, "this server takes no payment webhooks");
        return;
    }
    int64_t now = clock_now_ms(), t;
    const char *given;
    if (!signature_parse(req_header(r, "X-Fairlabel-Signature"), &t, &given)) {
        reply_error(r, ERR_PAYMENT_SIGNATURE_INVALID, "X-Fairlabel-Signature",
                    "send X-Fairlabel-Signature: t=<unix ms>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">");
        return;
    }
    if (t < now - WEBHOOK_TOLERANCE_MS || t > now + WEBHOOK_TOLERANCE_MS) {
        reply_error(r, ERR_PAYMENT_SIGNATURE_STALE, "X-Fairlabel-Signature",
                    "the signature's time is %lld ms from the server's; at most 300000 are accepted",
                    (long long)(t > now ? t - now : now - t));
        return;
    }
    char expected[200];
    callback_signature(secret, t, r->body ? r->body : "", r->body_len, expected, sizeof expected);
    const char *want = strstr(expected, ",v1=");
    if (!want || strlen(want + 4) != 64 || sodium_memcmp(want + 4, given, 64) != 0) {
        reply_error(r, ERR_PAYMENT_SIGNATURE_INVALID, "X-Fairlabel-Signature", "the signature does not match the body");
        return;
    }
    json_t *body;
    if (req_json_body(r, &body) != RES_OK) return;
    if (!json_is_object(body)) {
        reply_error(r, ERR_INVALID_FIELD, "", "the body must be a JSON object");
        return;
    }
    struct webhook_ctx c = {.m = {.r = r, .now = now}};
    struct verr e;
    if (!json_req_string(body, "id", 1, 200, &c.event_id, &e) || !json_req_string(body, "type", 1, 100, &c.type, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    c.ignored = strcmp(c.type, "deposit.succeeded") != 0;
    static const char *const keys[] = {"id", "type", "requester_id", "amount_micros", "currency", "reference", "memo",
                                       NULL};
    if (!c.ignored &&
        (!json_only_keys(body, keys, "", &e) || !json_req_int(body, "requester_id", 1, INT64_MAX, &c.m.requester_id, &e) ||
         !json_req_int(body, "amount_micros", 1, 1000000000000000LL, &c.m.amount, &e) ||
         !json_req_string(body, "currency", 3, 3, &c.m.currency, &e) ||
         !json_req_string(body, "reference", 1, 200, &c.m.reference, &e) ||
         !json_opt_string(body, "memo", 500, NULL, &c.m.memo, &e))) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    if (!c.ignored && !currency_code_valid(c.m.currency)) {
        reply_error(r, ERR_INVALID_FIELD, "/currency", "/currency must be an ISO 4217 code such as USD or KES");
        return;
    }
    char *raw = arena_alloc(r->a, r->body_len + 1);
    memcpy(raw, r->body, r->body_len);
    raw[r->body_len] = '\0';
    c.body = raw;
    store_rc rc = store_run(r->db, true, webhook_tx, &c);
    if (c.m.err) {
        reply_error(r, c.m.err, c.m.field, "%s", c.m.detail);
        return;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    if (c.event_replayed || c.ignored) {
        reply_json(r, 200, json_pack("{s:s, s:b, s:b, s:o}", "event_id", c.event_id, "replayed", c.event_replayed,
                                     "ignored", c.ignored && !c.event_replayed,
                                     "tx_id", c.m.tx_id ? json_integer(c.m.tx_id) : json_null()));
        return;
    }
    reply_json(r, 201,
               json_pack("{s:s, s:b, s:b, s:I, s:I, s:I, s:s, s:s, s:I}", "event_id", c.event_id, "replayed", false,
                         "ignored", false, "tx_id", (json_int_t)c.m.tx_id, "requester_id", (json_int_t)c.m.requester_id,
                         "amount_micros", (json_int_t)c.m.amount, "currency", c.m.currency, "reference",
                         c.m.reference, "escrow_micros", (json_int_t)c.m.balance));
}
