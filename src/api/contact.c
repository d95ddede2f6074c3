/* The login-free contact page (FW-17) for people locked out: a request creates an unverified ticket and emails a
 * one-time link; following it opens the ticket and gives a token scoped to that one ticket, with which the
 * person reads the thread and replies. Safety reports may be anonymous (no address, no follow-up). */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/notice.h"
#include "api/tickets.h"
#include "core/validate.h"
#include "http/reply.h"
#include "util/clock.h"
#include "util/env.h"
#include "util/tokens.h"

#define CONTACT_WINDOW_MS 3600000LL

const char *contact_base_url(const struct server_config *cfg)
{
    static _Thread_local char url[256];
    const char *env = getenv("FAIRLABEL_PUBLIC_URL");
    if (env && *env)
        snprintf(url, sizeof url, "%s", env);
    else
        snprintf(url, sizeof url, "http://%s", cfg->listen ? cfg->listen : "127.0.0.1:8080");
    size_t n = strlen(url);
    if (n && url[n - 1] == '/') url[n - 1] = '\0';
    return url;
}

db_rc contact_send_link(db *d, req *r, int64_t ticket_id, const char *email, const char *language,
                        const char *template_id, json_t *vars, int64_t now)
{
    char token[TOKEN_TEXT_MAX], hash[TOKEN_HASH_HEX];
    token_new("flc_", token);
    token_hash(token, hash);
    struct sql_arg a[] = {{.i = ticket_id}, {.text = hash}, {.i = now + TICKET_LINK_TTL_MS}};
    db_rc rc = store_exec_args(d, Q_TICKET_SET_VERIFY, a, 3, NULL);
    if (rc != DB_OK) return rc;
    json_object_set_new(vars, "link", json_string(arena_printf(r->a, "%s/contact?t=%s", contact_base_url(r->cfg), token)));
    json_object_set_new(vars, "hours", json_integer(TICKET_LINK_TTL_MS / 3600000));
    return mail_enqueue_to(d, email, language, template_id, vars, now);
}

/* ---- POST /api/v1/contact ---- */

struct contact_ctx {
    req *r;
    int64_t now, id, retry_ms;
    const char *email, *category, *subject, *language, *ip_scope, *email_scope;
    struct ticket_message_in msg;
    bool throttled;
};

/* Counts one request in scope's window; *over when the window already holds max. */
static db_rc throttle_count(db *d, const char *scope, int max, int64_t now, bool *over, int64_t *retry_ms)
{
    struct throttle t = {0};
    db_rc rc = store_throttle_get(d, scope, &t);
    if (rc != DB_ROW && rc != DB_DONE) return rc;
    if (rc == DB_DONE || now - t.window_start >= CONTACT_WINDOW_MS) {
        t.failures = 0;
        t.window_start = now;
    }
    if (t.failures >= max) {
        *over = true;
        int64_t wait = t.window_start + CONTACT_WINDOW_MS - now;
        if (wait > *retry_ms) *retry_ms = wait;
        return DB_OK;
    }
    t.failures++;
    t.locked_until = 0;
    return store_throttle_put(d, scope, &t);
}

static tx_rc contact_tx(db *d, void *vctx)
{
    struct contact_ctx *c = vctx;
    c->throttled = false;
    c->retry_ms = 0;
    TX_CHECK(throttle_count(d, c->ip_scope, (int)env_i64("FAIRLABEL_CONTACT_MAX_PER_IP", 20, 1, 1000000), c->now, &c->throttled,
                            &c->retry_ms));
    if (c->email_scope)
        TX_CHECK(throttle_count(d, c->email_scope, (int)env_i64("FAIRLABEL_CONTACT_MAX_PER_EMAIL", 3, 1, 1000000), c->now,
                                &c->throttled, &c->retry_ms));
    if (c->throttled) return TX_ROLLBACK;
    bool anonymous = !c->email;
    struct sql_arg a[] = {{.text = anonymous ? "anonymous" : "contact"},
                          {.null = true},
                          {.text = c->email, .null = anonymous},
                          {.text = c->category},
                          {.text = c->subject},
                          {.text = anonymous ? "open" : "unverified"},
                          {.null = true},
                          {.null = true},
                          {.i = c->now},
                          {.i = c->now, .null = !anonymous},
                          {.text = c->language}};
    db_rc rc = store_row_i64(d, Q_TICKET_INSERT, a, 11, &c->id, 1);
    if (rc != DB_ROW) return tx_from_db(rc == DB_DONE ? DB_ERROR : rc);
    TX_CHECK(ticket_message_add(d, c->id, 0, false, &c->msg, c->now));
    if (anonymous) return TX_COMMIT;
    json_t *vars = json_object();
    rc = contact_send_link(d, c->r, c->id, c->email, c->language, "contact_link", vars, c->now);
    json_decref(vars);
    return rc == DB_OK ? TX_COMMIT : tx_from_db(rc);
}

/* POST /api/v1/contact {email?, category, subject, message, language?, attachments?} (public). With an email: an
 * unverified ticket and a one-time link by email (202). Without: only a safety report, anonymous (201). */
void contact_create(req *r)
{
    json_t *body;
    struct contact_ctx *c = arena_alloc(r->a, sizeof *c);
    *c = (struct contact_ctx){.r = r, .now = clock_now_ms()};
    struct verr e;
    static const char *const keys[] = {"email", "category", "subject", "message", "language", "attachments", NULL};
    if (req_json_object(r, keys, &body) != RES_OK) return;
    if (!json_opt_string(body, "email", 254, NULL, &c->email, &e) ||
        !json_req_string(body, "category", 1, 16, &c->category, &e) ||
        !json_req_string(body, "subject", 1, TICKET_SUBJECT_MAX_CHARS, &c->subject, &e) ||
        !json_opt_string(body, "language", 8, "en", &c->language, &e)) {
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
    if (strcmp(c->language, "en") && strcmp(c->language, "fr")) {
        reply_error(r, ERR_INVALID_FIELD, "/language", "/language must be en or fr");
        return;
    }
    if (c->email && !*c->email) c->email = NULL;
    if (c->email) {
        char *norm = arena_strdup(r->a, c->email);
        if (!email_normalize(norm)) {
            reply_error(r, ERR_INVALID_FIELD, "/email", "/email is not an email address");
            return;
        }
        c->email = norm;
        c->email_scope = arena_printf(r->a, "contact-email:%s", norm);
    } else if (strcmp(c->category, "safety")) {
        reply_error(r, ERR_INVALID_FIELD, "/email",
                    "/email is needed to follow up; only safety reports may be sent without one (anonymously)");
        return;
    }
    if (ticket_message_parse(r, body, "message", &c->msg) != RES_OK) return;
    c->ip_scope = arena_printf(r->a, "contact-ip:%s", r->client_addr);
    store_rc rc = store_run(r->db, true, contact_tx, c);
    if (c->throttled) {
        int64_t wait_s = (c->retry_ms + 999) / 1000;
        evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Retry-After",
                          arena_printf(r->a, "%lld", (long long)wait_s));
        reply_error(r, ERR_CONTACT_THROTTLED, NULL, "too many contact requests; try again in %lld seconds",
                    (long long)wait_s);
        return;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    if (!c->email) {
        reply_json(r, 201, json_pack("{s:s, s:b, s:s, s:s}", "state", "open", "follow_up", 0, "category", "safety",
                                     "detail",
                                     "Your anonymous safety report reached the support team. It carries no address, "
                                     "so nobody can answer you or ask you questions about it."));
        return;
    }
    reply_json(r, 202, json_pack("{s:s, s:b, s:s, s:I, s:s}", "state", "unverified", "follow_up", 1, "email", c->email,
                                 "link_expires_in_ms", (json_int_t)TICKET_LINK_TTL_MS, "detail",
                                 "We emailed a link to this address. Open it within 24 hours to confirm the address "
                                 "and follow your request."));
}

/* ---- POST /api/v1/contact/verify ---- */

struct verify_ctx {
    req *r;
    int64_t now, id;
    const char *hash, *access_hash;
    bool invalid;
    json_t *out;
};

static tx_rc verify_tx(db *d, void *vctx)
{
    struct verify_ctx *c = vctx;
    json_decref(c->out); /* a retried transaction starts over */
    c->out = NULL;
    int64_t v[2];
    db_rc rc = store_row_i64(d, Q_TICKET_BY_VERIFY, (struct sql_arg[]){{.text = c->hash}}, 1, v, 2);
    if (rc == DB_DONE || (rc == DB_ROW && v[1] <= c->now)) {
        c->invalid = true;
        return TX_ROLLBACK;
    }
    if (rc != DB_ROW) return tx_from_db(rc);
    c->id = v[0];
    /* the address is proven now: a ticket from an account's address shows in that account too */
    db_stmt *s = db_q(d, Q_TICKET_CONTACT_OF);
    db_bind_i64(s, 1, c->id);
    rc = db_step(s);
    if (rc != DB_ROW) return tx_from_db(rc == DB_DONE ? DB_ERROR : rc);
    const char *email = arena_strdup(c->r->a, db_col_text(s, 0));
    db_reset(s);
    struct user u;
    const char *pw;
    rc = store_user_by_email(d, c->r->a, email, &u, &pw);
    if (rc != DB_ROW && rc != DB_DONE) return tx_from_db(rc);
    int64_t user_id = rc == DB_ROW ? u.id : 0;
    int64_t changed = 0;
    struct sql_arg a[] = {{.i = c->id}, {.text = c->access_hash}, {.i = c->now}, {.i = user_id, .null = !user_id},
                          {.text = c->hash}};
    TX_CHECK(store_exec_args(d, Q_TICKET_VERIFY, a, 5, &changed));
    if (changed != 1) return TX_RETRY; /* another request used the link meanwhile: look again */
    TX_CHECK(store_audit_append(d, c->now, user_id, "ticket.contact_verified",
                                arena_printf(c->r->a, "ticket %lld", (long long)c->id),
                                arena_printf(c->r->a, "{\"ticket_id\":%lld}", (long long)c->id)));
    TX_CHECK(ticket_load(d, c->id, false, c->now, &c->out));
    return TX_COMMIT;
}

/* POST /api/v1/contact/verify {token} (public): the emailed link's token, once. Opens the ticket (its
 * first-response clock starts) and answers a new ticket-scoped access token. */
void contact_verify(req *r)
{
    json_t *body;
    struct verify_ctx c = {.r = r, .now = clock_now_ms()};
    struct verr e;
    static const char *const keys[] = {"token", NULL};
    const char *token;
    if (req_json_object(r, keys, &body) != RES_OK) return;
    if (!json_req_string(body, "token", 1, TOKEN_TEXT_MAX, &token, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    char h[TOKEN_HASH_HEX], access[TOKEN_TEXT_MAX], ah[TOKEN_HASH_HEX];
    token_hash(token, h);
    token_new("flt_", access);
    token_hash(access, ah);
    c.hash = h;
    c.access_hash = ah;
    store_rc rc = store_run(r->db, true, verify_tx, &c);
    if (c.invalid) {
        reply_error(r, ERR_CONTACT_LINK_INVALID, "/token", "this link is unknown, already used or expired");
        return;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, json_pack("{s:I, s:s, s:o}", "ticket_id", (json_int_t)c.id, "access_token", access, "ticket",
                                 c.out));
}

/* ---- the ticket-scoped bearer routes ---- */

struct scoped_ctx {
    req *r;
    int64_t now, id;
    const char *hash;
    struct ticket_message_in msg;
    json_t *out;
};

static tx_rc scoped_lookup_tx(db *d, void *vctx)
{
    struct scoped_ctx *c = vctx;
    db_rc rc = store_row_i64(d, Q_TICKET_BY_ACCESS, (struct sql_arg[]){{.text = c->hash}}, 1, &c->id, 1);
    if (rc == DB_DONE) c->id = 0;
    else if (rc != DB_ROW) return tx_from_db(rc);
    return TX_COMMIT;
}

/* The ticket the Authorization: Bearer token opens, into c->id; replies 401 itself when none. */
static res scoped_ticket(req *r, struct scoped_ctx *c)
{
    const char *h = req_header(r, "Authorization");
    if (!h || strncmp(h, "Bearer ", 7) || strlen(h + 7) >= TOKEN_TEXT_MAX) {
        reply_error(r, ERR_AUTH_REQUIRED, NULL, "send Authorization: Bearer with the ticket's access token");
        return RES_REPLIED;
    }
    char hash[TOKEN_HASH_HEX];
    token_hash(h + 7, hash);
    c->hash = arena_strdup(r->a, hash);
    store_rc rc = store_run(r->db, false, scoped_lookup_tx, c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return RES_REPLIED;
    }
    if (!c->id) {
        reply_error(r, ERR_AUTH_REQUIRED, NULL, "this access token opens no ticket");
        return RES_REPLIED;
    }
    return RES_OK;
}

static tx_rc scoped_get_tx(db *d, void *vctx)
{
    struct scoped_ctx *c = vctx;
    json_decref(c->out);
    c->out = NULL;
    db_rc rc = ticket_load(d, c->id, false, c->now, &c->out);
    if (rc != DB_ROW) return tx_from_db(rc == DB_DONE ? DB_ERROR : rc);
    return TX_COMMIT;
}

/* GET /api/v1/contact/ticket (public route; Authorization: Bearer ACCESS_TOKEN of one ticket) */
void contact_ticket_get(req *r)
{
    struct scoped_ctx c = {.r = r, .now = clock_now_ms()};
    if (scoped_ticket(r, &c) != RES_OK) return;
    store_rc rc = store_run(r->db, false, scoped_get_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, c.out);
}

static tx_rc scoped_message_tx(db *d, void *vctx)
{
    struct scoped_ctx *c = vctx;
    json_decref(c->out); /* a retried transaction starts over */
    c->out = NULL;
    TX_CHECK(ticket_message_add(d, c->id, 0, false, &c->msg, c->now));
    TX_CHECK(store_exec_args(d, Q_TICKET_OWNER_REPLIED, (struct sql_arg[]){{.i = c->id}, {.i = c->now}}, 2, NULL));
    return scoped_get_tx(d, c);
}

/* POST /api/v1/contact/ticket/messages {body, attachments?} (Bearer ACCESS_TOKEN): the person's reply reopens it. */
void contact_ticket_message(req *r)
{
    struct scoped_ctx *c = arena_alloc(r->a, sizeof *c);
    *c = (struct scoped_ctx){.r = r, .now = clock_now_ms()};
    if (scoped_ticket(r, c) != RES_OK) return;
    json_t *body;
    static const char *const keys[] = {"body", "attachments", NULL};
    if (req_json_object(r, keys, &body) != RES_OK) return;
    if (ticket_message_parse(r, body, "body", &c->msg) != RES_OK) return;
    store_rc rc = store_run(r->db, true, scoped_message_tx, c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 201, c->out);
}

static bool scoped_may_see(req *r, int64_t ticket_id, void *ctx)
{
    (void)r;
    return ticket_id == ((struct scoped_ctx *)ctx)->id;
}

/* GET /api/v1/contact/attachments/{id} (Bearer ACCESS_TOKEN): an attachment of that ticket only. */
void contact_attachment_get(req *r)
{
    struct scoped_ctx c = {.r = r, .now = clock_now_ms()};
    if (scoped_ticket(r, &c) != RES_OK) return;
    ticket_attachment_reply(r, r->id, scoped_may_see, &c);
}
