/* Tickets (FW-17): a worker's (any signed-in user's) own tickets, the support queue with its first-response
 * clock, staff replies, assignment and states, attachments, and the job escalating tickets nobody answered
 * within 72 hours. */
#include "api/tickets.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/jobs.h"
#include "api/notice.h"
#include "core/due_process.h"
#include "core/validate.h"
#include "http/reply.h"
#include "util/clock.h"
#include "util/log.h"

static const char *const categories[] = {"pay", "task", "account", "region", "safety", "other", NULL};

bool ticket_category_valid(const char *s)
{
    for (int i = 0; categories[i]; i++)
        if (!strcmp(s, categories[i])) return true;
    return false;
}

const char *const ticket_cols[] = {"i:id",          "s:source",         "s:category",     "s:subject",
                                   "s:state",       "i:user_id",        "s:user_name",    "s:contact_email",
                                   "i:assignee_id", "s:assignee_name",  "t:created_at",   "t:opened_at",
                                   "t:first_response_at", "t:escalated_at", "t:resolved_at", "t:updated_at",
                                   "i:opened_ms",   "i:first_response_ms", NULL};

void ticket_add_clock(json_t *t, int64_t now)
{
    json_t *o = json_object_get(t, "opened_ms"), *f = json_object_get(t, "first_response_ms");
    if (json_is_integer(o)) {
        int64_t opened = json_integer_value(o), due = opened + DUE_FIRST_RESPONSE_MS;
        char iso[32];
        clock_iso8601(due, iso, sizeof iso);
        json_object_set_new(t, "due_at", json_string(iso));
        bool answered = json_is_integer(f);
        json_object_set_new(t, "response_ms_left", answered ? json_null() : json_integer(due - now));
        json_object_set_new(t, "overdue",
                            json_boolean(due_ticket_escalates(opened, answered ? json_integer_value(f) : 0, now)));
        if (answered)
            json_object_set_new(t, "first_response_ms", json_integer(json_integer_value(f) - opened));
        else
            json_object_set_new(t, "first_response_ms", json_null());
    } else {
        json_object_set_new(t, "due_at", json_null());
        json_object_set_new(t, "response_ms_left", json_null());
        json_object_set_new(t, "overdue", json_false());
        json_object_set_new(t, "first_response_ms", json_null());
    }
    json_object_set_new(t, "escalated", json_boolean(!json_is_null(json_object_get(t, "escalated_at"))));
    json_object_del(t, "opened_ms");
}

/* ---- messages and attachments ---- */

/* A file name fit for a Content-Disposition header: no control characters, quotes, slashes or backslashes. */
static bool file_name_ok(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '"' || *s == '\\' || *s == '/') return false;
    return true;
}

/* type/subtype of letters, digits and . + - only */
static bool content_type_ok(const char *s)
{
    int slashes = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '/') slashes++;
        else if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
                   *p == '+' || *p == '-'))
            return false;
    }
    return slashes == 1 && s[0] != '/' && s[strlen(s) - 1] != '/';
}

res ticket_message_parse(req *r, json_t *obj, const char *body_key, struct ticket_message_in *m)
{
    struct verr e;
    memset(m, 0, sizeof *m);
    if (!json_req_string(obj, body_key, 1, TICKET_BODY_MAX_CHARS, &m->body, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return RES_REPLIED;
    }
    if (text_blank(m->body)) {
        reply_error(r, ERR_INVALID_FIELD, arena_printf(r->a, "/%s", body_key), "/%s must say something", body_key);
        return RES_REPLIED;
    }
    json_t *atts = json_object_get(obj, "attachments");
    if (!atts || json_is_null(atts)) return RES_OK;
    if (!json_is_array(atts)) {
        reply_error(r, ERR_INVALID_FIELD, "/attachments", "/attachments must be an array");
        return RES_REPLIED;
    }
    if (json_array_size(atts) > TICKET_ATTACHMENTS_MAX) {
        reply_error(r, ERR_TICKET_ATTACHMENT_TOO_LARGE, "/attachments", "a message takes at most %d attachments",
                    TICKET_ATTACHMENTS_MAX);
        return RES_REPLIED;
    }
    size_t i;
    json_t *a;
    json_array_foreach(atts, i, a) {
        const char *field = arena_printf(r->a, "/attachments/%zu", i);
        static const char *const keys[] = {"name", "content_type", "data_base64", NULL};
        struct ticket_attachment *t = &m->att[i];
        const char *data;
        if (!json_is_object(a)) {
            reply_error(r, ERR_INVALID_FIELD, field, "%s must be an object {name, content_type, data_base64}", field);
            return RES_REPLIED;
        }
        if (!json_only_keys(a, keys, field, &e) || !json_req_string(a, "name", 1, 200, &t->name, &e) ||
            !json_opt_string(a, "content_type", 100, "application/octet-stream", &t->content_type, &e) ||
            !json_req_string(a, "data_base64", 0, SIZE_MAX, &data, &e)) {
            reply_error(r, ERR_INVALID_FIELD, e.field[0] == '/' && strncmp(e.field, field, strlen(field))
                                                  ? arena_printf(r->a, "%s%s", field, e.field)
                                                  : e.field,
                        "%s", e.detail);
            return RES_REPLIED;
        }
        if (!file_name_ok(t->name)) {
            reply_error(r, ERR_INVALID_FIELD, arena_printf(r->a, "%s/name", field),
                        "a file name may not hold control characters, quotes, slashes or backslashes");
            return RES_REPLIED;
        }
        if (!content_type_ok(t->content_type)) {
            reply_error(r, ERR_INVALID_FIELD, arena_printf(r->a, "%s/content_type", field),
                        "%s/content_type must be a media type such as image/png", field);
            return RES_REPLIED;
        }
        size_t n = strlen(data);
        /* refuse by the encoded length first, so an oversized file is never decoded */
        if (n / 4 * 3 > TICKET_ATTACHMENT_MAX + 2) {
            reply_error(r, ERR_TICKET_ATTACHMENT_TOO_LARGE, arena_printf(r->a, "%s/data_base64", field),
                        "attachment %zu is larger than %d bytes", i, TICKET_ATTACHMENT_MAX);
            return RES_REPLIED;
        }
        t->bytes = arena_alloc(r->a, n / 4 * 3 + 3);
        if (!t->bytes) {
            reply_error(r, ERR_SERVER_BUSY, NULL, "out of memory");
            return RES_REPLIED;
        }
        const char *end;
        if (sodium_base642bin(t->bytes, n / 4 * 3 + 3, data, n, "\r\n", &t->len, &end,
                              sodium_base64_VARIANT_ORIGINAL) ||
            *end) {
            reply_error(r, ERR_INVALID_FIELD, arena_printf(r->a, "%s/data_base64", field),
                        "%s/data_base64 is not valid base64", field);
            return RES_REPLIED;
        }
        if (t->len > TICKET_ATTACHMENT_MAX) {
            reply_error(r, ERR_TICKET_ATTACHMENT_TOO_LARGE, arena_printf(r->a, "%s/data_base64", field),
                        "attachment %zu is %zu bytes, more than %d", i, t->len, TICKET_ATTACHMENT_MAX);
            return RES_REPLIED;
        }
        unsigned char h[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(h, t->bytes, t->len);
        sodium_bin2hex(t->sha256, sizeof t->sha256, h, sizeof h);
        m->n_att++;
    }
    return RES_OK;
}

db_rc ticket_message_add(db *d, int64_t ticket_id, int64_t author_id, bool staff, const struct ticket_message_in *m,
                         int64_t now)
{
    int64_t mid;
    struct sql_arg a[] = {{.i = ticket_id}, {.i = author_id, .null = author_id == 0}, {.i = staff}, {.text = m->body},
                          {.i = now}};
    db_rc rc = store_row_i64(d, Q_TICKET_MESSAGE_INSERT, a, 5, &mid, 1);
    if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
    for (int i = 0; i < m->n_att; i++) {
        const struct ticket_attachment *t = &m->att[i];
        db_stmt *s = db_q(d, Q_TICKET_ATTACHMENT_INSERT);
        db_bind_i64(s, 1, ticket_id);
        db_bind_i64(s, 2, mid);
        db_bind_text(s, 3, t->name);
        db_bind_text(s, 4, t->content_type);
        db_bind_i64(s, 5, (int64_t)t->len);
        db_bind_text(s, 6, t->sha256);
        db_bind_blob(s, 7, t->bytes, t->len);
        db_bind_i64(s, 8, now);
        rc = db_run(s);
        if (rc != DB_OK) return rc;
    }
    return DB_OK;
}

db_rc ticket_load(db *d, int64_t id, bool staff_view, int64_t now, json_t **out)
{
    json_t *rows;
    db_rc rc = store_rows_json(d, Q_TICKET_GET, (struct sql_arg[]){{.i = id}}, 1, ticket_cols, &rows);
    if (rc != DB_OK) return rc;
    if (json_array_size(rows) == 0) {
        json_decref(rows);
        return DB_DONE;
    }
    json_t *t = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    ticket_add_clock(t, now);
    if (!staff_view) json_object_del(t, "contact_email");
    static const char *const mcols[] = {"i:id", "i:author_id", "s:author_name", "b:staff", "s:body", "t:created_at",
                                        NULL};
    static const char *const acols[] = {"i:id", "i:message_id", "s:name", "s:content_type", "i:size", "s:sha256",
                                        NULL};
    json_t *msgs, *atts;
    rc = store_rows_json(d, Q_TICKET_MESSAGES, (struct sql_arg[]){{.i = id}}, 1, mcols, &msgs);
    if (rc != DB_OK) {
        json_decref(t);
        return rc;
    }
    rc = store_rows_json(d, Q_TICKET_ATTACHMENTS_OF, (struct sql_arg[]){{.i = id}}, 1, acols, &atts);
    if (rc != DB_OK) {
        json_decref(t);
        json_decref(msgs);
        return rc;
    }
    size_t i, j;
    json_t *msg, *att;
    json_array_foreach(msgs, i, msg) {
        json_t *list = json_array();
        json_int_t mid = json_integer_value(json_object_get(msg, "id"));
        json_array_foreach(atts, j, att) {
            if (json_integer_value(json_object_get(att, "message_id")) != mid) continue;
            json_t *c = json_deep_copy(att);
            json_object_del(c, "message_id");
            json_array_append_new(list, c);
        }
        json_object_set_new(msg, "attachments", list);
    }
    json_decref(atts);
    json_object_set_new(t, "messages", msgs);
    *out = t;
    return DB_ROW;
}

/* ---- attachments ---- */

struct att_ctx {
    req *r;
    int64_t id, ticket_id;
    const char *name, *content_type;
    unsigned char *bytes;
    size_t len;
    bool found;
};

static tx_rc att_tx(db *d, void *vctx)
{
    struct att_ctx *c = vctx;
    db_stmt *s = db_q(d, Q_TICKET_ATTACHMENT_GET);
    db_bind_i64(s, 1, c->id);
    db_rc rc = db_step(s);
    if (rc == DB_DONE) return TX_COMMIT;
    if (rc != DB_ROW) return tx_from_db(rc);
    c->ticket_id = db_col_i64(s, 0);
    c->name = arena_strdup(c->r->a, db_col_text(s, 1));
    c->content_type = arena_strdup(c->r->a, db_col_text(s, 2));
    size_t n;
    const void *p = db_col_blob(s, 3, &n);
    c->bytes = arena_alloc(c->r->a, n ? n : 1);
    if (!c->bytes) {
        db_reset(s);
        return TX_FAIL;
    }
    if (n) memcpy(c->bytes, p, n);
    c->len = n;
    c->found = true;
    db_reset(s);
    return TX_COMMIT;
}

/* Types a browser may show inline without running anything; others download as bytes. */
static const char *safe_type(const char *t)
{
    static const char *const ok[] = {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf",
                                     "text/plain", NULL};
    for (int i = 0; ok[i]; i++)
        if (!strcmp(t, ok[i])) return t;
    return "application/octet-stream";
}

void ticket_attachment_reply(req *r, int64_t attachment_id, bool (*allow)(req *r, int64_t ticket_id, void *ctx),
                             void *ctx)
{
    struct att_ctx c = {.r = r, .id = attachment_id};
    store_rc rc = store_run(r->db, false, att_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    if (!c.found || (allow && !allow(r, c.ticket_id, ctx))) {
        reply_error(r, ERR_NOT_FOUND, NULL, "no attachment %lld", (long long)attachment_id);
        return;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
    evhttp_add_header(h, "Content-Disposition", arena_printf(r->a, "attachment; filename=\"%s\"", c.name));
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    evhttp_add_header(h, "Content-Security-Policy", "sandbox");
    reply_bytes(r, 200, safe_type(c.content_type), c.bytes, c.len);
}

/* ---- signed-in routes ---- */

static bool is_staff(const req *r)
{
    return (r->role & (ROLE_SUPPORT | ROLE_ADMIN)) != 0;
}

struct tk_ctx {
    req *r;
    int64_t now, id, assignee;
    const char *category, *subject, *state, *filter;
    struct ticket_message_in msg;
    bool not_found;
    json_t *out;
};

/* The caller sees the ticket: staff see every verified ticket, others only their own. */
static db_rc ticket_visible(db *d, const req *r, int64_t id, bool *visible, int64_t *owner)
{
    int64_t v[2];
    db_rc rc = store_row_i64(d, Q_TICKET_ACCESS_OF, (struct sql_arg[]){{.i = id}}, 1, v, 2);
    *visible = false;
    if (rc == DB_DONE) return DB_OK;
    if (rc != DB_ROW) return rc;
    *owner = v[0];
    *visible = !v[1] && (is_staff(r) || v[0] == r->user.id);
    return DB_OK;
}

static tx_rc create_tx(db *d, void *vctx)
{
    struct tk_ctx *c = vctx;
    json_decref(c->out); /* a retried transaction starts over */
    c->out = NULL;
    struct sql_arg a[] = {{.text = "account"}, {.i = c->r->user.id}, {.null = true},    {.text = c->category},
                          {.text = c->subject}, {.text = "open"},     {.null = true},    {.null = true},
                          {.i = c->now},        {.i = c->now},         {.text = "en"}};
    db_rc rc = store_row_i64(d, Q_TICKET_INSERT, a, 11, &c->id, 1);
    if (rc != DB_ROW) return tx_from_db(rc == DB_DONE ? DB_ERROR : rc);
    TX_CHECK(ticket_message_add(d, c->id, c->r->user.id, false, &c->msg, c->now));
    TX_CHECK(ticket_load(d, c->id, is_staff(c->r), c->now, &c->out));
    return TX_COMMIT;
}

/* POST /api/v1/tickets {category, subject, message, attachments?} */
void tickets_create(req *r)
{
    json_t *body;
    if (req_json_body(r, &body) != RES_OK) return;
    struct tk_ctx *c = arena_alloc(r->a, sizeof *c);
    *c = (struct tk_ctx){.r = r, .now = clock_now_ms()};
    struct verr e;
    static const char *const keys[] = {"category", "subject", "message", "attachments", NULL};
    if (!json_is_object(body)) {
        reply_error(r, ERR_INVALID_FIELD, "", "the body must be a JSON object");
        return;
    }
    if (!json_only_keys(body, keys, "", &e) || !json_req_string(body, "category", 1, 16, &c->category, &e) ||
        !json_req_string(body, "subject", 1, TICKET_SUBJECT_MAX_CHARS, &c->subject, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    if (!ticket_category_valid(c->category)) {
        reply_error(r, ERR_INVALID_FIELD, "/category", "/category must be pay, task, account, region, safety or other");
        return;
    }
    if (text_blank(c->subject) || strpbrk(c->subject, "\r\n")) {
        reply_error(r, ERR_INVALID_FIELD, "/subject", "/subject must be one line that says something");
        return;
    }
    if (ticket_message_parse(r, body, "message", &c->msg) != RES_OK) return;
    store_rc rc = store_run(r->db, true, create_tx, c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 201, c->out);
}

static tx_rc list_tx(db *d, void *vctx)
{
    struct tk_ctx *c = vctx;
    json_decref(c->out); /* a retried transaction starts over */
    c->out = NULL;
    json_t *rows;
    TX_CHECK(store_rows_json(d, Q_TICKETS_OF_USER, (struct sql_arg[]){{.i = c->r->user.id}}, 1, ticket_cols, &rows));
    size_t i;
    json_t *t;
    json_array_foreach(rows, i, t) {
        ticket_add_clock(t, c->now);
        json_object_del(t, "contact_email");
    }
    c->out = rows;
    return TX_COMMIT;
}

/* GET /api/v1/tickets: the caller's own tickets, newest first. */
void tickets_list(req *r)
{
    struct tk_ctx c = {.r = r, .now = clock_now_ms()};
    store_rc rc = store_run(r->db, false, list_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, json_pack("{s:o}", "items", c.out));
}

static tx_rc queue_tx(db *d, void *vctx)
{
    struct tk_ctx *c = vctx;
    json_decref(c->out); /* a retried transaction starts over */
    c->out = NULL;
    json_t *rows;
    struct sql_arg a[] = {{.text = c->filter}, {.i = c->assignee}, {.i = 500}};
    TX_CHECK(store_rows_json(d, Q_TICKETS_QUEUE, a, 3, ticket_cols, &rows));
    size_t i;
    json_t *t;
    json_array_foreach(rows, i, t) ticket_add_clock(t, c->now);
    c->out = rows;
    return TX_COMMIT;
}

/* GET /api/v1/support/tickets?state=open|waiting_for_worker|resolved|all&assignee=me: the support queue,
 * escalated and unanswered first, then by the first-response deadline (default: every unresolved ticket). */
void support_tickets(req *r)
{
    struct tk_ctx c = {.r = r, .now = clock_now_ms(), .filter = ""};
    const char *s = req_query(r, "state");
    if (s) {
        if (strcmp(s, "all") && strcmp(s, "open") && strcmp(s, "waiting_for_worker") && strcmp(s, "resolved")) {
            reply_error(r, ERR_BAD_QUERY, "state", "?state must be open, waiting_for_worker, resolved or all");
            return;
        }
        c.filter = s;
    }
    const char *who = req_query(r, "assignee");
    if (who) {
        if (strcmp(who, "me")) {
            reply_error(r, ERR_BAD_QUERY, "assignee", "?assignee can only be me");
            return;
        }
        c.assignee = r->user.id;
    }
    store_rc rc = store_run(r->db, false, queue_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, json_pack("{s:o, s:I}", "items", c.out, "first_response_target_ms",
                                 (json_int_t)DUE_FIRST_RESPONSE_MS));
}

static tx_rc get_tx(db *d, void *vctx)
{
    struct tk_ctx *c = vctx;
    json_decref(c->out); /* a retried transaction starts over */
    c->out = NULL;
    bool visible;
    int64_t owner;
    TX_CHECK(ticket_visible(d, c->r, c->r->id, &visible, &owner));
    if (!visible) {
        c->not_found = true;
        return TX_ROLLBACK;
    }
    TX_CHECK(ticket_load(d, c->r->id, is_staff(c->r), c->now, &c->out));
    return TX_COMMIT;
}

static void reply_not_found(req *r)
{
    reply_error(r, ERR_NOT_FOUND, NULL, "no ticket %lld", (long long)r->id);
}

/* GET /api/v1/tickets/{id} */
void tickets_get(req *r)
{
    struct tk_ctx c = {.r = r, .now = clock_now_ms()};
    store_rc rc = store_run(r->db, false, get_tx, &c);
    if (c.not_found) {
        reply_not_found(r);
        return;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, c.out);
}

/* Tells the ticket's person about a staff reply: an inbox notice and email to an account, a fresh one-time
 * link to a contact-page address (so they can follow it from any device). */
static db_rc tell_person(db *d, req *r, int64_t ticket_id, int64_t owner, const char *subject, const char *message,
                         int64_t now)
{
    if (owner) {
        const char *path = arena_printf(r->a, "/worker#ticket-%lld", (long long)ticket_id);
        json_t *vars = json_pack("{s:I, s:s, s:s, s:s}", "ticket_id", (json_int_t)ticket_id, "ticket_subject", subject,
                                 "message", message, "link", arena_printf(r->a, "%s%s", contact_base_url(r->cfg), path));
        db_rc rc = notice_send(d, owner, "ticket", "ticket_reply", vars, path, now);
        json_decref(vars);
        if (rc != DB_OK) return rc;
    }
    db_stmt *s = db_q(d, Q_TICKET_CONTACT_OF);
    db_bind_i64(s, 1, ticket_id);
    db_rc rc = db_step(s);
    if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
    const char *email = db_col_null(s, 0) ? NULL : arena_strdup(r->a, db_col_text(s, 0));
    bool contact = !strcmp(db_col_text(s, 1), "contact");
    const char *language = arena_strdup(r->a, db_col_text(s, 2));
    db_reset(s);
    if (!contact || !email) return DB_OK;
    json_t *vars = json_pack("{s:I, s:s, s:s}", "ticket_id", (json_int_t)ticket_id, "ticket_subject", subject,
                             "message", message);
    rc = contact_send_link(d, r, ticket_id, email, language, "ticket_reply", vars, now);
    json_decref(vars);
    return rc;
}

static tx_rc message_tx(db *d, void *vctx)
{
    struct tk_ctx *c = vctx;
    json_decref(c->out); /* a retried transaction starts over */
    c->out = NULL;
    req *r = c->r;
    bool visible;
    int64_t owner = 0;
    TX_CHECK(ticket_visible(d, r, r->id, &visible, &owner));
    if (!visible) {
        c->not_found = true;
        return TX_ROLLBACK;
    }
    bool staff = is_staff(r) && owner != r->user.id;
    TX_CHECK(ticket_message_add(d, r->id, r->user.id, staff, &c->msg, c->now));
    if (staff) {
        struct sql_arg a[] = {{.i = r->id}, {.i = c->now}, {.i = r->user.id}, {.text = c->state}};
        TX_CHECK(store_exec_args(d, Q_TICKET_STAFF_REPLIED, a, 4, NULL));
        TX_CHECK(ticket_load(d, r->id, true, c->now, &c->out));
        const char *subject = json_string_value(json_object_get(c->out, "subject"));
        db_rc rc = tell_person(d, r, r->id, owner, subject, c->msg.body, c->now);
        if (rc != DB_OK) {
            json_decref(c->out);
            c->out = NULL;
            return tx_from_db(rc);
        }
        return TX_COMMIT;
    }
    TX_CHECK(store_exec_args(d, Q_TICKET_OWNER_REPLIED, (struct sql_arg[]){{.i = r->id}, {.i = c->now}}, 2, NULL));
    TX_CHECK(ticket_load(d, r->id, is_staff(r), c->now, &c->out));
    return TX_COMMIT;
}

static bool staff_state_valid(const char *s)
{
    return !strcmp(s, "open") || !strcmp(s, "waiting_for_worker") || !strcmp(s, "resolved");
}

/* POST /api/v1/tickets/{id}/messages {body, attachments?, state?}: the owner's reply reopens the ticket; a
 * staff reply records the first response and sets state (default waiting_for_worker). */
void tickets_message(req *r)
{
    json_t *body;
    if (req_json_body(r, &body) != RES_OK) return;
    struct tk_ctx *c = arena_alloc(r->a, sizeof *c);
    *c = (struct tk_ctx){.r = r, .now = clock_now_ms()};
    struct verr e;
    static const char *const keys[] = {"body", "attachments", "state", NULL};
    if (!json_is_object(body)) {
        reply_error(r, ERR_INVALID_FIELD, "", "the body must be a JSON object");
        return;
    }
    if (!json_only_keys(body, keys, "", &e) ||
        !json_opt_string(body, "state", 32, "waiting_for_worker", &c->state, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    if (!staff_state_valid(c->state)) {
        reply_error(r, ERR_INVALID_FIELD, "/state", "/state must be open, waiting_for_worker or resolved");
        return;
    }
    if (json_object_get(body, "state") && !is_staff(r)) {
        reply_error(r, ERR_INVALID_FIELD, "/state", "only support staff set a state with a reply");
        return;
    }
    if (ticket_message_parse(r, body, "body", &c->msg) != RES_OK) return;
    store_rc rc = store_run(r->db, true, message_tx, c);
    if (c->not_found) {
        reply_not_found(r);
        return;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 201, c->out);
}

static char *json_text(arena *a, json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(v);
    if (!s) return NULL;
    char *out = arena_strdup(a, s);
    free(s);
    return out;
}

static tx_rc state_tx(db *d, void *vctx)
{
    struct tk_ctx *c = vctx;
    json_decref(c->out); /* a retried transaction starts over */
    c->out = NULL;
    req *r = c->r;
    bool visible;
    int64_t owner = 0, changed = 0;
    TX_CHECK(ticket_visible(d, r, r->id, &visible, &owner));
    if (!visible) {
        c->not_found = true;
        return TX_ROLLBACK;
    }
    TX_CHECK(store_exec_args(d, Q_TICKET_SET_STATE, (struct sql_arg[]){{.i = r->id}, {.text = c->state}, {.i = c->now}},
                             3, &changed));
    char *detail = json_text(r->a, json_pack("{s:I, s:s}", "ticket_id", (json_int_t)r->id, "state", c->state));
    if (!detail) return TX_FAIL;
    TX_CHECK(store_audit_append(d, c->now, r->user.id, "ticket.state", arena_printf(r->a, "ticket %lld",
                                                                                   (long long)r->id), detail));
    TX_CHECK(ticket_load(d, r->id, is_staff(r), c->now, &c->out));
    return TX_COMMIT;
}

/* POST /api/v1/tickets/{id}/state {state}: staff set any state; the owner may resolve or reopen their own. */
void tickets_state(req *r)
{
    json_t *body;
    if (req_json_body(r, &body) != RES_OK) return;
    struct tk_ctx c = {.r = r, .now = clock_now_ms()};
    struct verr e;
    static const char *const keys[] = {"state", NULL};
    if (!json_is_object(body)) {
        reply_error(r, ERR_INVALID_FIELD, "", "the body must be a JSON object");
        return;
    }
    if (!json_only_keys(body, keys, "", &e) || !json_req_string(body, "state", 1, 32, &c.state, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    if (!staff_state_valid(c.state) || (!is_staff(r) && !strcmp(c.state, "waiting_for_worker"))) {
        reply_error(r, ERR_INVALID_FIELD, "/state",
                    is_staff(r) ? "/state must be open, waiting_for_worker or resolved"
                                : "/state must be resolved or open (to reopen)");
        return;
    }
    store_rc rc = store_run(r->db, true, state_tx, &c);
    if (c.not_found) {
        reply_not_found(r);
        return;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, c.out);
}

static tx_rc assign_tx(db *d, void *vctx)
{
    struct tk_ctx *c = vctx;
    json_decref(c->out); /* a retried transaction starts over */
    c->out = NULL;
    req *r = c->r;
    bool visible;
    int64_t owner = 0, one;
    TX_CHECK(ticket_visible(d, r, r->id, &visible, &owner));
    if (!visible) {
        c->not_found = true;
        return TX_ROLLBACK;
    }
    db_rc rc = store_row_i64(d, Q_TICKET_STAFF_USER, (struct sql_arg[]){{.i = c->assignee}}, 1, &one, 1);
    if (rc == DB_DONE) {
        c->filter = "bad_assignee";
        return TX_ROLLBACK;
    }
    if (rc != DB_ROW) return tx_from_db(rc);
    TX_CHECK(store_exec_args(d, Q_TICKET_ASSIGN, (struct sql_arg[]){{.i = r->id}, {.i = c->assignee}, {.i = c->now}}, 3,
                             NULL));
    char *detail =
        json_text(r->a, json_pack("{s:I, s:I}", "ticket_id", (json_int_t)r->id, "assignee_id", (json_int_t)c->assignee));
    if (!detail) return TX_FAIL;
    TX_CHECK(store_audit_append(d, c->now, r->user.id, "ticket.assigned",
                                arena_printf(r->a, "ticket %lld", (long long)r->id), detail));
    TX_CHECK(ticket_load(d, r->id, true, c->now, &c->out));
    return TX_COMMIT;
}

/* POST /api/v1/tickets/{id}/assign {assignee_id?}: to a support or admin user; without one, to the caller. */
void tickets_assign(req *r)
{
    json_t *body;
    if (req_json_body(r, &body) != RES_OK) return;
    struct tk_ctx c = {.r = r, .now = clock_now_ms()};
    struct verr e;
    static const char *const keys[] = {"assignee_id", NULL};
    if (!json_is_object(body)) {
        reply_error(r, ERR_INVALID_FIELD, "", "the body must be a JSON object");
        return;
    }
    if (!json_only_keys(body, keys, "", &e) ||
        !json_opt_int(body, "assignee_id", 1, INT64_MAX, r->user.id, &c.assignee, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    store_rc rc = store_run(r->db, true, assign_tx, &c);
    if (c.not_found) {
        reply_not_found(r);
        return;
    }
    if (c.filter) {
        reply_error(r, ERR_INVALID_FIELD, "/assignee_id", "user %lld is not an active support or admin user",
                    (long long)c.assignee);
        return;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, c.out);
}

struct att_visible {
    req *r;
    int64_t ticket_id;
    bool visible;
};

static tx_rc att_visible_tx(db *d, void *vctx)
{
    struct att_visible *v = vctx;
    int64_t owner = 0;
    TX_CHECK(ticket_visible(d, v->r, v->ticket_id, &v->visible, &owner));
    return TX_COMMIT;
}

static bool signed_in_may_see(req *r, int64_t ticket_id, void *ctx)
{
    (void)ctx;
    struct att_visible v = {.r = r, .ticket_id = ticket_id};
    return store_run(r->db, false, att_visible_tx, &v) == STORE_OK && v.visible;
}

/* GET /api/v1/ticket-attachments/{id} */
void ticket_attachments_get(req *r)
{
    ticket_attachment_reply(r, r->id, signed_in_may_see, NULL);
}

/* ---- escalation (FW-17) ---- */

struct esc_ctx {
    const struct server_config *cfg;
    int64_t id, now;
    arena *a;
    bool done;
};

static tx_rc escalate_tx(db *d, void *vctx)
{
    struct esc_ctx *c = vctx;
    int64_t changed = 0;
    TX_CHECK(store_exec_args(d, Q_TICKET_ESCALATE, (struct sql_arg[]){{.i = c->id}, {.i = c->now}}, 2, &changed));
    if (changed != 1) return TX_COMMIT; /* answered, or another server escalated it meanwhile */
    json_t *t;
    db_rc rc = ticket_load(d, c->id, true, c->now, &t);
    if (rc != DB_ROW) return tx_from_db(rc == DB_DONE ? DB_ERROR : rc);
    const char *subject = arena_strdup(c->a, json_string_value(json_object_get(t, "subject")));
    const char *category = arena_strdup(c->a, json_string_value(json_object_get(t, "category")));
    json_decref(t);
    char *detail = json_text(c->a, json_pack("{s:I, s:s, s:I}", "ticket_id", (json_int_t)c->id, "category", category,
                                             "target_hours", (json_int_t)(DUE_FIRST_RESPONSE_MS / 3600000)));
    if (!detail) return TX_FAIL;
    TX_CHECK(store_audit_append(d, c->now, 0, "ticket.escalated", arena_printf(c->a, "ticket %lld", (long long)c->id),
                                detail));
    json_t *admins;
    static const char *const cols[] = {"i:id", NULL};
    TX_CHECK(store_rows_json(d, Q_TICKET_ADMINS, NULL, 0, cols, &admins));
    const char *link = arena_printf(c->a, "/support#ticket-%lld", (long long)c->id);
    json_t *vars = json_pack("{s:I, s:s, s:s, s:s}", "ticket_id", (json_int_t)c->id, "ticket_subject", subject,
                             "category", category, "link", arena_printf(c->a, "%s%s", contact_base_url(c->cfg), link));
    size_t i;
    json_t *a;
    rc = DB_OK;
    json_array_foreach(admins, i, a) {
        rc = notice_send(d, json_integer_value(json_object_get(a, "id")), "ticket_escalated", "ticket_escalated", vars,
                         link, c->now);
        if (rc != DB_OK) break;
    }
    json_decref(vars);
    json_decref(admins);
    if (rc != DB_OK) return tx_from_db(rc);
    c->done = true;
    return TX_COMMIT;
}

int job_ticket_escalation(db *d, const struct server_config *cfg, int64_t now)
{
    json_t *rows;
    static const char *const cols[] = {"i:id", "i:opened_at", "i:first_response_at", NULL};
    struct sql_arg a[] = {{.i = now - DUE_FIRST_RESPONSE_MS}, {.i = 50}};
    if (store_rows_json(d, Q_TICKETS_TO_ESCALATE, a, 2, cols, &rows) != DB_OK) return -1;
    int failures = 0;
    size_t i;
    json_t *t;
    json_array_foreach(rows, i, t) {
        json_t *f = json_object_get(t, "first_response_at");
        int64_t opened = json_integer_value(json_object_get(t, "opened_at"));
        if (!due_ticket_escalates(opened, json_is_integer(f) ? json_integer_value(f) : 0, now)) continue;
        arena *ar = arena_new(8192);
        struct esc_ctx c = {.cfg = cfg, .id = json_integer_value(json_object_get(t, "id")), .now = now, .a = ar};
        if (store_run(d, true, escalate_tx, &c) != STORE_OK) failures++;
        arena_free(ar);
    }
    json_decref(rows);
    return failures ? -1 : 0;
}
