/* Users, sessions, API keys and login throttling. */
#include <stdio.h>
#include <stdlib.h>

#include "store/store.h"

static char *dup_col(arena *a, db_stmt *s, int col)
{
    return db_col_null(s, col) ? NULL : arena_strdup(a, db_col_text(s, col));
}

/* Columns: id, email, display_name, role, country, created_at, disabled. */
static void read_user(arena *a, db_stmt *s, struct user *u)
{
    u->id = db_col_i64(s, 0);
    u->email = dup_col(a, s, 1);
    u->display_name = dup_col(a, s, 2);
    u->role = dup_col(a, s, 3);
    u->country = dup_col(a, s, 4);
    u->created_at = db_col_i64(s, 5);
    u->disabled = db_col_i64(s, 6) != 0;
}

db_rc store_user_insert(db *d, const struct user *u, const char *password_hash, int64_t *id_out)
{
    db_stmt *s = db_q(d, Q_USER_INSERT);
    db_bind_text(s, 1, u->email);
    db_bind_text(s, 2, password_hash);
    db_bind_text(s, 3, u->display_name);
    db_bind_text(s, 4, u->role);
    db_bind_text(s, 5, u->country);
    db_bind_i64(s, 6, u->created_at);
    db_rc rc = db_step(s);
    if (rc == DB_ROW) *id_out = db_col_i64(s, 0);
    return rc == DB_ROW ? DB_OK : rc;
}

static tx_rc user_create_tx(db *d, void *vctx)
{
    struct user_create *c = vctx;
    db_rc rc = store_user_insert(d, &c->u, c->password_hash, &c->id);
    if (rc == DB_CONSTRAINT) {
        c->taken = true;
        return TX_ROLLBACK;
    }
    TX_CHECK(rc);
    char detail[200];
    snprintf(detail, sizeof detail, "{\"user_id\":%lld,\"role\":\"%s\",\"country\":\"%s\",\"via\":\"%.64s\"}",
             (long long)c->id, c->u.role, c->u.country, c->via);
    TX_CHECK(store_audit_append(d, c->u.created_at, c->actor_id < 0 ? c->id : c->actor_id, c->action, c->u.email,
                                detail));
    return TX_COMMIT;
}

store_rc store_user_create(db *d, struct user_create *c)
{
    c->taken = false;
    return store_run(d, true, user_create_tx, c);
}

db_rc store_user_by_email(db *d, arena *a, const char *email, struct user *u, const char **pw_hash)
{
    db_stmt *s = db_q(d, Q_USER_BY_EMAIL);
    db_bind_text(s, 1, email);
    db_rc rc = db_step(s);
    if (rc == DB_ROW) {
        read_user(a, s, u);
        if (pw_hash) *pw_hash = dup_col(a, s, 7);
    }
    return rc;
}

db_rc store_user_by_id(db *d, arena *a, int64_t id, struct user *u)
{
    db_stmt *s = db_q(d, Q_USER_BY_ID);
    db_bind_i64(s, 1, id);
    db_rc rc = db_step(s);
    if (rc == DB_ROW) read_user(a, s, u);
    return rc;
}

db_rc store_user_list(db *d, arena *a, const char *role, int64_t after_id, int limit, struct user **items,
                      int *n)
{
    db_stmt *s = db_q(d, Q_USER_LIST);
    db_bind_text(s, 1, role);
    db_bind_i64(s, 2, after_id);
    db_bind_i64(s, 3, limit);
    *items = arena_alloc(a, sizeof **items * (size_t)(limit > 0 ? limit : 1));
    *n = 0;
    db_rc rc;
    while ((rc = db_step(s)) == DB_ROW && *n < limit) read_user(a, s, &(*items)[(*n)++]);
    return rc == DB_ROW ? DB_DONE : rc;
}

db_rc store_session_insert(db *d, const char *token_hash, const char *csrf_hash, int64_t user_id,
                           int64_t now, int64_t expires_at)
{
    db_stmt *s = db_q(d, Q_SESSION_PURGE_EXPIRED);
    db_bind_i64(s, 1, user_id);
    db_bind_i64(s, 2, now);
    db_rc rc = db_run(s);
    if (rc != DB_OK) return rc;
    s = db_q(d, Q_SESSION_INSERT);
    db_bind_text(s, 1, token_hash);
    db_bind_text(s, 2, csrf_hash);
    db_bind_i64(s, 3, user_id);
    db_bind_i64(s, 4, now);
    db_bind_i64(s, 5, expires_at);
    return db_run(s);
}

db_rc store_session_lookup(db *d, arena *a, const char *token_hash, int64_t now, struct user *u,
                           const char **csrf_hash)
{
    db_stmt *s = db_q(d, Q_SESSION_LOOKUP);
    db_bind_text(s, 1, token_hash);
    db_bind_i64(s, 2, now);
    db_rc rc = db_step(s);
    if (rc == DB_ROW) {
        read_user(a, s, u);
        *csrf_hash = dup_col(a, s, 7);
    }
    return rc;
}

db_rc store_session_delete(db *d, const char *token_hash)
{
    db_stmt *s = db_q(d, Q_SESSION_DELETE);
    db_bind_text(s, 1, token_hash);
    return db_run(s);
}

db_rc store_apikey_insert(db *d, int64_t user_id, const char *name, const char *prefix,
                          const char *key_hash, int64_t now, int64_t *id_out)
{
    db_stmt *s = db_q(d, Q_APIKEY_INSERT);
    db_bind_i64(s, 1, user_id);
    db_bind_text(s, 2, name);
    db_bind_text(s, 3, prefix);
    db_bind_text(s, 4, key_hash);
    db_bind_i64(s, 5, now);
    db_rc rc = db_step(s);
    if (rc == DB_ROW) *id_out = db_col_i64(s, 0);
    return rc == DB_ROW ? DB_OK : rc;
}

db_rc store_apikey_list(db *d, arena *a, int64_t user_id, struct api_key **items, int *n)
{
    enum { MAX_KEYS = 1000 };
    db_stmt *s = db_q(d, Q_APIKEY_LIST);
    db_bind_i64(s, 1, user_id);
    *items = arena_alloc(a, sizeof **items * MAX_KEYS);
    *n = 0;
    db_rc rc;
    while ((rc = db_step(s)) == DB_ROW && *n < MAX_KEYS) {
        struct api_key *k = &(*items)[(*n)++];
        k->id = db_col_i64(s, 0);
        k->name = dup_col(a, s, 1);
        k->prefix = dup_col(a, s, 2);
        k->created_at = db_col_i64(s, 3);
        k->last_used_at = db_col_i64(s, 4);
        k->revoked_at = db_col_i64(s, 5);
    }
    return rc == DB_ROW ? DB_DONE : rc;
}

db_rc store_apikey_revoke(db *d, int64_t id, int64_t user_id, int64_t now)
{
    db_stmt *s = db_q(d, Q_APIKEY_EXISTS);
    db_bind_i64(s, 1, id);
    db_bind_i64(s, 2, user_id);
    db_rc rc = db_step(s);
    if (rc != DB_ROW) return rc;
    s = db_q(d, Q_APIKEY_REVOKE);
    db_bind_i64(s, 1, id);
    db_bind_i64(s, 2, user_id);
    db_bind_i64(s, 3, now);
    return db_run(s);
}

db_rc store_apikey_lookup(db *d, arena *a, const char *key_hash, struct user *u, int64_t *key_id,
                          int64_t *last_used_at)
{
    db_stmt *s = db_q(d, Q_APIKEY_LOOKUP);
    db_bind_text(s, 1, key_hash);
    db_rc rc = db_step(s);
    if (rc == DB_ROW) {
        read_user(a, s, u);
        *key_id = db_col_i64(s, 7);
        *last_used_at = db_col_i64(s, 8);
    }
    return rc;
}

db_rc store_apikey_touch(db *d, int64_t key_id, int64_t now)
{
    db_stmt *s = db_q(d, Q_APIKEY_TOUCH);
    db_bind_i64(s, 1, key_id);
    db_bind_i64(s, 2, now);
    return db_run(s);
}

db_rc store_throttle_get(db *d, const char *scope, struct throttle *t)
{
    db_stmt *s = db_q(d, Q_THROTTLE_GET);
    db_bind_text(s, 1, scope);
    db_rc rc = db_step(s);
    if (rc == DB_ROW) {
        t->failures = db_col_i64(s, 0);
        t->window_start = db_col_i64(s, 1);
        t->locked_until = db_col_i64(s, 2);
    } else {
        t->failures = t->window_start = t->locked_until = 0;
    }
    return rc;
}

db_rc store_throttle_put(db *d, const char *scope, const struct throttle *t)
{
    db_stmt *s = db_q(d, Q_THROTTLE_PUT);
    db_bind_text(s, 1, scope);
    db_bind_i64(s, 2, t->failures);
    db_bind_i64(s, 3, t->window_start);
    db_bind_i64(s, 4, t->locked_until);
    return db_run(s);
}

db_rc store_throttle_clear(db *d, const char *scope)
{
    db_stmt *s = db_q(d, Q_THROTTLE_CLEAR);
    db_bind_text(s, 1, scope);
    return db_run(s);
}

db_rc store_reviewer_list(db *d, arena *a, int64_t project_id, struct user **items, int *n)
{
    enum { MAX_REVIEWERS = 1000 };
    db_stmt *s = db_q(d, Q_REVIEWER_LIST);
    db_bind_i64(s, 1, project_id);
    *items = arena_alloc(a, sizeof **items * MAX_REVIEWERS);
    *n = 0;
    db_rc rc;
    while ((rc = db_step(s)) == DB_ROW && *n < MAX_REVIEWERS) read_user(a, s, &(*items)[(*n)++]);
    return rc == DB_ROW ? DB_DONE : rc;
}
