/* The admin's view of the email outbox (GET /api/v1/mail/outbox) and a manual retry of a failed message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "http/reply.h"
#include "store/store.h"
#include "util/clock.h"

struct outbox_ctx {
    req *r;
    const char *state;
    int64_t user_id, before, now;
    int limit;
    json_t *items, *counts;
    int64_t found[2]; /* state code (0 queued, 1 sent, 2 failed), user id */
    bool missing;
};

static tx_rc list_tx(db *d, void *vctx)
{
    struct outbox_ctx *c = vctx;
    json_decref(c->items); /* a retried transaction starts over */
    json_decref(c->counts);
    c->items = c->counts = NULL;
    static const char *const cols[] = {"i:id", "i:user_id", "s:to_email", "s:language", "s:template_id", "s:subject",
                                       "s:state", "i:attempts", "t:next_at", "s:last_error", "t:created_at",
                                       "t:sent_at", NULL};
    struct sql_arg a[] = {{.text = c->state, .null = !c->state}, {.i = c->user_id}, {.i = c->before}, {.i = c->limit},
                          {.i = c->now}};
    TX_CHECK(store_rows_json(d, Q_MAIL_OUTBOX_LIST, a, 5, cols, &c->items));
    static const char *const count_cols[] = {"s:state", "i:n", NULL};
    TX_CHECK(store_rows_json(d, Q_MAIL_OUTBOX_COUNTS, NULL, 0, count_cols, &c->counts));
    return TX_COMMIT;
}

/* Newest first; ?state=queued|sent|failed, ?user_id=, ?before=ID pages back, ?limit= (1..500, default 100). The
 * reply says whether SMTP is configured: without it messages stay queued, never marked sent. */
void mail_outbox_list(req *r)
{
    struct outbox_ctx c = {.r = r, .before = INT64_MAX, .now = clock_now_ms()};
    int64_t after_unused = 0;
    if (req_query_id(r, "before", &c.before) != RES_OK || req_query_id(r, "user_id", &c.user_id) != RES_OK ||
        req_page(r, &after_unused, &c.limit, 100, 500) != RES_OK)
        return;
    c.state = req_query(r, "state");
    if (c.state && strcmp(c.state, "queued") && strcmp(c.state, "sent") && strcmp(c.state, "failed")) {
        reply_error(r, ERR_BAD_QUERY, "state", "?state must be queued, sent or failed");
        return;
    }
    store_rc rc = store_run(r->db, false, list_tx, &c);
    if (rc != STORE_OK) {
        json_decref(c.items);
        json_decref(c.counts);
        reply_store_failure(r, rc);
        return;
    }
    json_t *totals = json_pack("{s:i, s:i, s:i}", "queued", 0, "sent", 0, "failed", 0);
    size_t i;
    json_t *row;
    json_array_foreach(c.counts, i, row)
        json_object_set(totals, json_string_value(json_object_get(row, "state")), json_object_get(row, "n"));
    json_decref(c.counts);
    const char *url = getenv("FAIRLABEL_SMTP_URL");
    bool configured = url && *url;
    size_t n = json_array_size(c.items);
    json_t *last = n ? json_array_get(c.items, n - 1) : NULL;
    json_t *next = n == (size_t)c.limit && last ? json_integer(json_integer_value(json_object_get(last, "id")))
                                                : json_null();
    reply_json(r, 200,
               json_pack("{s:b, s:s*, s:o, s:o, s:o}", "smtp_configured", configured, "note",
                         configured ? NULL : "FAIRLABEL_SMTP_URL is not set: messages stay queued until it is",
                         "totals", totals, "items", c.items, "next_before", next));
}

static tx_rc retry_tx(db *d, void *vctx)
{
    struct outbox_ctx *c = vctx;
    db_rc rc = store_row_i64(d, Q_MAIL_OUTBOX_STATE, (struct sql_arg[]){{.i = c->r->id}}, 1, c->found, 2);
    TX_CHECK(rc);
    if (rc == DB_DONE) {
        c->missing = true;
        return TX_ROLLBACK;
    }
    if (c->found[0] == 1) return TX_ROLLBACK;
    TX_CHECK(store_exec_args(d, Q_MAIL_OUTBOX_RETRY, (struct sql_arg[]){{.i = c->r->id}, {.i = c->now}}, 2, NULL));
    char detail[96];
    snprintf(detail, sizeof detail, "{\"from\":\"%s\",\"user_id\":%lld}", c->found[0] ? "failed" : "queued",
             (long long)c->found[1]);
    TX_CHECK(store_audit_append(d, c->now, c->r->user.id, "mail.retry",
                                arena_printf(c->r->a, "mail:%lld", (long long)c->r->id), detail));
    return TX_COMMIT;
}

/* POST /api/v1/mail/outbox/{id}/retry: a failed (or still queued) message is due now, with a fresh 24 hours of
 * retries. A sent message cannot be sent again (409). */
void mail_outbox_retry(req *r)
{
    struct outbox_ctx c = {.r = r, .now = clock_now_ms()};
    store_rc rc = store_run(r->db, true, retry_tx, &c);
    if (rc == STORE_ABORTED && c.missing) {
        reply_error(r, ERR_NOT_FOUND, NULL, "no message %lld in the outbox", (long long)r->id);
        return;
    }
    if (rc == STORE_ABORTED) {
        reply_error(r, ERR_MAIL_SENT, NULL, "message %lld was sent already", (long long)r->id);
        return;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, json_pack("{s:I, s:s, s:o}", "id", (json_int_t)r->id, "state", "queued", "next_at",
                                 json_time(c.now)));
}
