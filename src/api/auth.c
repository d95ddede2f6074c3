/* Sign-up, sign-in, sign-out and caller identification (bearer tokens, API keys, cookies + CSRF). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/risk.h"
#include "api/notice.h"
#include "api/regions.h"
#include "core/country.h"
#include "core/validate.h"
#include "http/reply.h"
#include "util/clock.h"
#include "util/tokens.h"

#define SESSION_COOKIE "fl_session"
#define CSRF_COOKIE "fl_csrf"
#define APIKEY_PREFIX "flk_"
#define APIKEY_TOUCH_MS 60000

/* Returns the value of cookie `name` from the Cookie header, copied into the arena. */
static const char *cookie_get(req *r, const char *name)
{
    const char *h = req_header(r, "Cookie");
    size_t nl = strlen(name);
    while (h && *h) {
        while (*h == ' ' || *h == ';') h++;
        const char *end = strchr(h, ';');
        size_t len = end ? (size_t)(end - h) : strlen(h);
        if (len > nl && !strncmp(h, name, nl) && h[nl] == '=') return arena_strndup(r->a, h + nl + 1, len - nl - 1);
        h = end;
    }
    return NULL;
}

struct identify_ctx {
    arena *a;
    const char *hash;
    bool api_key, found;
    int64_t now, key_id, last_used;
    struct user user;
    const char *csrf_hash;
};

static tx_rc identify_tx(db *d, void *vctx)
{
    struct identify_ctx *c = vctx;
    db_rc rc = c->api_key ? store_apikey_lookup(d, c->a, c->hash, &c->user, &c->key_id, &c->last_used)
                          : store_session_lookup(d, c->a, c->hash, c->now, &c->user, &c->csrf_hash);
    TX_CHECK(rc);
    c->found = rc == DB_ROW && !c->user.disabled;
    return TX_COMMIT;
}

static tx_rc touch_key_tx(db *d, void *vctx)
{
    struct identify_ctx *c = vctx;
    TX_CHECK(store_apikey_touch(d, c->key_id, c->now));
    return TX_COMMIT;
}

res auth_identify(req *r)
{
    const char *token = NULL;
    const char *authz = req_header(r, "Authorization");
    if (authz && !strncasecmp(authz, "Bearer ", 7)) {
        token = authz + 7;
    } else if ((token = cookie_get(r, SESSION_COOKIE)) != NULL) {
        r->via_cookie = true;
    }
    if (!token || !*token || strlen(token) >= TOKEN_TEXT_MAX) return RES_OK;

    char hash[TOKEN_HASH_HEX];
    token_hash(token, hash);
    struct identify_ctx c = {.a = r->a, .hash = hash, .now = clock_now_ms()};
    c.api_key = !r->via_cookie && !strncmp(token, APIKEY_PREFIX, strlen(APIKEY_PREFIX));
    /* sessions are read from a short-lived cache emptied by this process's user and session writes */
    if (!c.api_key && store_session_cache_get(hash, c.now, r->a, &c.user, &c.csrf_hash)) {
        c.found = true;
    } else {
        uint64_t epoch = store_auth_epoch();
        store_rc rc = store_run(r->db, false, identify_tx, &c);
        if (rc != STORE_OK) {
            reply_store_failure(r, rc);
            return RES_REPLIED;
        }
        if (c.found && !c.api_key) store_session_cache_put(hash, c.now, epoch, &c.user, c.csrf_hash);
    }
    if (!c.found) return RES_OK;
    if (c.api_key && c.now - c.last_used > APIKEY_TOUCH_MS) store_run(r->db, true, touch_key_tx, &c);
    r->authed = true;
    r->user = c.user;
    r->role = role_bit(c.user.role);
    if (!c.api_key) r->token_hash = arena_strdup(r->a, hash);
    r->csrf_hash = c.csrf_hash;
    return RES_OK;
}

bool auth_csrf_ok(req *r)
{
    const char *sent = req_header(r, "X-CSRF-Token");
    if (!sent || !r->csrf_hash || strlen(sent) >= TOKEN_TEXT_MAX) return false;
    char hash[TOKEN_HASH_HEX];
    token_hash(sent, hash);
    return token_equal(hash, r->csrf_hash);
}

void me_get(req *r)
{
    json_t *me = user_json(&r->user);
    json_object_set_new(me, "language", json_string(notice_user_language(r->db, r->user.id)));
    reply_json(r, 200, me);
}

/* ---- registration ---- */

bool account_fields(req *r, json_t *body, bool with_role, struct user *u, const char **password)
{
    static const char *const keys_self[] = {"email", "password", "display_name", "country", NULL};
    static const char *const keys_admin[] = {"email", "password", "display_name", "country", "role", NULL};
    struct verr e;
    const char *email;
    if (!json_is_object(body)) {
        reply_error(r, ERR_INVALID_FIELD, "", "the body must be a JSON object");
        return false;
    }
    if (!json_only_keys(body, with_role ? keys_admin : keys_self, "", &e) ||
        !json_req_string(body, "email", 3, 254, &email, &e) ||
        !json_req_string(body, "password", 8, 256, password, &e) ||
        !json_req_string(body, "display_name", 1, 100, &u->display_name, &e) ||
        !json_req_string(body, "country", 2, 2, &u->country, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return false;
    }
    char *norm = arena_strdup(r->a, email);
    if (!email_normalize(norm)) {
        reply_error(r, ERR_INVALID_FIELD, "/email", "email is not a valid address");
        return false;
    }
    u->email = norm;
    if (!country_code_valid(u->country)) {
        reply_error(r, ERR_INVALID_FIELD, "/country", "country must be an ISO 3166 alpha-2 code such as KE");
        return false;
    }
    u->role = "worker";
    if (with_role) {
        if (!json_req_string(body, "role", 1, 32, &u->role, &e)) {
            reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
            return false;
        }
        if (!role_name_valid(u->role)) {
            reply_error(r, ERR_INVALID_FIELD, "/role", "role must be one of " ROLE_NAMES);
            return false;
        }
    }
    u->created_at = clock_now_ms();
    return true;
}

void auth_register(req *r)
{
    if (region_signup_check(r) != RES_OK) return; /* FW-15: a paused country's sign-up is told why and when */
    account_create(r, false);
}

/* ---- sign-in with throttling ---- */

struct login_ctx {
    req *r;
    arena *a;
    const struct server_config *cfg;
    const char *email, *client, *acct_scope, *ip_scope;
    int64_t now;
    /* read phase */
    struct throttle acct, ip;
    bool user_found;
    struct user user;
    const char *pw_hash;
    char *password; /* wiped once verified */
    int verified;   /* password_verify's answer */
    /* write phase */
    bool success;
    const char *token_hash, *csrf_hash;
};

static tx_rc login_read_tx(db *d, void *vctx)
{
    struct login_ctx *c = vctx;
    TX_CHECK(store_throttle_get(d, c->acct_scope, &c->acct));
    TX_CHECK(store_throttle_get(d, c->ip_scope, &c->ip));
    db_rc rc = store_user_by_email(d, c->a, c->email, &c->user, &c->pw_hash);
    TX_CHECK(rc);
    c->user_found = rc == DB_ROW;
    return TX_COMMIT;
}

static db_rc throttle_fail(db *d, const struct login_ctx *c, const char *scope, int max)
{
    struct throttle t;
    db_rc rc = store_throttle_get(d, scope, &t);
    if (rc != DB_ROW && rc != DB_DONE) return rc;
    if (c->now - t.window_start > c->cfg->login_window_ms) {
        t.failures = 0;
        t.window_start = c->now;
    }
    t.failures++;
    if (t.failures >= max) t.locked_until = c->now + c->cfg->login_window_ms;
    return store_throttle_put(d, scope, &t);
}

static tx_rc login_write_tx(db *d, void *vctx)
{
    struct login_ctx *c = vctx;
    char detail[200];
    snprintf(detail, sizeof detail, "{\"address\":\"%.64s\"}", c->client);
    if (!c->success) {
        TX_CHECK(throttle_fail(d, c, c->acct_scope, c->cfg->login_max_failures));
        TX_CHECK(throttle_fail(d, c, c->ip_scope, c->cfg->login_max_failures_ip));
        TX_CHECK(store_audit_append(d, c->now, c->user_found ? c->user.id : 0, "auth.login_failed", c->email,
                                    detail));
        return TX_COMMIT;
    }
    TX_CHECK(store_throttle_clear(d, c->acct_scope));
    TX_CHECK(store_session_insert(d, c->token_hash, c->csrf_hash, c->user.id, c->now,
                                  c->now + c->cfg->session_ttl_ms));
    TX_CHECK(store_audit_append(d, c->now, c->user.id, "auth.login", c->email, detail));
    return TX_COMMIT;
}

static void set_cookie(req *r, const char *name, const char *value, bool http_only, int64_t max_age_s)
{
    evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Set-Cookie",
                      arena_printf(r->a, "%s=%s; Path=/; SameSite=Strict; Max-Age=%lld%s", name, value,
                                   (long long)max_age_s, http_only ? "; HttpOnly" : ""));
}

static void login_verify(void *arg)
{
    struct login_ctx *c = arg;
    c->verified = c->user_found ? password_verify(c->pw_hash, c->password) : password_verify_dummy(c->password);
    sodium_memzero(c->password, strlen(c->password));
}

static void login_finish(void *arg);

void auth_login(req *r)
{
    json_t *body;
    static const char *const keys[] = {"email", "password", NULL};
    struct verr e;
    const char *email, *password;
    if (req_json_object(r, keys, &body) != RES_OK) return;
    if (!json_req_string(body, "email", 1, 254, &email, &e) ||
        !json_req_string(body, "password", 1, 1024, &password, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    char *norm = arena_strdup(r->a, email);
    email_normalize(norm);
    struct login_ctx *c = arena_alloc(r->a, sizeof *c);
    *c = (struct login_ctx){.r = r, .a = r->a, .cfg = r->cfg, .email = norm, .client = r->client_addr,
                            .now = clock_now_ms(), .password = arena_strdup(r->a, password)};
    c->acct_scope = arena_printf(r->a, "acct:%s", norm);
    c->ip_scope = arena_printf(r->a, "ip:%s", r->client_addr);
    store_rc rc = store_run(r->db, false, login_read_tx, c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    int64_t locked = c->acct.locked_until > c->ip.locked_until ? c->acct.locked_until : c->ip.locked_until;
    if (locked > c->now) {
        int64_t wait_s = (locked - c->now + 999) / 1000;
        evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Retry-After",
                          arena_printf(r->a, "%lld", (long long)wait_s));
        reply_error(r, ERR_LOGIN_THROTTLED, NULL, "too many failed sign-ins; try again in %lld seconds",
                    (long long)wait_s);
        return;
    }
    /* argon2id takes a quarter second: it runs on the hashing threads, not on this event loop. */
    req_offload(r, login_verify, login_finish, c);
}

static void login_finish(void *arg)
{
    struct login_ctx *c = arg;
    req *r = c->r;
    if (!req_resume(r)) return;
    if (c->verified == -2) {
        reply_error(r, ERR_SERVER_BUSY, NULL, "too many sign-ins at once; retry shortly");
        req_pending_end(r);
        return;
    }
    /* The account is checked for the time "now" of the attempt's start, and the write happens now. */
    c->now = clock_now_ms();
    c->success = c->verified == 1 && c->user_found && !c->user.disabled;
    char token[TOKEN_TEXT_MAX], csrf[TOKEN_TEXT_MAX], th[TOKEN_HASH_HEX], ch[TOKEN_HASH_HEX];
    if (c->success) {
        token_new("", token);
        token_new("", csrf);
        token_hash(token, th);
        token_hash(csrf, ch);
        c->token_hash = th;
        c->csrf_hash = ch;
    }
    store_rc rc = store_run(r->db, true, login_write_tx, c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
    } else if (!c->success) {
        reply_error(r, ERR_AUTH_BAD_CREDENTIALS, NULL, "the email or password is wrong");
    } else {
        risk_record_login(r, c->user.id, c->now);
        int64_t ttl_s = r->cfg->session_ttl_ms / 1000;
        set_cookie(r, SESSION_COOKIE, token, true, ttl_s);
        set_cookie(r, CSRF_COOKIE, csrf, false, ttl_s);
        reply_json(r, 200, json_pack("{s:s, s:s, s:o, s:o}", "token", token, "csrf_token", csrf, "expires_at",
                                     json_time(c->now + r->cfg->session_ttl_ms), "user", user_json(&c->user)));
    }
    req_pending_end(r);
}

struct logout_ctx {
    const char *token_hash, *email;
    int64_t user_id, now;
};

static tx_rc logout_tx(db *d, void *vctx)
{
    struct logout_ctx *c = vctx;
    if (c->token_hash) TX_CHECK(store_session_delete(d, c->token_hash));
    TX_CHECK(store_audit_append(d, c->now, c->user_id, "auth.logout", c->email, "{}"));
    return TX_COMMIT;
}

void auth_logout(req *r)
{
    struct logout_ctx c = {.token_hash = r->token_hash, .email = r->user.email, .user_id = r->user.id,
                           .now = clock_now_ms()};
    store_rc rc = store_run(r->db, true, logout_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    set_cookie(r, SESSION_COOKIE, "", true, 0);
    set_cookie(r, CSRF_COOKIE, "", false, 0);
    reply_empty(r, 204);
}
