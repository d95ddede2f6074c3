/* Appending to and reading the audit log. The head row is locked (PostgreSQL) or the write lock is
 * held (SQLite), so concurrent servers extend one chain without forks. */
#include <stdio.h>

#include "core/audit_chain.h"
#include "store/store.h"

db_rc store_audit_append(db *d, int64_t now, int64_t actor_id, const char *action, const char *target,
                         const char *detail)
{
    db_stmt *s = db_q(d, Q_AUDIT_HEAD);
    db_rc rc = db_step(s);
    if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
    int64_t id = db_col_i64(s, 0) + 1;
    char prev[AUDIT_HASH_HEX], hash[AUDIT_HASH_HEX];
    snprintf(prev, sizeof prev, "%s", db_col_text(s, 1));
    db_reset(s);
    audit_chain_hash(prev, id, now, actor_id, action, target, detail, hash);

    s = db_q(d, Q_AUDIT_INSERT);
    db_bind_i64(s, 1, id);
    db_bind_i64(s, 2, now);
    if (actor_id)
        db_bind_i64(s, 3, actor_id);
    else
        db_bind_null(s, 3);
    db_bind_text(s, 4, action);
    db_bind_text(s, 5, target);
    db_bind_text(s, 6, detail);
    db_bind_text(s, 7, prev);
    db_bind_text(s, 8, hash);
    if ((rc = db_run(s)) != DB_OK) return rc;

    s = db_q(d, Q_AUDIT_HEAD_SET);
    db_bind_i64(s, 1, id);
    db_bind_text(s, 2, hash);
    return db_run(s);
}

db_rc store_audit_page(db *d, arena *a, int64_t after_id, int limit, struct audit_entry **items, int *n)
{
    db_stmt *s = db_q(d, Q_AUDIT_PAGE);
    db_bind_i64(s, 1, after_id);
    db_bind_i64(s, 2, limit);
    *items = arena_alloc(a, sizeof **items * (size_t)limit);
    *n = 0;
    db_rc rc;
    while ((rc = db_step(s)) == DB_ROW && *n < limit) {
        struct audit_entry *e = &(*items)[(*n)++];
        e->id = db_col_i64(s, 0);
        e->at = db_col_i64(s, 1);
        e->actor_id = db_col_null(s, 2) ? 0 : db_col_i64(s, 2);
        e->action = arena_strdup(a, db_col_text(s, 3));
        e->target = arena_strdup(a, db_col_text(s, 4));
        e->detail = arena_strdup(a, db_col_text(s, 5));
        e->prev_hash = arena_strdup(a, db_col_text(s, 6));
        e->hash = arena_strdup(a, db_col_text(s, 7));
    }
    return rc == DB_ROW ? DB_DONE : rc;
}
