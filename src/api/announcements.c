/* Announcements with a comment period (FW-23): admins announce changes to pay rules, terms or the benchmark
 * table; benchmark edits and terms publications announce themselves. Every worker gets a notice; workers and
 * admins comment until the period ends. A change to an automated rule also lands in the public change log. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/notice.h"
#include "core/region.h"
#include "core/rule_registry.h"
#include "core/validate.h"
#include "http/reply.h"
#include "util/clock.h"

#define ANNOUNCE_LINK "/worker#announcements"

static bool kind_ok(const char *k)
{
    return !strcmp(k, "pay_rules") || !strcmp(k, "terms") || !strcmp(k, "benchmarks") || !strcmp(k, "other");
}

/* Every worker gets the announcement as a notice, a page of ids at a time (notice_send runs its own
 * statements, so a page is read whole before sending). */
static db_rc notify_workers(db *d, int64_t id, const struct announcement_in *in, int64_t now)
{
    char applies[32], until[32];
    clock_iso8601(in->applies_at, applies, sizeof applies);
    clock_iso8601(in->comment_until, until, sizeof until);
    static const char *const cols[] = {"i:id", NULL};
    int64_t after = 0;
    for (;;) {
        json_t *page;
        db_rc rc = store_rows_json(d, Q_ANNOUNCE_WORKERS, (struct sql_arg[]){{.i = after}}, 1, cols, &page);
        if (rc != DB_OK) return rc;
        size_t n = json_array_size(page), i;
        json_t *row;
        json_array_foreach(page, i, row) {
            after = json_integer_value(json_object_get(row, "id"));
            json_t *vars = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "title", in->title, "body", in->body,
                                     "applies_at", applies, "comment_until", until, "link", ANNOUNCE_LINK,
                                     "announcement_id", (json_int_t)id);
            rc = vars ? notice_send(d, after, "announcement", "announcement_new", vars, ANNOUNCE_LINK, now) : DB_ERROR;
            json_decref(vars);
            if (rc != DB_OK) break;
        }
        json_decref(page);
        if (rc != DB_OK) return rc;
        if (n < 500) return DB_OK;
    }
}

db_rc announcement_publish(db *d, const struct announcement_in *in, int64_t now, int64_t *id_out)
{
    int64_t id;
    struct sql_arg ins[] = {{.text = in->kind},
                            {.text = in->title},
                            {.text = in->body},
                            {.text = in->rule_id, .null = !in->rule_id},
                            {.text = in->source ? in->source : "admin"},
                            {.text = in->short_period_reason, .null = !in->short_period_reason},
                            {.i = in->comment_until},
                            {.i = in->applies_at},
                            {.i = in->by},
                            {.i = now}};
    db_rc rc = store_row_i64(d, Q_ANNOUNCE_INSERT, ins, 10, &id, 1);
    if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
    if (id_out) *id_out = id;
    if (in->rule_id) {
        struct sql_arg ch[] = {{.text = in->rule_id}, {.text = in->title}, {.i = now}, {.i = in->by}, {.i = id}};
        if ((rc = store_exec_args(d, Q_ANNOUNCE_RULE_CHANGE_INSERT, ch, 5, NULL)) != DB_OK) return rc;
    }
    return notify_workers(d, id, in, now);
}

db_rc announcement_auto(db *d, const char *kind, const char *rule_id, const char *title, const char *body,
                        int64_t applies_at, int64_t by, int64_t now)
{
    struct announcement_in in = {.kind = kind, .title = title, .body = body, .rule_id = rule_id,
                                 .source = !strcmp(kind, "terms") ? "terms" : "wage_edit",
                                 .comment_until = now + ANNOUNCE_COMMENT_MIN_MS, .applies_at = applies_at, .by = by};
    return announcement_publish(d, &in, now, NULL);
}

/* ---- handlers ---- */

static const char *const announce_cols[] = {"i:id",         "s:kind",       "s:title",         "s:body",
                                            "s:rule_id",    "s:source",     "s:short_period_reason",
                                            "t:comment_until", "t:applies_at", "t:created_at", "s:created_by_name",
                                            "b:comments_open", "i:comment_count", NULL};

struct ann_ctx {
    req *r;
    int64_t now, id;
    struct announcement_in in;
    const char *comment;
    json_t *rows, *comments;
    err_id err;
    const char *detail;
};

static tx_rc create_tx(db *d, void *vctx)
{
    struct ann_ctx *c = vctx;
    TX_CHECK(announcement_publish(d, &c->in, c->now, &c->id));
    json_t *detail = json_pack("{s:s, s:s, s:I, s:I, s:o}", "kind", c->in.kind, "title", c->in.title, "comment_until",
                               (json_int_t)c->in.comment_until, "applies_at", (json_int_t)c->in.applies_at,
                               "short_period_reason",
                               c->in.short_period_reason ? json_string(c->in.short_period_reason) : json_null());
    char *text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(detail);
    if (!text) return TX_FAIL;
    const char *t = arena_strdup(c->r->a, text);
    free(text);
    TX_CHECK(store_audit_append(d, c->now, c->r->user.id, "announcement.created",
                                arena_printf(c->r->a, "announcement %lld", (long long)c->id), t));
    TX_CHECK(store_rows_json(d, Q_ANNOUNCE_GET, (struct sql_arg[]){{.i = c->id}, {.i = c->now}}, 2, announce_cols,
                             &c->rows));
    return TX_COMMIT;
}

/* POST /api/v1/announcements {kind, title, body, comment_until, applies_at, short_period_reason?, rule_id?}
 * (admins). Times as region_time_parse takes them. */
void announcements_create(req *r)
{
    json_t *body;
    if (req_json_body(r, &body) != RES_OK) return;
    struct ann_ctx c = {.r = r, .now = clock_now_ms()};
    struct verr e;
    static const char *const keys[] = {"kind", "title", "body", "comment_until", "applies_at", "short_period_reason",
                                       "rule_id", NULL};
    if (!json_is_object(body)) {
        reply_error(r, ERR_INVALID_FIELD, "", "the body must be a JSON object");
        return;
    }
    const char *until, *applies;
    if (!json_only_keys(body, keys, "", &e) || !json_req_string(body, "kind", 1, 20, &c.in.kind, &e) ||
        !json_req_string(body, "title", 1, 200, &c.in.title, &e) ||
        !json_req_string(body, "body", 1, 20000, &c.in.body, &e) ||
        !json_req_string(body, "comment_until", 10, 40, &until, &e) ||
        !json_req_string(body, "applies_at", 10, 40, &applies, &e) ||
        !json_opt_string(body, "short_period_reason", 2000, NULL, &c.in.short_period_reason, &e) ||
        !json_opt_string(body, "rule_id", 64, NULL, &c.in.rule_id, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    if (!kind_ok(c.in.kind)) {
        reply_error(r, ERR_INVALID_FIELD, "/kind", "/kind is one of pay_rules, terms, benchmarks, other");
        return;
    }
    if (text_blank(c.in.title) || text_blank(c.in.body)) {
        reply_error(r, ERR_INVALID_FIELD, text_blank(c.in.title) ? "/title" : "/body", "an announcement needs a title and a text");
        return;
    }
    if (!region_time_parse(until, &c.in.comment_until)) {
        reply_error(r, ERR_INVALID_FIELD, "/comment_until", "/comment_until is a date (YYYY-MM-DD) or an ISO 8601 UTC time");
        return;
    }
    if (!region_time_parse(applies, &c.in.applies_at)) {
        reply_error(r, ERR_INVALID_FIELD, "/applies_at", "/applies_at is a date (YYYY-MM-DD) or an ISO 8601 UTC time");
        return;
    }
    if (c.in.short_period_reason && text_blank(c.in.short_period_reason)) {
        reply_error(r, ERR_INVALID_FIELD, "/short_period_reason", "/short_period_reason must say why the period is shorter");
        return;
    }
    if (!announce_period_ok(c.now, c.in.comment_until, c.in.short_period_reason != NULL)) {
        reply_error(r, ERR_ANNOUNCE_PERIOD_SHORT, "/comment_until",
                    "/comment_until must be at least 14 days from now, unless /short_period_reason says why not");
        return;
    }
    if (c.in.applies_at < c.in.comment_until) {
        reply_error(r, ERR_INVALID_FIELD, "/applies_at", "/applies_at must not come before the comment period ends");
        return;
    }
    if (c.in.rule_id && !rule_registry_find(c.in.rule_id)) {
        reply_error(r, ERR_ANNOUNCE_UNKNOWN_RULE, "/rule_id", "no rule \"%s\" in the registry", c.in.rule_id);
        return;
    }
    c.in.by = r->user.id;
    c.in.source = "admin";
    store_rc rc = store_run(r->db, true, create_tx, &c);
    if (rc != STORE_OK) {
        json_decref(c.rows);
        reply_store_failure(r, rc);
        return;
    }
    json_t *one = json_incref(json_array_get(c.rows, 0));
    json_decref(c.rows);
    reply_json(r, 201, one);
}

static tx_rc list_tx(db *d, void *vctx)
{
    struct ann_ctx *c = vctx;
    json_decref(c->rows);
    c->rows = NULL;
    TX_CHECK(store_rows_json(d, Q_ANNOUNCE_LIST, (struct sql_arg[]){{.i = c->now}}, 1, announce_cols, &c->rows));
    return TX_COMMIT;
}

/* GET /api/v1/announcements (workers, admins): newest first. */
void announcements_list(req *r)
{
    struct ann_ctx c = {.r = r, .now = clock_now_ms()};
    store_rc rc = store_run(r->db, false, list_tx, &c);
    if (rc != STORE_OK) {
        json_decref(c.rows);
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, json_pack("{s:o}", "items", c.rows));
}

static tx_rc get_tx(db *d, void *vctx)
{
    struct ann_ctx *c = vctx;
    static const char *const ccols[] = {"i:id", "s:body", "t:created_at", "s:author_name", "s:author_role", NULL};
    json_decref(c->rows);
    json_decref(c->comments);
    c->rows = c->comments = NULL;
    TX_CHECK(store_rows_json(d, Q_ANNOUNCE_GET, (struct sql_arg[]){{.i = c->r->id}, {.i = c->now}}, 2, announce_cols,
                             &c->rows));
    if (json_array_size(c->rows) == 0) return TX_COMMIT;
    TX_CHECK(store_rows_json(d, Q_ANNOUNCE_COMMENTS, (struct sql_arg[]){{.i = c->r->id}}, 1, ccols, &c->comments));
    return TX_COMMIT;
}

/* GET /api/v1/announcements/{id} (workers, admins): with every comment and its author's display name. */
void announcements_get(req *r)
{
    struct ann_ctx c = {.r = r, .now = clock_now_ms()};
    store_rc rc = store_run(r->db, false, get_tx, &c);
    if (rc != STORE_OK || json_array_size(c.rows) == 0) {
        json_decref(c.rows);
        json_decref(c.comments);
        if (rc != STORE_OK) reply_store_failure(r, rc);
        else reply_error(r, ERR_NOT_FOUND, NULL, "no announcement %lld", (long long)r->id);
        return;
    }
    json_t *one = json_incref(json_array_get(c.rows, 0));
    json_decref(c.rows);
    json_object_set_new(one, "comments", c.comments);
    reply_json(r, 200, one);
}

static tx_rc comment_tx(db *d, void *vctx)
{
    struct ann_ctx *c = vctx;
    int64_t until;
    db_rc rc = store_row_i64(d, Q_ANNOUNCE_COMMENT_UNTIL, (struct sql_arg[]){{.i = c->r->id}}, 1, &until, 1);
    TX_CHECK(rc);
    if (rc == DB_DONE) {
        c->err = ERR_NOT_FOUND;
        c->detail = arena_printf(c->r->a, "no announcement %lld", (long long)c->r->id);
        return TX_ROLLBACK;
    }
    if (!announce_comments_open(until, c->now)) {
        char when[32];
        clock_iso8601(until, when, sizeof when);
        c->err = ERR_ANNOUNCE_COMMENTS_CLOSED;
        c->detail = arena_printf(c->r->a, "comments on announcement %lld closed at %s", (long long)c->r->id, when);
        return TX_ROLLBACK;
    }
    rc = store_row_i64(d, Q_ANNOUNCE_COMMENT_INSERT,
                       (struct sql_arg[]){{.i = c->r->id}, {.i = c->r->user.id}, {.text = c->comment}, {.i = c->now}}, 4,
                       &c->id, 1);
    if (rc == DB_DONE) return TX_FAIL;
    TX_CHECK(rc);
    return TX_COMMIT;
}

/* POST /api/v1/announcements/{id}/comments {body} (workers, admins): 409 after the comment period. */
void announcements_comment(req *r)
{
    static const char *const keys[] = {"body", NULL};
    json_t *body;
    if (req_json_object(r, keys, &body) != RES_OK) return;
    struct ann_ctx c = {.r = r, .now = clock_now_ms()};
    struct verr e;
    if (!json_req_string(body, "body", 1, 5000, &c.comment, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    if (text_blank(c.comment)) {
        reply_error(r, ERR_INVALID_FIELD, "/body", "a comment needs a text");
        return;
    }
    store_rc rc = store_run(r->db, true, comment_tx, &c);
    if (c.err) {
        reply_error(r, c.err, NULL, "%s", c.detail);
        return;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 201, json_pack("{s:I, s:I, s:s, s:o, s:s}", "id", (json_int_t)c.id, "announcement_id",
                                 (json_int_t)r->id, "body", c.comment, "created_at", json_time(c.now), "author_name",
                                 r->user.display_name ? r->user.display_name : ""));
}
