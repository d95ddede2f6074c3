/* Email re-verification as a step-up of the risk score (FW-25): the one-time link (only its hash is stored), the
 * worker's resend, and the public route that confirms the address. Claims wait for it (decision_claim_check). */
#include "api/email_verify.h"

#include <string.h>

#include "api/api.h"
#include "api/decisions.h"
#include "api/notice.h"
#include "api/notify.h"
#include "api/tickets.h"
#include "core/validate.h"
#include "http/reply.h"
#include "util/clock.h"
#include "util/tokens.h"

/* A new token: its hash into hash, the link to email into *link. */
static void new_link(req *r, char hash[TOKEN_HASH_HEX], const char **link)
{
    char token[TOKEN_TEXT_MAX];
    token_new("flv_", token);
    token_hash(token, hash);
    *link = arena_printf(r->a, "%s/verify-email?t=%s", contact_base_url(r->cfg), token);
}

/* Emails the link to the worker's address only: an inbox copy would let whoever holds the session confirm it. */
static db_rc send_link(db *d, req *r, int64_t worker_id, const char *link, int64_t now)
{
    db_stmt *s = db_q(d, Q_USER_MAIL_TARGET);
    db_bind_i64(s, 1, worker_id);
    db_rc rc = db_step(s);
    if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
    const char *email = arena_strdup(r->a, db_col_text(s, 0));
    const char *lang = arena_strdup(r->a, db_col_text(s, 1));
    db_reset(s);
    json_t *vars = json_pack("{s:s, s:i}", "link", link, "days", (int)(EMAIL_REVERIFY_TTL_MS / 86400000LL));
    if (!vars) return DB_ERROR;
    rc = mail_enqueue_to(d, email, lang, "email_reverify", vars, now);
    json_decref(vars);
    if (rc != DB_OK) return rc;
    return notify_user(d, worker_id, "email_reverify", "Confirm your email address",
                       "We emailed you a link to confirm your address. Until you open it you get no new work; your "
                       "earnings, payouts, tickets, appeals and data export stay open to you. Ask for a new link "
                       "with POST /api/v1/me/email-verification.",
                       "/worker", now);
}

db_rc email_reverify_start(db *d, req *r, int64_t worker_id, int64_t event_id, int64_t approver, int64_t now)
{
    char hash[TOKEN_HASH_HEX];
    const char *link;
    new_link(r, hash, &link);
    int64_t pending[4], id;
    db_rc rc = store_row_i64(d, Q_EMAIL_REVERIFY_PENDING, (struct sql_arg[]){{.i = worker_id}}, 1, pending, 4);
    if (rc == DB_ROW) {
        id = pending[0];
        rc = store_exec_args(d, Q_EMAIL_REVERIFY_RESEND,
                             (struct sql_arg[]){{.i = id}, {.text = hash}, {.i = now + EMAIL_REVERIFY_TTL_MS}, {.i = now}},
                             4, NULL);
    } else if (rc == DB_DONE) {
        struct sql_arg a[] = {{.i = worker_id}, {.i = event_id, .null = event_id <= 0}, {.i = approver}, {.text = hash},
                              {.i = now + EMAIL_REVERIFY_TTL_MS}, {.i = now}};
        rc = store_row_i64(d, Q_EMAIL_REVERIFY_ADD, a, 6, &id, 1);
        rc = rc == DB_ROW ? DB_OK : rc == DB_DONE ? DB_ERROR : rc;
    }
    if (rc != DB_OK) return rc;
    if ((rc = send_link(d, r, worker_id, link, now)) != DB_OK) return rc;
    return decision_audit(d, r->a, now, approver, "email_reverify.requested", "risk",
                          json_pack("{s:I, s:I, s:I}", "worker_id", (json_int_t)worker_id, "quality_event_id",
                                    (json_int_t)event_id, "reverification_id", (json_int_t)id));
}

/* ---- POST /api/v1/me/email-verification: the worker asks for a new link ---- */

struct resend_ctx {
    req *r;
    int64_t now, sent_at, expires_at, retry_ms;
    err_id err;
};

static tx_rc resend_tx(db *d, void *vctx)
{
    struct resend_ctx *c = vctx;
    req *r = c->r;
    int64_t p[4];
    db_rc rc = store_row_i64(d, Q_EMAIL_REVERIFY_PENDING, (struct sql_arg[]){{.i = r->user.id}}, 1, p, 4);
    TX_CHECK(rc);
    if (rc == DB_DONE) {
        c->err = ERR_EMAIL_REVERIFY_NONE;
        return TX_ROLLBACK;
    }
    if (c->now - p[1] < EMAIL_REVERIFY_RESEND_MS) {
        c->err = ERR_EMAIL_REVERIFY_THROTTLED;
        c->retry_ms = EMAIL_REVERIFY_RESEND_MS - (c->now - p[1]);
        return TX_ROLLBACK;
    }
    char hash[TOKEN_HASH_HEX];
    const char *link;
    new_link(r, hash, &link);
    c->sent_at = c->now;
    c->expires_at = c->now + EMAIL_REVERIFY_TTL_MS;
    TX_CHECK(store_exec_args(d, Q_EMAIL_REVERIFY_RESEND,
                             (struct sql_arg[]){{.i = p[0]}, {.text = hash}, {.i = c->expires_at}, {.i = c->now}}, 4,
                             NULL));
    TX_CHECK(send_link(d, r, r->user.id, link, c->now));
    TX_CHECK(decision_audit(d, r->a, c->now, r->user.id, "email_reverify.resent", r->user.email,
                            json_pack("{s:I, s:I}", "reverification_id", (json_int_t)p[0], "sends", (json_int_t)p[2] + 1)));
    return TX_COMMIT;
}

void me_email_verification_resend(req *r)
{
    static const char *const keys[] = {NULL};
    json_t *body;
    if (r->body_len && req_json_object(r, keys, &body) != RES_OK) return;
    struct resend_ctx c = {.r = r, .now = clock_now_ms()};
    store_rc rc = store_run(r->db, true, resend_tx, &c);
    if (c.err == ERR_EMAIL_REVERIFY_THROTTLED) {
        reply_error(r, c.err, NULL, "a link was sent less than 10 minutes ago; ask again in %lld s",
                    (long long)((c.retry_ms + 999) / 1000));
        return;
    }
    if (c.err) {
        reply_error(r, c.err, NULL, "no email confirmation is pending for your account");
        return;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, json_pack("{s:s, s:o, s:o}", "state", "pending", "sent_at", json_time(c.sent_at), "expires_at",
                                 json_time(c.expires_at)));
}

/* ---- POST /api/v1/email-verification/confirm {token} (public): the emailed link, once ---- */

struct confirm_ctx {
    req *r;
    int64_t now;
    const char *hash;
    bool invalid;
};

static tx_rc confirm_tx(db *d, void *vctx)
{
    struct confirm_ctx *c = vctx;
    static const char *const cols[] = {"i:id", "i:user_id", "i:expires_at", "s:token_hash", "s:email", NULL};
    json_t *rows;
    TX_CHECK(store_rows_json(d, Q_EMAIL_REVERIFY_BY_HASH, (struct sql_arg[]){{.text = c->hash}}, 1, cols, &rows));
    json_t *row = json_array_get(rows, 0);
    const char *stored = row ? json_string_value(json_object_get(row, "token_hash")) : NULL;
    /* the lookup found it by hash; the comparison itself runs in constant time */
    if (!stored || !token_equal(stored, c->hash) ||
        json_integer_value(json_object_get(row, "expires_at")) <= c->now) {
        json_decref(rows);
        c->invalid = true;
        return TX_ROLLBACK;
    }
    int64_t id = json_integer_value(json_object_get(row, "id"));
    int64_t user = json_integer_value(json_object_get(row, "user_id"));
    const char *email = arena_strdup(c->r->a, json_string_value(json_object_get(row, "email")));
    json_decref(rows);
    int64_t changed = 0;
    TX_CHECK(store_exec_args(d, Q_EMAIL_REVERIFY_DONE, (struct sql_arg[]){{.i = id}, {.i = c->now}}, 2, &changed));
    if (changed != 1) return TX_RETRY; /* used meanwhile: look again */
    TX_CHECK(decision_audit(d, c->r->a, c->now, user, "email_reverify.verified", email,
                            json_pack("{s:I}", "reverification_id", (json_int_t)id)));
    TX_CHECK(notify_user(d, user, "email_reverify", "Email address confirmed",
                         "Thank you: your email address is confirmed and you can take new work again.", "/worker",
                         c->now));
    return TX_COMMIT;
}

void email_verification_confirm(req *r)
{
    static const char *const keys[] = {"token", NULL};
    json_t *body;
    if (req_json_object(r, keys, &body) != RES_OK) return;
    const char *token;
    struct verr e;
    if (!json_req_string(body, "token", 1, TOKEN_TEXT_MAX - 1, &token, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    char h[TOKEN_HASH_HEX];
    token_hash(token, h);
    struct confirm_ctx c = {.r = r, .now = clock_now_ms(), .hash = h};
    store_rc rc = store_run(r->db, true, confirm_tx, &c);
    if (c.invalid) {
        reply_error(r, ERR_EMAIL_REVERIFY_LINK_INVALID, "/token", "this link is unknown, already used or expired");
        return;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, json_pack("{s:s}", "state", "verified"));
}
