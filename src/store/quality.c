/* Quality control: gold feed counts, qualification attempts, skills, worker quality, task results,
 * review decisions and answer versions. */
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "util/clock.h"

static json_t *time_json(int64_t ms)
{
    char t[32];
    clock_iso8601(ms, t, sizeof t);
    return json_string(t);
}

static db_rc bind_all(db_stmt *s, const struct sql_arg *args, int n)
{
    for (int i = 0; i < n; i++) {
        if (args[i].text) db_bind_text(s, i + 1, args[i].text);
        else if (args[i].null) db_bind_null(s, i + 1);
        else db_bind_i64(s, i + 1, args[i].i);
    }
    return DB_OK;
}

static json_t *column_json(db_stmt *s, int col, char type)
{
    if (db_col_null(s, col)) return json_null();
    switch (type) {
    case 'i': return json_integer(db_col_i64(s, col));
    case 'b': return json_boolean(db_col_i64(s, col) != 0);
    case 'p': { /* parts per million → fraction; negative means unknown */
        int64_t v = db_col_i64(s, col);
        return v < 0 ? json_null() : json_real((double)v / 1e6);
    }
    case 't': return time_json(db_col_i64(s, col));
    case 'T': { /* a time where 0 means never */
        int64_t v = db_col_i64(s, col);
        return v ? time_json(v) : json_null();
    }
    case 'j': {
        json_t *v = json_loads(db_col_text(s, col), JSON_DECODE_ANY, NULL);
        return v ? v : json_null();
    }
    default: return json_string(db_col_text(s, col));
    }
}

db_rc store_rows_json(db *d, query_id q, const struct sql_arg *args, int nargs, const char *const *cols, json_t **out)
{
    db_stmt *s = db_q(d, q);
    bind_all(s, args, nargs);
    json_t *rows = json_array();
    db_rc rc;
    while ((rc = db_step(s)) == DB_ROW) {
        json_t *row = json_object();
        for (int c = 0; cols[c]; c++)
            if (cols[c][0] != '-') json_object_set_new(row, cols[c] + 2, column_json(s, c, cols[c][0]));
        json_array_append_new(rows, row);
    }
    if (rc != DB_DONE) {
        json_decref(rows);
        return rc;
    }
    *out = rows;
    return DB_OK;
}

db_rc store_exec_args(db *d, query_id q, const struct sql_arg *args, int nargs, int64_t *changes)
{
    db_stmt *s = db_q(d, q);
    bind_all(s, args, nargs);
    db_rc rc = db_run(s);
    if (rc == DB_OK && changes) *changes = db_changes(s);
    return rc;
}

db_rc store_row_i64(db *d, query_id q, const struct sql_arg *args, int nargs, int64_t *cols, int ncols)
{
    db_stmt *s = db_q(d, q);
    bind_all(s, args, nargs);
    db_rc rc = db_step(s);
    if (rc == DB_ROW)
        for (int c = 0; c < ncols; c++) cols[c] = db_col_null(s, c) ? -1 : db_col_i64(s, c);
    db_reset(s);
    return rc;
}

db_rc store_worker_feed_counts(db *d, int64_t worker_id, int64_t project_id, int64_t *gold, int64_t *normal)
{
    int64_t v[2] = {0, 0};
    db_rc rc = store_row_i64(d, Q_WORKER_FEED_COUNTS, (struct sql_arg[]){{.i = worker_id}, {.i = project_id}}, 2, v, 2);
    *gold = v[0];
    *normal = v[1];
    return rc == DB_ROW ? DB_OK : rc;
}

db_rc store_skill_value(db *d, int64_t user_id, const char *skill, int64_t *value)
{
    db_stmt *s = db_q(d, Q_SKILLS_OF);
    db_bind_i64(s, 1, user_id);
    db_rc rc;
    *value = -1;
    while ((rc = db_step(s)) == DB_ROW)
        if (!strcmp(db_col_text(s, 0), skill)) *value = db_col_i64(s, 1);
    return rc == DB_DONE ? DB_OK : rc;
}

db_rc store_skill_set(db *d, int64_t user_id, const char *skill, int64_t value, const char *source, int64_t by,
                      int64_t now)
{
    struct sql_arg a[] = {{.i = user_id}, {.text = skill}, {.i = value}, {.text = source}, {.i = by, .null = by <= 0},
                          {.i = now}};
    return store_exec_args(d, Q_SKILL_SET, a, 6, NULL);
}

db_rc store_qualification_get(db *d, arena *a, int64_t project_id, int64_t worker_id, struct qualification *q)
{
    db_stmt *s = db_q(d, Q_QUALIFICATION_GET);
    db_bind_i64(s, 1, project_id);
    db_bind_i64(s, 2, worker_id);
    db_rc rc = db_step(s);
    if (rc == DB_ROW) {
        q->attempt = db_col_i64(s, 0);
        q->state = arena_strdup(a, db_col_text(s, 1));
        q->score_ppm = db_col_i64(s, 2);
        q->started_at = db_col_i64(s, 3);
        q->decided_at = db_col_i64(s, 4);
    }
    db_reset(s);
    return rc;
}

db_rc store_qualification_start(db *d, int64_t project_id, int64_t worker_id, int64_t attempt, int64_t now)
{
    struct sql_arg a[] = {{.i = project_id}, {.i = worker_id}, {.i = attempt}, {.i = now}};
    return store_exec_args(d, Q_QUALIFICATION_START, a, 4, NULL);
}

db_rc store_qualification_decide(db *d, int64_t project_id, int64_t worker_id, const char *state, int64_t score_ppm,
                                 int64_t now)
{
    struct sql_arg a[] = {{.i = project_id}, {.i = worker_id}, {.text = state}, {.i = score_ppm}, {.i = now}};
    return store_exec_args(d, Q_QUALIFICATION_DECIDE, a, 5, NULL);
}

db_rc store_task_result_set(db *d, int64_t task_id, const char *result_json, const char *method, int64_t conf_ppm,
                            bool final, int64_t now, int64_t *version)
{
    db_stmt *s = db_q(d, Q_TASK_RESULT_SET);
    db_bind_i64(s, 1, task_id);
    db_bind_text(s, 2, result_json);
    db_bind_text(s, 3, method);
    if (conf_ppm < 0) db_bind_null(s, 4);
    else db_bind_i64(s, 4, conf_ppm);
    db_bind_i64(s, 5, final ? 1 : 0);
    db_bind_i64(s, 6, now);
    db_rc rc = db_step(s);
    if (rc == DB_ROW && version) *version = db_col_i64(s, 0);
    db_reset(s);
    return rc == DB_ROW ? DB_OK : rc == DB_DONE ? DB_ERROR : rc;
}

db_rc store_task_answers_for_result(db *d, arena *a, int64_t task_id, struct result_answer **items, int *n)
{
    db_stmt *s = db_q(d, Q_TASK_ANSWERS_FOR_RESULT);
    db_bind_i64(s, 1, task_id);
    int cap = 8;
    *items = arena_alloc(a, sizeof **items * (size_t)cap);
    *n = 0;
    db_rc rc;
    while ((rc = db_step(s)) == DB_ROW) {
        if (*n == cap) {
            struct result_answer *bigger = arena_alloc(a, sizeof *bigger * (size_t)cap * 2);
            if (!bigger) return DB_ERROR;
            memcpy(bigger, *items, sizeof *bigger * (size_t)cap);
            *items = bigger;
            cap *= 2;
        }
        struct result_answer *r = &(*items)[(*n)++];
        r->assignment_id = db_col_i64(s, 0);
        r->worker_id = db_col_i64(s, 1);
        r->answer_json = arena_strdup(a, db_col_text(s, 2));
        r->weight_ppm = db_col_i64(s, 3);
        r->gold_answered = db_col_i64(s, 4);
        r->gold_score_ppm_sum = db_col_i64(s, 5);
    }
    return rc == DB_DONE ? DB_OK : rc;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The median time from claim to submit over the project's last 1,000 submissions; 0 without any. */
static db_rc project_median_duration(db *d, int64_t project_id, int64_t *median)
{
    enum { MAX_DURATIONS = 1000 };
    int64_t *dur = malloc(sizeof *dur * MAX_DURATIONS);
    if (!dur) return DB_ERROR;
    int n = 0;
    db_stmt *s = db_q(d, Q_PROJECT_RECENT_DURATIONS);
    db_bind_i64(s, 1, project_id);
    db_rc rc;
    while ((rc = db_step(s)) == DB_ROW && n < MAX_DURATIONS) dur[n++] = db_col_i64(s, 0);
    db_reset(s);
    qsort(dur, (size_t)n, sizeof *dur, cmp_i64);
    *median = n ? (dur[n / 2] > 0 ? dur[n / 2] : 1) : 0;
    free(dur);
    return rc == DB_ROW || rc == DB_DONE ? DB_OK : rc;
}

db_rc store_worker_record(db *d, int64_t project_id, int64_t worker_id, const struct quality_rule *r,
                          struct worker_record *w)
{
    memset(w, 0, sizeof *w);
    db_rc rc;
    if (r->reads == RULE_GOLD_ACCURACY) {
        db_stmt *s = db_q(d, Q_WORKER_RECENT_GOLD);
        db_bind_i64(s, 1, worker_id);
        db_bind_i64(s, 2, project_id);
        db_bind_i64(s, 3, r->window);
        while ((rc = db_step(s)) == DB_ROW) {
            w->gold_recent++;
            w->gold_recent_score_ppm_sum += db_col_null(s, 0) ? 0 : db_col_i64(s, 0);
        }
        return rc == DB_DONE ? DB_OK : rc;
    }
    /* "fast" is under a quarter of the project's median time from claim to submit */
    int64_t median = 0;
    if (r->reads == RULE_FAST_ANSWERS && (rc = project_median_duration(d, project_id, &median)) != DB_OK) return rc;
    db_stmt *s = db_q(d, Q_WORKER_RECENT_CLAIMS);
    db_bind_i64(s, 1, worker_id);
    db_bind_i64(s, 2, project_id);
    db_bind_i64(s, 3, r->window);
    while ((rc = db_step(s)) == DB_ROW) {
        if (!strcmp(db_col_text(s, 0), "submitted")) {
            w->submitted_recent++;
            if (median && 4 * db_col_i64(s, 1) < median) w->fast_recent++;
        } else {
            w->skipped_recent++;
        }
    }
    return rc == DB_DONE ? DB_OK : rc;
}

db_rc store_review_decide(db *d, const struct review_decision *r, int64_t now, int64_t *review_id)
{
    if (r->fixed_answer_json) {
        struct sql_arg v[] = {{.i = r->assignment_id}, {.i = r->new_version}, {.text = r->fixed_answer_json},
                              {.i = r->reviewer_id}, {.i = now}};
        db_rc rc = store_exec_args(d, Q_ANSWER_VERSION_ADD, v, 5, NULL);
        if (rc != DB_OK) return rc;
    }
    int64_t changed = 0;
    struct sql_arg u[] = {{.i = r->assignment_id}, {.text = r->state}, {.i = r->new_version}};
    db_rc rc = store_exec_args(d, Q_REVIEW_DECIDE, u, 3, &changed);
    if (rc != DB_OK) return rc;
    if (changed != 1) return DB_DONE;
    struct sql_arg ins[] = {{.i = r->assignment_id}, {.i = r->project_id}, {.i = r->reviewer_id}, {.text = r->decision},
                            {.text = r->reason_code, .null = !r->reason_code}, {.text = r->note, .null = !r->note},
                            {.i = r->new_version}, {.i = now}};
    int64_t id[1];
    rc = store_row_i64(d, Q_REVIEW_INSERT, ins, 8, id, 1);
    if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
    *review_id = id[0];
    return DB_OK;
}
