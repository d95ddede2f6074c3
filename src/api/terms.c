/* Versioned terms (FW-14): an admin publishes a version with at least 30 days' notice (less only as a recorded
 * legal or security emergency); it applies to a worker from its effective date once they acknowledged it.
 * Terms never touch the ledger: accrued earnings stay as they are. */
#include <string.h>

#include "api/api.h"
#include "api/decisions.h"
#include "core/due_process.h"
#include "core/validate.h"
#include "http/reply.h"
#include "util/clock.h"

struct terms_ctx {
    req *r;
    int64_t now, version, notice_days, acked_at;
    const char *summary, *body, *emergency_reason;
    err_id err;
    const char *detail;
    json_t *rows;
};

static tx_rc publish_tx(db *d, void *vctx)
{
    struct terms_ctx *c = vctx;
    req *r = c->r;
    TX_CHECK(store_row_i64(d, Q_TERMS_MAX_VERSION, NULL, 0, &c->version, 1));
    c->version++;
    int64_t effective = c->now + c->notice_days * DUE_DAY_MS;
    struct sql_arg ins[] = {{.i = c->version}, {.text = c->body}, {.text = c->summary}, {.i = r->user.id},
                            {.i = c->now},     {.i = effective},  {.text = c->emergency_reason, .null = !c->emergency_reason}};
    db_rc ins_rc = store_exec_args(d, Q_TERMS_INSERT, ins, 7, NULL);
    /* a concurrent publisher took this version number (PostgreSQL, read committed): run again */
    TX_CHECK(ins_rc == DB_CONSTRAINT ? DB_BUSY : ins_rc);
    char when[32];
    clock_iso8601(effective, when, sizeof when);
    const char *note =
        arena_printf(r->a, "Version %lld of the terms was published: %s It takes effect on %s%s%s%s", (long long)c->version,
                     c->summary, when,
                     c->emergency_reason ? " as a legal or security emergency (" : ", for you once you acknowledge it",
                     c->emergency_reason ? c->emergency_reason : "", c->emergency_reason ? ")." : ".");
    TX_CHECK(store_exec_args(d, Q_TERMS_NOTIFY_WORKERS,
                             (struct sql_arg[]){{.text = "New terms published"}, {.text = note}, {.i = c->now}}, 3, NULL));
    TX_CHECK(decision_audit(d, r->a, c->now, r->user.id, "terms.published", arena_printf(r->a, "terms v%lld", (long long)c->version),
                            json_pack("{s:I, s:I, s:I, s:o}", "version", (json_int_t)c->version, "notice_days",
                                      (json_int_t)c->notice_days, "effective_at", (json_int_t)effective,
                                      "emergency_reason", c->emergency_reason ? json_string(c->emergency_reason)
                                                                              : json_null())));
    TX_CHECK(announcement_auto(d, "terms", NULL, arena_printf(r->a, "New terms, version %lld", (long long)c->version),
                               c->summary, effective, r->user.id, c->now));
    return TX_COMMIT;
}

/* POST /api/v1/terms {summary, body, notice_days? (default 30), emergency_reason?} (admins). */
void terms_publish(req *r)
{
    json_t *body;
    if (req_json_body(r, &body) != RES_OK) return;
    struct terms_ctx c = {.r = r, .now = clock_now_ms()};
    struct verr e;
    static const char *const keys[] = {"summary", "body", "notice_days", "emergency_reason", NULL};
    if (!json_is_object(body)) {
        reply_error(r, ERR_INVALID_FIELD, "", "the body must be a JSON object");
        return;
    }
    if (!json_only_keys(body, keys, "", &e) || !json_req_string(body, "summary", 1, 1000, &c.summary, &e) ||
        !json_req_string(body, "body", 1, 200000, &c.body, &e) ||
        !json_opt_int(body, "notice_days", 0, 3650, 30, &c.notice_days, &e) ||
        !json_opt_string(body, "emergency_reason", 2000, NULL, &c.emergency_reason, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    if (text_blank(c.summary) || text_blank(c.body)) {
        reply_error(r, ERR_INVALID_FIELD, text_blank(c.summary) ? "/summary" : "/body", "terms need a summary and a text");
        return;
    }
    if (c.emergency_reason && text_blank(c.emergency_reason)) {
        reply_error(r, ERR_INVALID_FIELD, "/emergency_reason", "/emergency_reason must say what the emergency is");
        return;
    }
    if (!due_terms_notice_ok(c.now, c.now + c.notice_days * DUE_DAY_MS, c.emergency_reason != NULL)) {
        reply_error(r, ERR_TERMS_NOTICE_SHORT, "/notice_days",
                    "/notice_days is %lld: at least 30 unless /emergency_reason records a legal or security emergency",
                    (long long)c.notice_days);
        return;
    }
    store_rc rc = store_run(r->db, true, publish_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 201, json_pack("{s:I, s:s, s:s, s:o, s:o, s:b, s:o}", "version", (json_int_t)c.version, "summary",
                                 c.summary, "body", c.body, "published_at", json_time(c.now), "effective_at",
                                 json_time(c.now + c.notice_days * DUE_DAY_MS), "emergency", c.emergency_reason != NULL,
                                 "emergency_reason", c.emergency_reason ? json_string(c.emergency_reason) : json_null()));
}

static tx_rc mine_tx(db *d, void *vctx)
{
    struct terms_ctx *c = vctx;
    static const char *const cols[] = {"i:version", "s:summary", "s:body", "i:published_ms", "i:effective_ms",
                                       "s:emergency_reason", "i:acknowledged_ms", "b:emergency", NULL};
    TX_CHECK(store_rows_json(d, Q_TERMS_FOR_USER, (struct sql_arg[]){{.i = c->r->user.id}}, 1, cols, &c->rows));
    return TX_COMMIT;
}

/* GET /api/v1/terms: the version that applies to the caller (null before any) and the newer ones pending
 * (notice running, or waiting for their acknowledgement). */
void terms_mine(req *r)
{
    struct terms_ctx c = {.r = r, .now = clock_now_ms()};
    store_rc rc = store_run(r->db, false, mine_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    json_t *current = json_null(), *pending = json_array();
    size_t i;
    json_t *row;
    json_array_foreach(c.rows, i, row) {
        int64_t eff = json_integer_value(json_object_get(row, "effective_ms"));
        json_t *ack = json_object_get(row, "acknowledged_ms");
        bool emergency = json_is_true(json_object_get(row, "emergency"));
        bool applies = due_terms_apply(eff, !json_is_null(ack), emergency, c.now);
        json_t *v = json_pack("{s:O, s:O, s:O, s:o, s:o, s:b, s:O, s:o, s:b, s:b}", "version",
                              json_object_get(row, "version"), "summary", json_object_get(row, "summary"), "body",
                              json_object_get(row, "body"), "published_at",
                              json_time(json_integer_value(json_object_get(row, "published_ms"))), "effective_at",
                              json_time(eff), "emergency", emergency, "emergency_reason",
                              json_object_get(row, "emergency_reason"), "acknowledged_at",
                              json_is_null(ack) ? json_null() : json_time(json_integer_value(ack)), "notice_over",
                              c.now >= eff, "applies", applies);
        if (applies) { /* newest first: the first that applies is current, older ones are superseded */
            json_object_set_new(v, "status", json_string("current"));
            current = v;
            break;
        }
        json_object_set_new(v, "status", json_string(json_is_null(ack) ? "needs_acknowledgement" : "acknowledged"));
        json_array_append_new(pending, v);
    }
    json_decref(c.rows);
    reply_json(r, 200, json_pack("{s:o, s:o}", "current", current, "pending", pending));
}

static tx_rc ack_tx(db *d, void *vctx)
{
    struct terms_ctx *c = vctx;
    req *r = c->r;
    int64_t one;
    db_rc rc = store_row_i64(d, Q_TERMS_EXISTS, (struct sql_arg[]){{.i = r->id}}, 1, &one, 1);
    TX_CHECK(rc);
    if (rc == DB_DONE) {
        c->err = ERR_NOT_FOUND;
        c->detail = arena_printf(r->a, "no terms version %lld", (long long)r->id);
        return TX_ROLLBACK;
    }
    int64_t added = 0;
    TX_CHECK(store_exec_args(d, Q_TERMS_ACK, (struct sql_arg[]){{.i = r->user.id}, {.i = r->id}, {.i = c->now}}, 3, &added));
    TX_CHECK(store_row_i64(d, Q_TERMS_ACK_AT, (struct sql_arg[]){{.i = r->user.id}, {.i = r->id}}, 2, &c->acked_at, 1));
    if (added == 1)
        TX_CHECK(decision_audit(d, r->a, c->now, r->user.id, "terms.acknowledged", r->user.email,
                                json_pack("{s:I}", "version", (json_int_t)r->id)));
    return TX_COMMIT;
}

/* POST /api/v1/terms/{id}/acknowledge: idempotent; the first acknowledgement's time stands. */
void terms_acknowledge(req *r)
{
    struct terms_ctx c = {.r = r, .now = clock_now_ms()};
    store_rc rc = store_run(r->db, true, ack_tx, &c);
    if (c.err) {
        reply_error(r, c.err, NULL, "%s", c.detail);
        return;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, json_pack("{s:I, s:o}", "version", (json_int_t)r->id, "acknowledged_at", json_time(c.acked_at)));
}
