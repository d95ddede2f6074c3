/* Media rows: content-addressed images and point clouds, their uploaders and the tasks using them. */
#include "store/store.h"

db_rc store_media_info(db *d, arena *a, const char *id, struct media_info *m)
{
    db_stmt *s = db_q(d, Q_MEDIA_INFO);
    db_bind_text(s, 1, id);
    db_rc rc = db_step(s);
    if (rc != DB_ROW) return rc;
    m->id = arena_strdup(a, db_col_text(s, 0));
    m->kind = arena_strdup(a, db_col_text(s, 1));
    m->format = arena_strdup(a, db_col_text(s, 2));
    m->content_type = arena_strdup(a, db_col_text(s, 3));
    m->size = db_col_i64(s, 4);
    m->width = db_col_i64(s, 5);
    m->height = db_col_i64(s, 6);
    m->points = db_col_i64(s, 7);
    m->meta_json = arena_strdup(a, db_col_text(s, 8));
    return DB_ROW;
}

static void bind_or_null(db_stmt *s, int idx, int64_t v)
{
    if (v)
        db_bind_i64(s, idx, v);
    else
        db_bind_null(s, idx);
}

db_rc store_media_insert(db *d, const struct media_info *m, const void *bytes, size_t n, const void *browser,
                         size_t browser_len, int64_t now)
{
    db_stmt *s = db_q(d, Q_MEDIA_INSERT);
    db_bind_text(s, 1, m->id);
    db_bind_text(s, 2, m->kind);
    db_bind_text(s, 3, m->format);
    db_bind_text(s, 4, m->content_type);
    db_bind_i64(s, 5, m->size);
    bind_or_null(s, 6, m->width);
    bind_or_null(s, 7, m->height);
    bind_or_null(s, 8, m->points);
    db_bind_text(s, 9, m->meta_json);
    db_bind_blob(s, 10, bytes, n);
    if (browser)
        db_bind_blob(s, 11, browser, browser_len);
    else
        db_bind_null(s, 11);
    db_bind_i64(s, 12, now);
    return db_run(s);
}

db_rc store_media_owner_add(db *d, const char *id, int64_t user_id, int64_t now)
{
    db_stmt *s = db_q(d, Q_MEDIA_OWNER_ADD);
    db_bind_text(s, 1, id);
    db_bind_i64(s, 2, user_id);
    db_bind_i64(s, 3, now);
    return db_run(s);
}

db_rc store_media_owned(db *d, const char *id, int64_t user_id)
{
    db_stmt *s = db_q(d, Q_MEDIA_OWNED);
    db_bind_text(s, 1, id);
    db_bind_i64(s, 2, user_id);
    return db_step(s);
}

db_rc store_media_worker_sees(db *d, const char *id, int64_t worker_id, int64_t now)
{
    db_stmt *s = db_q(d, Q_MEDIA_WORKER_SEES);
    db_bind_text(s, 1, id);
    db_bind_i64(s, 2, worker_id);
    db_bind_i64(s, 3, now);
    return db_step(s);
}

db_rc store_media_reviewer_sees(db *d, const char *id, int64_t reviewer_id)
{
    db_stmt *s = db_q(d, Q_MEDIA_REVIEWER_SEES);
    db_bind_text(s, 1, id);
    db_bind_i64(s, 2, reviewer_id);
    return db_step(s);
}

db_rc store_media_read(db *d, const char *id, bool browser, int (*sink)(void *ctx, const void *p, size_t n), void *ctx)
{
    db_stmt *s = db_q(d, browser ? Q_MEDIA_BROWSER_BYTES : Q_MEDIA_BYTES);
    db_bind_text(s, 1, id);
    db_rc rc = db_step(s);
    if (rc != DB_ROW) return rc;
    size_t n;
    const void *p = db_col_blob(s, 0, &n);
    if (!p && n) return DB_ERROR;
    return sink(ctx, p, n) ? DB_ERROR : DB_ROW;
}

db_rc store_task_media_add(db *d, int64_t task_id, const char *media_id)
{
    db_stmt *s = db_q(d, Q_TASK_MEDIA_ADD);
    db_bind_i64(s, 1, task_id);
    db_bind_text(s, 2, media_id);
    return db_run(s);
}
