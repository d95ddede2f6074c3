/* Projects, task import and export pages. */
#include "store/store.h"

static char *dup_col(arena *a, db_stmt *s, int col)
{
    return db_col_null(s, col) ? NULL : arena_strdup(a, db_col_text(s, col));
}

/* Columns as PROJECT_COLS in queries.def. */
static void read_project(arena *a, db_stmt *s, struct project *p)
{
    p->id = db_col_i64(s, 0);
    p->owner_id = db_col_i64(s, 1);
    p->name = dup_col(a, s, 2);
    p->instructions = dup_col(a, s, 3);
    p->kind = dup_col(a, s, 4);
    p->schema_json = dup_col(a, s, 5);
    p->reward_micros = db_col_i64(s, 6);
    p->currency = dup_col(a, s, 7);
    p->estimated_seconds = db_col_i64(s, 8);
    p->overlap = db_col_i64(s, 9);
    p->lease_seconds = db_col_i64(s, 10);
    p->status = dup_col(a, s, 11);
    p->task_count = db_col_i64(s, 12);
    p->tasks_started = db_col_i64(s, 13);
    p->tasks_complete = db_col_i64(s, 14);
    p->answer_count = db_col_i64(s, 15);
    p->created_at = db_col_i64(s, 16);
    p->updated_at = db_col_i64(s, 17);
    p->quality_json = dup_col(a, s, 18);
    p->callback_url = dup_col(a, s, 19);
    p->callback_allow_private = db_col_i64(s, 20) != 0;
}

db_rc store_project_insert(db *d, const struct project *p, int64_t now, int64_t *id_out)
{
    db_stmt *s = db_q(d, Q_PROJECT_INSERT);
    db_bind_i64(s, 1, p->owner_id);
    db_bind_text(s, 2, p->name);
    db_bind_text(s, 3, p->instructions);
    db_bind_text(s, 4, p->kind);
    db_bind_text(s, 5, p->schema_json);
    db_bind_i64(s, 6, p->reward_micros);
    db_bind_text(s, 7, p->currency);
    db_bind_i64(s, 8, p->estimated_seconds);
    db_bind_i64(s, 9, p->overlap);
    db_bind_i64(s, 10, p->lease_seconds);
    db_bind_i64(s, 11, now);
    db_bind_text(s, 12, p->quality_json ? p->quality_json : "{}");
    db_rc rc = db_step(s);
    if (rc == DB_ROW) *id_out = db_col_i64(s, 0);
    return rc == DB_ROW ? DB_OK : rc;
}

db_rc store_project_get(db *d, arena *a, int64_t id, bool for_update, struct project *p)
{
    db_stmt *s = db_q(d, for_update ? Q_PROJECT_GET_FOR_UPDATE : Q_PROJECT_GET);
    db_bind_i64(s, 1, id);
    db_rc rc = db_step(s);
    if (rc == DB_ROW) read_project(a, s, p);
    return rc;
}

db_rc store_project_list(db *d, arena *a, enum project_filter f, int64_t owner_id, const char *status,
                         int64_t after_id, int limit, struct project **items, int *n)
{
    db_stmt *s = db_q(d, f == PROJECTS_OWNED_BY      ? Q_PROJECT_LIST_OWNER
                         : f == PROJECTS_WITH_STATUS ? Q_PROJECT_LIST_STATUS
                         : f == PROJECTS_REVIEWED_BY ? Q_PROJECT_LIST_REVIEWER
                                                     : Q_PROJECT_LIST_ALL);
    db_bind_i64(s, 1, after_id);
    db_bind_i64(s, 2, limit);
    if (f == PROJECTS_OWNED_BY || f == PROJECTS_REVIEWED_BY) db_bind_i64(s, 3, owner_id);
    if (f == PROJECTS_WITH_STATUS) db_bind_text(s, 3, status);
    *items = arena_alloc(a, sizeof **items * (size_t)(limit > 0 ? limit : 1));
    *n = 0;
    db_rc rc;
    while ((rc = db_step(s)) == DB_ROW && *n < limit) read_project(a, s, &(*items)[(*n)++]);
    return rc == DB_ROW ? DB_DONE : rc;
}

db_rc store_project_set_status(db *d, int64_t id, const char *status, int64_t now)
{
    db_stmt *s = db_q(d, Q_PROJECT_SET_STATUS);
    db_bind_i64(s, 1, id);
    db_bind_text(s, 2, status);
    db_bind_i64(s, 3, now);
    return db_run(s);
}

db_rc store_project_add_tasks(db *d, int64_t id, int64_t n, int64_t now)
{
    db_stmt *s = db_q(d, Q_PROJECT_ADD_TASKS);
    db_bind_i64(s, 1, id);
    db_bind_i64(s, 2, n);
    db_bind_i64(s, 3, now);
    return db_run(s);
}

/* Binds a task's ten parameters from ?base+1 on, in the order of TASK_INSERT. */
static void bind_task(db_stmt *s, int base, const struct task_row *t, int64_t now)
{
    db_bind_i64(s, base + 1, t->project_id);
    db_bind_text(s, base + 2, t->external_id);
    db_bind_text(s, base + 3, t->data_json);
    db_bind_i64(s, base + 4, t->overlap);
    db_bind_i64(s, base + 5, now);
    db_bind_text(s, base + 6, t->predictions_json);
    db_bind_i64(s, base + 7, t->gold);
    db_bind_text(s, base + 8, t->gold_answer_json);
    db_bind_text(s, base + 9, t->gold_explanation);
    db_bind_i64(s, base + 10, t->priority);
}

db_rc store_task_insert(db *d, const struct task_row *t, int64_t now, int64_t *id_out)
{
    db_stmt *s = db_q(d, id_out ? Q_TASK_INSERT : Q_TASK_INSERT_NO_ID);
    bind_task(s, 0, t, now);
    db_rc rc = db_step(s);
    if (!id_out) return rc == DB_DONE ? DB_OK : rc == DB_ROW ? DB_ERROR : rc;
    if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
    *id_out = db_col_i64(s, 0);
    return DB_OK;
}

db_rc store_task_insert_batch(db *d, const struct task_row *t, size_t n, int64_t now)
{
    if (n != TASK_INSERT_BATCH || db_kind_of(d) == DB_PG) { /* PostgreSQL binds at most DB_MAX_PARAMS */
        db_rc rc = DB_OK;
        for (size_t i = 0; i < n && rc == DB_OK; i++) rc = store_task_insert(d, &t[i], now, NULL);
        return rc;
    }
    db_stmt *s = db_q(d, Q_TASK_INSERT_MANY);
    for (int i = 0; i < TASK_INSERT_BATCH; i++) bind_task(s, 10 * i + 9, &t[i], now); /* ?r0-?r9, r = i + 1 */
    db_rc rc = db_step(s);
    return rc == DB_DONE ? DB_OK : rc == DB_ROW ? DB_ERROR : rc;
}

db_rc store_project_leases_active(db *d, int64_t project_id, int64_t now, int64_t *out)
{
    db_stmt *s = db_q(d, Q_PROJECT_LEASES_ACTIVE);
    db_bind_i64(s, 1, project_id);
    db_bind_i64(s, 2, now);
    db_rc rc = db_step(s);
    *out = rc == DB_ROW ? db_col_i64(s, 0) : 0;
    return rc == DB_ROW ? DB_OK : rc;
}

db_rc store_export_tasks(db *d, arena *a, int64_t project_id, int64_t after_id, int limit,
                         struct export_task **items, int *n)
{
    db_stmt *s = db_q(d, Q_TASK_EXPORT_PAGE);
    db_bind_i64(s, 1, project_id);
    db_bind_i64(s, 2, after_id);
    db_bind_i64(s, 3, limit);
    *items = arena_alloc(a, sizeof **items * (size_t)limit);
    *n = 0;
    db_rc rc;
    while ((rc = db_step(s)) == DB_ROW && *n < limit) {
        struct export_task *t = &(*items)[(*n)++];
        t->id = db_col_i64(s, 0);
        t->external_id = dup_col(a, s, 1);
        t->data_json = dup_col(a, s, 2);
        t->predictions_json = dup_col(a, s, 3);
        t->result_json = dup_col(a, s, 4);
        t->result_method = dup_col(a, s, 5);
        t->result_confidence_ppm = db_col_null(s, 6) ? -1 : db_col_i64(s, 6);
        t->result_version = db_col_i64(s, 7);
        t->result_final = db_col_i64(s, 8) != 0;
    }
    return rc == DB_ROW ? DB_DONE : rc;
}

db_rc store_export_answers(db *d, arena *a, int64_t project_id, int64_t first_task, int64_t last_task,
                           struct export_answer **items, int *n)
{
    db_stmt *s = db_q(d, Q_ANSWER_EXPORT_RANGE);
    db_bind_i64(s, 1, first_task);
    db_bind_i64(s, 2, last_task);
    db_bind_i64(s, 3, project_id);
    int cap = 64;
    *items = arena_alloc(a, sizeof **items * (size_t)cap);
    *n = 0;
    db_rc rc;
    while ((rc = db_step(s)) == DB_ROW) {
        if (*n == cap) {
            struct export_answer *bigger = arena_alloc(a, sizeof *bigger * (size_t)cap * 2);
            if (!bigger) return DB_ERROR;
            for (int i = 0; i < cap; i++) bigger[i] = (*items)[i];
            *items = bigger;
            cap *= 2;
        }
        struct export_answer *e = &(*items)[(*n)++];
        e->task_id = db_col_i64(s, 0);
        e->assignment_id = db_col_i64(s, 1);
        e->worker_id = db_col_i64(s, 2);
        e->answer_json = dup_col(a, s, 3);
        e->submitted_at = db_col_i64(s, 4);
        e->review_state = dup_col(a, s, 5);
        e->answer_version = db_col_i64(s, 6);
    }
    return rc;
}

db_rc store_reviewer_add(db *d, int64_t project_id, int64_t user_id, int64_t now)
{
    db_stmt *s = db_q(d, Q_REVIEWER_ADD);
    db_bind_i64(s, 1, project_id);
    db_bind_i64(s, 2, user_id);
    db_bind_i64(s, 3, now);
    return db_run(s);
}

db_rc store_reviewer_is(db *d, int64_t project_id, int64_t user_id)
{
    db_stmt *s = db_q(d, Q_REVIEWER_IS);
    db_bind_i64(s, 1, project_id);
    db_bind_i64(s, 2, user_id);
    return db_step(s);
}

db_rc store_project_set_quality(db *d, int64_t id, const char *quality_json, int64_t now)
{
    db_stmt *s = db_q(d, Q_PROJECT_SET_QUALITY);
    db_bind_i64(s, 1, id);
    db_bind_text(s, 2, quality_json);
    db_bind_i64(s, 3, now);
    return db_run(s);
}
