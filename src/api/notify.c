/* The notifications inbox: notify_user (called inside other transactions), a user's own list and the
 * read receipt. */
#include "api/notify.h"

#include <stdint.h>
#include <string.h>

#include "api/api.h"
#include "http/reply.h"
#include "store/store.h"
#include "util/clock.h"

db_rc notify_user(db *d, int64_t user_id, const char *kind, const char *title, const char *body, const char *link,
                  int64_t now)
{
    struct sql_arg a[] = {{.i = user_id}, {.text = kind}, {.text = title}, {.text = body ? body : ""},
                          {.text = link, .null = !link}, {.i = now}};
    return store_exec_args(d, Q_NOTIFICATION_INSERT, a, 6, NULL);
}

struct inbox_ctx {
    req *r;
    int64_t before, unread, now;
    int limit;
    json_t *items;
    bool found;
};

static tx_rc inbox_tx(db *d, void *vctx)
{
    struct inbox_ctx *c = vctx;
    static const char *const cols[] = {"i:id", "s:kind", "s:title", "s:body", "s:link", "t:created_at", "t:read_at",
                                       NULL};
    int64_t n[1] = {0};
    TX_CHECK(store_row_i64(d, Q_NOTIFICATION_UNREAD, (struct sql_arg[]){{.i = c->r->user.id}}, 1, n, 1));
    c->unread = n[0];
    struct sql_arg a[] = {{.i = c->r->user.id}, {.i = c->before}, {.i = c->limit}};
    TX_CHECK(store_rows_json(d, Q_NOTIFICATIONS_OF, a, 3, cols, &c->items));
    return TX_COMMIT;
}

/* Newest first; ?before=ID pages back, ?limit= (1..200, default 50). */
void me_notifications(req *r)
{
    struct inbox_ctx c = {.r = r, .before = INT64_MAX, .limit = 50};
    int64_t after_unused = 0;
    if (req_query_id(r, "before", &c.before) != RES_OK) return;
    if (req_page(r, &after_unused, &c.limit, 50, 200) != RES_OK) return;
    store_rc rc = store_run(r->db, false, inbox_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    size_t n = json_array_size(c.items);
    json_t *last = n ? json_array_get(c.items, n - 1) : NULL;
    json_t *next = n == (size_t)c.limit && last ? json_integer(json_integer_value(json_object_get(last, "id")))
                                                : json_null();
    reply_json(r, 200, json_pack("{s:I, s:o, s:o}", "unread", (json_int_t)c.unread, "items", c.items, "next_before",
                                 next));
}

static tx_rc read_tx(db *d, void *vctx)
{
    struct inbox_ctx *c = vctx;
    int64_t changes = 0;
    TX_CHECK(store_exec_args(d, Q_NOTIFICATION_READ,
                             (struct sql_arg[]){{.i = c->r->id}, {.i = c->r->user.id}, {.i = c->now}}, 3, &changes));
    int64_t row[1];
    db_rc rc = store_row_i64(d, Q_NOTIFICATION_READ_AT, (struct sql_arg[]){{.i = c->r->id}, {.i = c->r->user.id}}, 2,
                             row, 1);
    TX_CHECK(rc);
    c->found = rc == DB_ROW;
    c->before = c->found ? row[0] : 0; /* the read time (the first one, when read before) */
    int64_t n[1] = {0};
    TX_CHECK(store_row_i64(d, Q_NOTIFICATION_UNREAD, (struct sql_arg[]){{.i = c->r->user.id}}, 1, n, 1));
    c->unread = n[0];
    return TX_COMMIT;
}

/* Marks one of the caller's notifications read (idempotent: the first read time stays). */
void me_notification_read(req *r)
{
    struct inbox_ctx c = {.r = r, .now = clock_now_ms()};
    store_rc rc = store_run(r->db, true, read_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    if (!c.found) {
        reply_error(r, ERR_NOT_FOUND, NULL, "no notification %lld", (long long)r->id);
        return;
    }
    reply_json(r, 200, json_pack("{s:I, s:o, s:I}", "id", (json_int_t)r->id, "read_at", json_time(c.before), "unread",
                                 (json_int_t)c.unread));
}
