/* Fenced leases: claim, submit, release and expiry. Task counters (leased, submitted, claimable)
 * change in the same transaction as the assignment, so a claim is one index lookup. */
#include "store/store.h"

static char *dup_col(arena *a, db_stmt *s, int col)
{
    return db_col_null(s, col) ? NULL : arena_strdup(a, db_col_text(s, col));
}

static db_rc task_counts_add(db *d, int64_t task_id, int64_t d_leased, int64_t d_submitted,
                             int64_t *submitted, int64_t *overlap)
{
    db_stmt *s = db_q(d, Q_TASK_COUNTS_ADD);
    db_bind_i64(s, 1, task_id);
    db_bind_i64(s, 2, d_leased);
    db_bind_i64(s, 3, d_submitted);
    db_rc rc = db_run(s);
    if (rc != DB_OK || db_changes(s) != 1) return rc == DB_OK ? DB_ERROR : rc;
    if (!submitted) return DB_OK;
    int64_t v[2];
    rc = store_row_i64(d, Q_TASK_COUNTS_GET, (struct sql_arg[]){{.i = task_id}}, 1, v, 2);
    if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
    *submitted = v[0];
    *overlap = v[1];
    return DB_OK;
}

db_rc store_lease_expire(db *d, int64_t project_id, int64_t now)
{
    enum { BATCH = 500 };
    int64_t tasks[BATCH];
    int n = 0;
    db_stmt *s = db_q(d, Q_LEASE_EXPIRE);
    db_bind_i64(s, 1, project_id);
    db_bind_i64(s, 2, now);
    db_rc rc;
    while ((rc = db_step(s)) == DB_ROW && n < BATCH) tasks[n++] = db_col_i64(s, 0);
    if (rc != DB_DONE && rc != DB_ROW) return rc;
    db_reset(s);
    for (int i = 0; i < n; i++) {
        rc = task_counts_add(d, tasks[i], -1, 0, NULL, NULL);
        if (rc != DB_OK) return rc;
    }
    return DB_OK;
}

db_rc store_lease_claim(db *d, arena *a, int64_t project_id, int64_t worker_id, const char *lease_hash,
                        int64_t now, int64_t expires_at, int64_t gold, int64_t attempt, struct claim *c)
{
    db_stmt *s = db_q(d, gold ? Q_LEASE_CANDIDATE_GOLD : Q_LEASE_CANDIDATE);
    db_bind_i64(s, 1, project_id);
    db_bind_i64(s, 2, worker_id);
    if (gold) {
        db_bind_i64(s, 3, gold);
        db_bind_i64(s, 4, attempt);
    }
    db_rc rc = db_step(s);
    if (rc != DB_ROW) return rc;
    c->task_id = db_col_i64(s, 0);
    db_reset(s);

    s = db_q(d, Q_LEASE_INSERT);
    db_bind_i64(s, 1, c->task_id);
    db_bind_i64(s, 2, project_id);
    db_bind_i64(s, 3, worker_id);
    db_bind_text(s, 4, lease_hash);
    db_bind_i64(s, 5, now);
    db_bind_i64(s, 6, expires_at);
    db_bind_i64(s, 7, attempt);
    rc = db_step(s);
    if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
    c->assignment_id = db_col_i64(s, 0);
    c->expires_at = expires_at;
    db_reset(s);

    rc = task_counts_add(d, c->task_id, +1, 0, NULL, NULL);
    if (rc != DB_OK) return rc;

    s = db_q(d, Q_TASK_GET);
    db_bind_i64(s, 1, c->task_id);
    rc = db_step(s);
    if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
    c->external_id = dup_col(a, s, 1);
    c->data_json = dup_col(a, s, 2);
    c->predictions_json = dup_col(a, s, 3);
    return DB_ROW;
}

db_rc store_assignment_get(db *d, arena *a, int64_t id, struct assignment *out)
{
    db_stmt *s = db_q(d, Q_ASSIGNMENT_GET);
    db_bind_i64(s, 1, id);
    db_rc rc = db_step(s);
    if (rc != DB_ROW) return rc;
    out->id = db_col_i64(s, 0);
    out->task_id = db_col_i64(s, 1);
    out->project_id = db_col_i64(s, 2);
    out->worker_id = db_col_i64(s, 3);
    out->state = dup_col(a, s, 4);
    out->expires_at = db_col_i64(s, 5);
    out->submitted_at = db_col_null(s, 6) ? 0 : db_col_i64(s, 6);
    out->idempotency_key = dup_col(a, s, 7);
    out->schema_json = dup_col(a, s, 8);
    out->kind = dup_col(a, s, 9);
    out->data_json = dup_col(a, s, 10);
    out->gold = db_col_i64(s, 11);
    out->gold_answer_json = dup_col(a, s, 12);
    out->gold_explanation = dup_col(a, s, 13);
    out->attempt = db_col_i64(s, 14);
    out->leased_at = db_col_i64(s, 15);
    out->review_state = dup_col(a, s, 16);
    out->answer_version = db_col_i64(s, 17);
    out->answer_json = dup_col(a, s, 18);
    out->gold_score_ppm = db_col_null(s, 19) ? -1 : db_col_i64(s, 19);
    out->original_answer_json = dup_col(a, s, 20);
    return DB_ROW;
}

db_rc store_assignment_submit(db *d, const struct assignment *as, const char *lease_hash,
                              const char *answer_json, const char *idem_key, int64_t now)
{
    db_stmt *s = db_q(d, Q_ASSIGNMENT_SUBMIT);
    db_bind_i64(s, 1, as->id);
    db_bind_i64(s, 2, as->worker_id);
    db_bind_text(s, 3, lease_hash);
    db_bind_i64(s, 4, now);
    db_bind_text(s, 5, answer_json);
    db_bind_text(s, 6, idem_key);
    db_rc rc = db_run(s);
    if (rc != DB_OK) return rc;
    if (db_changes(s) != 1) return DB_DONE;

    int64_t submitted, overlap;
    rc = task_counts_add(d, as->task_id, -1, +1, &submitted, &overlap);
    if (rc != DB_OK) return rc;
    if (as->gold) return DB_OK; /* gold answers are not deliverables: the project's counts skip them */
    s = db_q(d, Q_PROJECT_COUNT_ANSWER);
    db_bind_i64(s, 1, as->project_id);
    db_bind_i64(s, 2, submitted == 1 ? 1 : 0);
    db_bind_i64(s, 3, submitted == overlap ? 1 : 0);
    return db_run(s);
}

db_rc store_assignment_release(db *d, const struct assignment *as, const char *lease_hash, int64_t now)
{
    db_stmt *s = db_q(d, Q_ASSIGNMENT_RELEASE);
    db_bind_i64(s, 1, as->id);
    db_bind_i64(s, 2, as->worker_id);
    db_bind_text(s, 3, lease_hash);
    db_bind_i64(s, 4, now);
    db_rc rc = db_run(s);
    if (rc != DB_OK) return rc;
    if (db_changes(s) != 1) return DB_DONE;
    return task_counts_add(d, as->task_id, -1, 0, NULL, NULL);
}
