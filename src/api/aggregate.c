/* Project-wide aggregation: batch truth inference (Dawid–Skene, one-coin, GLAD, MACE, majority vote)
 * over every counted answer of a labelling project, and agreement metrics. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/project_access.h"
#include "core/aggregate.h"
#include "core/aggregate_geo.h"
#include "core/agreement.h"
#include "core/schema_kind.h"
#include "core/validate.h"
#include "http/reply.h"
#include "util/buf.h"
#include "util/clock.h"

struct agg_ctx {
    req *r;
    struct project p;
    err_id err;
    const char *detail;
    json_t *rows; /* [{task_id, worker_id, answer}] in task order */
};

/* The request's project for its owner or an admin; DB_DONE sets the 404 in *err and *detail. */
static db_rc load_owned(db *d, req *r, struct project *p, err_id *err, const char **detail)
{
    db_rc rc = project_load(d, r->a, &r->user, r->role, r->id, (r->role & ROLE_ADMIN) ? ACCESS_READ : ACCESS_OWNER,
                            false, p);
    if (rc == DB_DONE) {
        *err = ERR_NOT_FOUND;
        *detail = arena_printf(r->a, "no project %lld", (long long)r->id);
    }
    return rc;
}

static tx_rc read_tx(db *d, void *vctx)
{
    struct agg_ctx *c = vctx;
    db_rc rc = load_owned(d, c->r, &c->p, &c->err, &c->detail);
    TX_CHECK(rc);
    if (rc == DB_DONE) return TX_ROLLBACK;
    static const char *const cols[] = {"i:task_id", "i:worker_id", "j:answer", NULL};
    TX_CHECK(store_rows_json(d, Q_PROJECT_ANSWERS_ALL, (struct sql_arg[]){{.i = c->p.id}}, 1, cols, &c->rows));
    return TX_COMMIT;
}

/* Dense indices for tasks, in order of first appearance. */
struct dense {
    int64_t *ids;
    size_t n, cap;
};

/* Rows come in task order, so a new id is a new index. */
static uint32_t dense_index(struct dense *d, int64_t id)
{
    if (d->n && d->ids[d->n - 1] == id) return (uint32_t)(d->n - 1);
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 64;
        d->ids = realloc(d->ids, sizeof *d->ids * d->cap);
    }
    d->ids[d->n] = id;
    return (uint32_t)d->n++;
}

/* Workers are few next to answers: a sorted lookup after collecting them keeps this linear-ish. */
static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static uint32_t worker_index(const int64_t *sorted, size_t n, int64_t id)
{
    const int64_t *p = bsearch(&id, sorted, n, sizeof *sorted, cmp_i64);
    return (uint32_t)(p - sorted);
}

/* The answers as (item, worker, label) triples; labels index the schema's list. */
struct triples {
    struct agg_answer *a;
    size_t n;
    struct dense items;
    int64_t *workers;
    size_t n_workers;
};

static bool build_triples(json_t *rows, json_t *labels, struct triples *t)
{
    size_t n = json_array_size(rows), i;
    json_t *row;
    memset(t, 0, sizeof *t);
    t->a = malloc(sizeof *t->a * (n ? n : 1));
    t->workers = malloc(sizeof *t->workers * (n ? n : 1));
    if (!t->a || !t->workers) return false;
    json_array_foreach(rows, i, row) t->workers[i] = json_integer_value(json_object_get(row, "worker_id"));
    qsort(t->workers, n, sizeof *t->workers, cmp_i64);
    for (i = 0; i < n; i++)
        if (i == 0 || t->workers[i] != t->workers[t->n_workers - 1]) t->workers[t->n_workers++] = t->workers[i];
    json_array_foreach(rows, i, row) {
        const char *label = json_string_value(json_object_get(json_object_get(row, "answer"), "label"));
        size_t k;
        json_t *l;
        long idx = -1;
        json_array_foreach(labels, k, l) if (label && !strcmp(label, json_string_value(l))) idx = (long)k;
        if (idx < 0) continue;
        t->a[t->n++] = (struct agg_answer){
            dense_index(&t->items, json_integer_value(json_object_get(row, "task_id"))),
            worker_index(t->workers, t->n_workers, json_integer_value(json_object_get(row, "worker_id"))),
            (uint32_t)idx};
    }
    return true;
}

static void triples_free(struct triples *t)
{
    free(t->a);
    free(t->items.ids);
    free(t->workers);
}

static json_t *num_or_null(double x) { return isnan(x) ? json_null() : json_real(x); }

static void reply_ctx_error(req *r, const struct agg_ctx *c, store_rc rc)
{
    if (c->err) reply_error(r, c->err, NULL, "%s", c->detail ? c->detail : "");
    else reply_store_failure(r, rc);
}

/* ---- batch aggregation: answers streamed into triples, results written in one statement loop ---- */

/* Answer text → label index (-1: none of the schema's). A project's answers are a handful of distinct texts
 * ({"label":"x"}), so each is parsed once; once half the slots are taken, new texts are parsed every time. */
#define MEMO_SLOTS 1024
struct memo_slot {
    uint64_t hash;
    char *text; /* NULL: free */
    int32_t label;
};

/* The label as build_triples reads it: the answer's "label" string, the last equal label of the schema. */
static int32_t label_parse(json_t *labels, const char *text)
{
    json_t *ans = json_loads(text, JSON_DECODE_ANY, NULL), *l;
    const char *label = json_string_value(json_object_get(ans, "label"));
    int32_t idx = -1;
    size_t k;
    json_array_foreach(labels, k, l) if (label && !strcmp(label, json_string_value(l))) idx = (int32_t)k;
    json_decref(ans);
    return idx;
}

/* Worker ids → indices: first-appearance slots while reading (an open-addressing table at most half full),
 * renumbered in id order at the end, the order build_triples gives and the reply lists. */
struct worker_map {
    int64_t *key;
    uint32_t *slot; /* index + 1; 0: free */
    size_t cap;
    buf ids; /* int64_t per worker, by first appearance */
};

/* What one run reads; batch_reset empties it for a retried transaction. */
struct batch {
    req *r;
    err_id err;
    const char *detail;
    struct project p;
    json_t *labels;
    buf answers; /* struct agg_answer; worker = first-appearance slot until batch_finish */
    buf tasks;   /* int64_t task id per item, in task order */
    struct worker_map w;
    struct memo_slot memo[MEMO_SLOTS];
    size_t memo_used;
    int64_t *workers; /* sorted ids, after batch_finish */
    size_t n_workers;
};

/* 2^27 answers (1.5 GiB of triples) at most; the engine's indices are 32-bit. */
#define BATCH_MAX_ANSWERS ((size_t)1 << 27)
#define BATCH_PAGE 50000 /* rows per page: PostgreSQL holds a page's rows in memory at once */

static void batch_reset(struct batch *b)
{
    json_decref(b->labels);
    b->labels = NULL;
    buf_free(&b->answers);
    buf_free(&b->tasks);
    buf_free(&b->w.ids);
    free(b->w.key);
    free(b->w.slot);
    b->w.key = NULL, b->w.slot = NULL, b->w.cap = 0;
    for (size_t i = 0; i < MEMO_SLOTS; i++) free(b->memo[i].text), b->memo[i].text = NULL;
    b->memo_used = 0;
    free(b->workers);
    b->workers = NULL, b->n_workers = 0;
    buf_init(&b->answers, BATCH_MAX_ANSWERS * sizeof(struct agg_answer));
    buf_init(&b->tasks, BATCH_MAX_ANSWERS * sizeof(int64_t));
    buf_init(&b->w.ids, BATCH_MAX_ANSWERS * sizeof(int64_t));
}

static int32_t batch_label(struct batch *b, const char *text)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) h = (h ^ *c) * 1099511628211ull;
    for (size_t i = h & (MEMO_SLOTS - 1);; i = (i + 1) & (MEMO_SLOTS - 1)) {
        struct memo_slot *m = &b->memo[i];
        if (!m->text) {
            int32_t label = label_parse(b->labels, text);
            if (b->memo_used < MEMO_SLOTS / 2 && (m->text = strdup(text))) m->hash = h, m->label = label, b->memo_used++;
            return label;
        }
        if (m->hash == h && !strcmp(m->text, text)) return m->label;
    }
}

static size_t worker_probe(const struct worker_map *w, int64_t id)
{
    uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h ^ (h >> 29)) & (w->cap - 1);
    while (w->slot[i] && w->key[i] != id) i = (i + 1) & (w->cap - 1);
    return i;
}

static bool worker_slot(struct worker_map *w, int64_t id, uint32_t *out)
{
    size_t n = w->ids.len / sizeof(int64_t);
    if (2 * (n + 1) > w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 256;
        int64_t *key = malloc(cap * sizeof *key);
        uint32_t *slot = calloc(cap, sizeof *slot);
        if (!key || !slot) {
            free(key);
            free(slot);
            return false;
        }
        free(w->key);
        free(w->slot);
        w->key = key, w->slot = slot, w->cap = cap;
        const int64_t *ids = (const int64_t *)w->ids.data;
        for (size_t j = 0; j < n; j++) {
            size_t i = worker_probe(w, ids[j]);
            w->key[i] = ids[j], w->slot[i] = (uint32_t)j + 1;
        }
    }
    size_t i = worker_probe(w, id);
    if (!w->slot[i]) {
        if (buf_add(&w->ids, &id, sizeof id)) return false;
        w->key[i] = id, w->slot[i] = (uint32_t)n + 1;
    }
    *out = w->slot[i] - 1;
    return true;
}

/* One answer row: every row's worker counts (as in build_triples), only labelled rows become triples. */
static bool batch_add(struct batch *b, int64_t task_id, int64_t worker_id, const char *answer)
{
    uint32_t w;
    if (!worker_slot(&b->w, worker_id, &w)) return false;
    int32_t label = answer ? batch_label(b, answer) : -1;
    if (label < 0) return true;
    size_t n_items = b->tasks.len / sizeof(int64_t);
    if (!n_items || ((const int64_t *)b->tasks.data)[n_items - 1] != task_id) {
        if (buf_add(&b->tasks, &task_id, sizeof task_id)) return false;
        n_items++;
    }
    struct agg_answer a = {(uint32_t)(n_items - 1), w, (uint32_t)label};
    return !buf_add(&b->answers, &a, sizeof a);
}

struct id_slot {
    int64_t id;
    uint32_t slot;
};
static int cmp_id_slot(const void *a, const void *b)
{
    int64_t x = ((const struct id_slot *)a)->id, y = ((const struct id_slot *)b)->id;
    return x < y ? -1 : x > y;
}

/* Renumbers the workers in id order. */
static bool batch_finish(struct batch *b)
{
    size_t n = b->w.ids.len / sizeof(int64_t);
    struct id_slot *order = malloc((n ? n : 1) * sizeof *order);
    uint32_t *rank = malloc((n ? n : 1) * sizeof *rank);
    b->workers = malloc((n ? n : 1) * sizeof *b->workers);
    if (!order || !rank || !b->workers) {
        free(order);
        free(rank);
        return false;
    }
    for (size_t i = 0; i < n; i++) order[i] = (struct id_slot){((const int64_t *)b->w.ids.data)[i], (uint32_t)i};
    qsort(order, n, sizeof *order, cmp_id_slot);
    for (size_t r = 0; r < n; r++) rank[order[r].slot] = (uint32_t)r, b->workers[r] = order[r].id;
    b->n_workers = n;
    struct agg_answer *a = (struct agg_answer *)b->answers.data;
    for (size_t i = 0, na = b->answers.len / sizeof *a; i < na; i++) a[i].worker = rank[a[i].worker];
    free(order);
    free(rank);
    return true;
}

/* Takes the labels of a single-choice classification project; sets b->err (409) for any other. */
static bool batch_labels(struct batch *b)
{
    json_t *schema = json_loads(b->p.schema_json, 0, NULL);
    bool ok = !strcmp(b->p.kind, "text_classification") && !json_is_true(json_object_get(schema, "multiple"));
    b->labels = ok ? json_incref(json_object_get(schema, "labels")) : NULL;
    json_decref(schema);
    if (!ok) {
        b->err = ERR_PROJECT_STATE;
        b->detail = "batch methods apply to single-choice text_classification projects; the other kinds are merged "
                    "per task as answers arrive (see the project's results)";
    }
    return ok;
}

/* The project and its counted answers, page by page in one snapshot, straight into triples. */
static tx_rc batch_read_tx(db *d, void *vctx)
{
    struct batch *b = vctx;
    batch_reset(b);
    TX_CHECK(db_run(db_q(d, Q_AGG_SNAPSHOT)));
    db_rc rc = load_owned(d, b->r, &b->p, &b->err, &b->detail);
    TX_CHECK(rc);
    if (rc == DB_DONE) return TX_ROLLBACK;
    if (!batch_labels(b)) return TX_ROLLBACK;
    int64_t after_task = INT64_MIN, after_id = INT64_MIN;
    for (;;) {
        db_stmt *s = db_q(d, Q_PROJECT_ANSWERS_PAGE);
        db_bind_i64(s, 1, b->p.id);
        db_bind_i64(s, 2, after_task);
        db_bind_i64(s, 3, after_id);
        db_bind_i64(s, 4, BATCH_PAGE);
        size_t rows = 0;
        while ((rc = db_step(s)) == DB_ROW) {
            after_task = db_col_i64(s, 0), after_id = db_col_i64(s, 1), rows++;
            if (!batch_add(b, after_task, db_col_i64(s, 2), db_col_null(s, 3) ? NULL : db_col_text(s, 3))) {
                db_reset(s);
                b->err = ERR_INTERNAL;
                b->detail = "aggregation failed (out of memory)";
                return TX_ROLLBACK;
            }
        }
        if (rc != DB_DONE) return tx_from_db(rc);
        if (rows < BATCH_PAGE) break;
    }
    return TX_COMMIT;
}

struct batch_write {
    req *r;
    int64_t now;
    const char *method;
    const struct batch *b;
    const struct agg_result *res;
    char *const *label_json; /* the result text per label: {"label": …} */
    size_t tasks;            /* results written */
};

#define BATCH_WRITE 10000 /* tasks per statement on PostgreSQL */

/* {"a","b"}: a PostgreSQL array literal of texts. */
static int pg_text_array(buf *out, char *const *items, size_t n)
{
    int rc = buf_adds(out, "{");
    for (size_t k = 0; k < n && !rc; k++) {
        rc |= buf_adds(out, k ? ",\"" : "\"");
        for (const char *c = items[k]; *c && !rc; c++)
            rc |= buf_printf(out, "%s%c", *c == '"' || *c == '\\' ? "\\" : "", *c);
        rc |= buf_adds(out, "\"");
    }
    return rc | buf_adds(out, "}");
}

/* PostgreSQL: the results BATCH_WRITE tasks a statement, as array literals (AGG_RESULTS_SET_MANY). */
static tx_rc write_pg(db *d, struct batch_write *c)
{
    const int64_t *task = (const int64_t *)c->b->tasks.data;
    size_t cap = (size_t)64 << 20;
    buf ids, ks, confs, labels;
    buf_init(&ids, cap), buf_init(&ks, cap), buf_init(&confs, cap), buf_init(&labels, cap);
    tx_rc out = TX_COMMIT;
    int bad = pg_text_array(&labels, c->label_json, json_array_size(c->b->labels));
    for (size_t i = 0; !bad && out == TX_COMMIT && i < c->res->n_items;) {
        buf_reset(&ids), buf_reset(&ks), buf_reset(&confs);
        size_t m = 0;
        for (; i < c->res->n_items && m < BATCH_WRITE && !bad; i++) {
            if (c->res->label[i] == AGG_NO_LABEL) continue;
            const char *sep = m++ ? "," : "{";
            bad |= buf_printf(&ids, "%s%lld", sep, (long long)task[i]);
            bad |= buf_printf(&ks, "%s%d", sep, (int)c->res->label[i]);
            bad |= buf_printf(&confs, "%s%lld", sep, (long long)llround(c->res->confidence[i] * 1e6));
        }
        if (!m || bad) break;
        bad |= buf_adds(&ids, "}") | buf_adds(&ks, "}") | buf_adds(&confs, "}");
        if (bad) break;
        db_stmt *s = db_q(d, Q_AGG_RESULTS_SET_MANY);
        db_bind_text(s, 1, ids.data);
        db_bind_text(s, 2, labels.data);
        db_bind_text(s, 3, c->method);
        db_bind_text(s, 4, ks.data);
        db_bind_i64(s, 5, c->now);
        db_bind_text(s, 6, confs.data);
        db_bind_i64(s, 7, c->b->p.id);
        db_rc rc = db_run(s);
        if (rc != DB_OK) out = tx_from_db(rc);
        else c->tasks += m;
    }
    buf_free(&ids), buf_free(&ks), buf_free(&confs), buf_free(&labels);
    return bad ? TX_FAIL : out;
}

/* Every task's result (one prepared statement stepped per task on SQLite, in batches on PostgreSQL) and the
 * audit entry, in one transaction. */
static tx_rc batch_write_tx(db *d, void *vctx)
{
    struct batch_write *c = vctx;
    const int64_t *task = (const int64_t *)c->b->tasks.data;
    c->tasks = 0;
    if (db_kind_of(d) == DB_PG) {
        tx_rc rc = write_pg(d, c);
        if (rc != TX_COMMIT) return rc;
    }
    for (size_t i = 0; db_kind_of(d) == DB_SQLITE && i < c->res->n_items; i++) {
        if (c->res->label[i] == AGG_NO_LABEL) continue;
        db_stmt *s = db_q(d, Q_PROJECT_TASK_RESULT_SET);
        db_bind_i64(s, 1, task[i]);
        db_bind_text(s, 2, c->label_json[c->res->label[i]]);
        db_bind_text(s, 3, c->method);
        db_bind_i64(s, 4, (int64_t)llround(c->res->confidence[i] * 1e6));
        db_bind_i64(s, 5, c->now);
        db_bind_i64(s, 6, c->b->p.id);
        TX_CHECK(db_run(s));
        c->tasks++;
    }
    char *detail = arena_printf(c->r->a, "{\"project_id\":%lld,\"method\":\"%s\",\"tasks\":%zu}",
                                (long long)c->b->p.id, c->method, c->tasks);
    TX_CHECK(store_audit_append(d, c->now, c->r->user.id, "project.aggregate", c->b->p.name, detail));
    return TX_COMMIT;
}

static void batch_free(struct batch *b)
{
    batch_reset(b);
    buf_free(&b->answers);
    buf_free(&b->tasks);
    buf_free(&b->w.ids);
}

/* Runs the method on what batch_read_tx read and writes the results; replies either way. */
static void batch_run(req *r, struct batch *b, enum agg_method m, const struct agg_params *params)
{
    size_t n_labels = json_array_size(b->labels), n = b->answers.len / sizeof(struct agg_answer);
    char **label_json = calloc(n_labels ? n_labels : 1, sizeof *label_json);
    bool ok = label_json != NULL;
    for (size_t k = 0; ok && k < n_labels; k++) {
        json_t *one = json_pack("{s:O}", "label", json_array_get(b->labels, k));
        ok = one && (label_json[k] = json_dumps(one, JSON_COMPACT));
        json_decref(one);
    }
    struct agg_result res = {0};
    uint64_t t0 = clock_mono_ns();
    enum agg_status st = ok && batch_finish(b)
                             ? agg_categorical(m, (const struct agg_answer *)b->answers.data, n,
                                               b->tasks.len / sizeof(int64_t), b->n_workers, n_labels, params, &res)
                             : AGG_ENOMEM;
    double seconds = (double)(clock_mono_ns() - t0) / 1e9;
    struct batch_write c = {.r = r, .now = clock_now_ms(), .method = agg_method_name(m), .b = b, .res = &res,
                            .label_json = label_json};
    store_rc rc = st == AGG_OK ? store_run(r->db, true, batch_write_tx, &c) : STORE_OK;
    if (st != AGG_OK) {
        reply_error(r, ERR_INTERNAL, NULL, "aggregation failed (%s)", st == AGG_ENOMEM ? "out of memory" : "bad input");
    } else if (rc != STORE_OK) {
        reply_store_failure(r, rc);
    } else {
        json_t *workers = json_array();
        for (size_t w = 0; w < b->n_workers; w++)
            json_array_append_new(workers, json_pack("{s:I, s:o}", "worker_id", (json_int_t)b->workers[w], "accuracy",
                                                     isnan(res.worker_quality[w]) ? json_null()
                                                                                  : json_real(res.worker_quality[w])));
        reply_json(r, 200,
                   json_pack("{s:I, s:s, s:I, s:I, s:I, s:i, s:f, s:o}", "project_id", (json_int_t)b->p.id, "method",
                             c.method, "tasks", (json_int_t)c.tasks, "workers", (json_int_t)b->n_workers, "answers",
                             (json_int_t)n, "iterations", res.iterations, "seconds", seconds, "worker_quality", workers));
    }
    agg_result_free(&res);
    for (size_t k = 0; label_json && k < n_labels; k++) free(label_json[k]);
    free(label_json);
}

void projects_aggregate(req *r)
{
    json_t *body;
    struct verr e;
    static const char *const keys[] = {"method", "max_iter", "tol", "smoothing", NULL};
    const char *name;
    int64_t max_iter;
    if (req_json_object(r, keys, &body) != RES_OK) return;
    if (!json_req_string(body, "method", 1, 16, &name, &e) ||
        !json_opt_int(body, "max_iter", 0, 10000, 100, &max_iter, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    enum agg_method m;
    if (!agg_method_parse(name, &m)) {
        reply_error(r, ERR_INVALID_FIELD, "/method", "/method must be mv, ds, onecoin, glad or mace");
        return;
    }
    struct agg_params params;
    agg_params_default(&params);
    params.max_iter = (int)max_iter;
    json_t *tol = json_object_get(body, "tol"), *sm = json_object_get(body, "smoothing");
    if (tol && (!json_is_number(tol) || !(json_number_value(tol) > 0 && json_number_value(tol) < 1))) {
        reply_error(r, ERR_INVALID_FIELD, "/tol", "/tol must be a number between 0 and 1");
        return;
    }
    if (sm && (!json_is_number(sm) || !(json_number_value(sm) >= 0 && json_number_value(sm) <= 1000))) {
        reply_error(r, ERR_INVALID_FIELD, "/smoothing", "/smoothing must be a number from 0 to 1000");
        return;
    }
    if (tol) params.tol = json_number_value(tol);
    if (sm) params.smoothing = json_number_value(sm);

    struct batch *b = calloc(1, sizeof *b);
    if (!b) {
        reply_error(r, ERR_INTERNAL, NULL, "aggregation failed (out of memory)");
        return;
    }
    b->r = r;
    batch_reset(b);
    store_rc rc = store_run(r->db, false, batch_read_tx, b);
    if (b->err) reply_error(r, b->err, NULL, "%s", b->detail ? b->detail : "");
    else if (rc != STORE_OK) reply_store_failure(r, rc);
    else batch_run(r, b, m, &params);
    batch_free(b);
    free(b);
}

/* llm_comparison: alpha (nominal) on the preferred response, and alpha (interval) on the ratings, each
 * (task, response, criterion) being one unit. */
static void comparison_agreement(json_t *rows, const char *schema_json, json_t *out)
{
    size_t n = json_array_size(rows);
    struct agg_answer *pref = malloc(sizeof *pref * (n ? n : 1));
    json_t *schema = json_loads(schema_json, 0, NULL), *criteria = json_object_get(schema, "criteria");
    size_t nc = json_array_size(criteria), cap = n * 4 * (nc ? nc : 1), nr = 0;
    struct agg_numeric_answer *ratings = malloc(sizeof *ratings * (cap ? cap : 1));
    struct dense tasks = {0};
    json_t *unit_map = json_object(); /* "task/criterion/response" → unit index */
    json_t *choices = json_array(); /* choice names as classes, in order of appearance */
    int64_t *workers = malloc(sizeof *workers * (n ? n : 1));
    size_t nw = 0;
    double alpha_pref = NAN, alpha_ratings = NAN;
    bool ok = pref && ratings && workers && choices;
    for (size_t i = 0; ok && i < n; i++) workers[i] = json_integer_value(json_object_get(json_array_get(rows, i), "worker_id"));
    if (ok) qsort(workers, n, sizeof *workers, cmp_i64);
    for (size_t i = 0; ok && i < n; i++)
        if (i == 0 || workers[i] != workers[nw - 1]) workers[nw++] = workers[i];
    for (size_t i = 0; ok && i < n; i++) {
        json_t *row = json_array_get(rows, i), *ans = json_object_get(row, "answer");
        int64_t task = json_integer_value(json_object_get(row, "task_id"));
        uint32_t item = dense_index(&tasks, task);
        uint32_t w = worker_index(workers, nw, json_integer_value(json_object_get(row, "worker_id")));
        const char *choice = json_string_value(json_object_get(json_object_get(ans, "preference"), "choice"));
        size_t k;
        json_t *cname;
        long cls = -1;
        json_array_foreach(choices, k, cname) if (choice && !strcmp(choice, json_string_value(cname))) cls = (long)k;
        if (choice && cls < 0) {
            json_array_append_new(choices, json_string(choice));
            cls = (long)json_array_size(choices) - 1;
        }
        if (cls >= 0) pref[i] = (struct agg_answer){item, w, (uint32_t)cls};
        else pref[i] = (struct agg_answer){item, w, 0};
        const char *rid;
        json_t *per;
        json_object_foreach(json_object_get(ans, "ratings"), rid, per) {
            size_t ci;
            json_t *crit;
            json_array_foreach(criteria, ci, crit) {
                json_t *v = json_object_get(per, json_string_value(crit));
                if (!json_is_number(v) || nr == cap) continue;
                char key[300];
                snprintf(key, sizeof key, "%lld/%zu/%s", (long long)task, ci, rid);
                json_t *idx = json_object_get(unit_map, key);
                if (!idx) json_object_set_new(unit_map, key, idx = json_integer((json_int_t)json_object_size(unit_map)));
                ratings[nr++] = (struct agg_numeric_answer){item, w, json_number_value(v)};
                ratings[nr - 1].item = (uint32_t)json_integer_value(idx);
            }
        }
    }
    if (ok && n) {
        ok = agree_alpha_nominal(pref, n, tasks.n, json_array_size(choices) ? json_array_size(choices) : 1,
                                 &alpha_pref) == AGG_OK;
        if (ok && nr) ok = agree_alpha_interval(ratings, nr, json_object_size(unit_map), &alpha_ratings) == AGG_OK;
    }
    json_object_set_new(out, "preference_alpha", ok ? num_or_null(alpha_pref) : json_null());
    json_object_set_new(out, "ratings_alpha_interval", ok ? num_or_null(alpha_ratings) : json_null());
    free(pref);
    free(ratings);
    free(workers);
    free(tasks.ids);
    json_decref(unit_map);
    json_decref(choices);
    json_decref(schema);
}

/* Agreement: Krippendorff's alpha and Fleiss' kappa for single-choice classification with each
 * worker's agreement with the others; mean pairwise IoU per task for boxes, polygons and cuboids. */
void projects_agreement(req *r)
{
    struct agg_ctx c = {.r = r};
    store_rc rc = store_run(r->db, false, read_tx, &c);
    if (c.err || rc != STORE_OK) {
        reply_ctx_error(r, &c, rc);
        return;
    }
    arena_defer(r->a, (void (*)(void *))json_decref, c.rows);
    enum project_kind kind;
    kind_parse(c.p.kind, &kind);
    json_t *out = json_pack("{s:I, s:s, s:I}", "project_id", (json_int_t)c.p.id, "kind", c.p.kind, "answers",
                            (json_int_t)json_array_size(c.rows));
    if (kind == KIND_TEXT_CLASSIFICATION) {
        json_t *schema = json_loads(c.p.schema_json, 0, NULL), *labels = json_object_get(schema, "labels");
        if (json_is_true(json_object_get(schema, "multiple"))) {
            json_object_set_new(out, "note", json_string("multi-label agreement is not computed yet"));
        } else {
            struct triples t;
            double alpha = NAN, kappa = NAN;
            struct agree_worker *aw = NULL;
            bool ok = build_triples(c.rows, labels, &t);
            size_t k = json_array_size(labels);
            aw = ok ? calloc(t.n_workers ? t.n_workers : 1, sizeof *aw) : NULL;
            ok = aw && agree_alpha_nominal(t.a, t.n, t.items.n, k, &alpha) == AGG_OK &&
                 agree_fleiss_kappa(t.a, t.n, t.items.n, k, &kappa) == AGG_OK &&
                 agree_workers(t.a, t.n, t.items.n, t.n_workers, k, aw) == AGG_OK;
            if (ok) {
                json_t *workers = json_array();
                for (size_t w = 0; w < t.n_workers; w++)
                    json_array_append_new(workers, json_pack("{s:I, s:o, s:o, s:f}", "worker_id", (json_int_t)t.workers[w],
                                                             "agreement", num_or_null(aw[w].agreement), "kappa",
                                                             num_or_null(aw[w].kappa), "pairs", aw[w].pairs));
                json_object_set_new(out, "krippendorff_alpha", num_or_null(alpha));
                json_object_set_new(out, "fleiss_kappa", num_or_null(kappa));
                json_object_set_new(out, "workers", workers);
            }
            free(aw);
            triples_free(&t);
            if (!ok) {
                json_decref(schema);
                json_decref(out);
                reply_error(r, ERR_INTERNAL, NULL, "agreement could not be computed");
                return;
            }
        }
        json_decref(schema);
    } else if (kind == KIND_IMAGE_ANNOTATION || kind == KIND_LIDAR_CUBOIDS) {
        /* the mean over tasks with two or more answers of their mean pairwise IoU */
        size_t n = json_array_size(c.rows), start = 0, tasks = 0;
        double sum = 0;
        struct agg_geo_answer *ga = calloc(n ? n : 1, sizeof *ga);
        for (size_t i = 0; ga && i <= n; i++) {
            json_t *row = json_array_get(c.rows, i);
            json_t *first = json_array_get(c.rows, start);
            if (i < n && json_integer_value(json_object_get(row, "task_id")) ==
                             json_integer_value(json_object_get(first, "task_id")))
                continue;
            size_t m = i - start;
            for (size_t j = 0; j < m; j++)
                ga[j] = (struct agg_geo_answer){json_object_get(json_array_get(c.rows, start + j), "answer"), 1};
            double iou;
            if (m >= 2 && agg_pairwise_iou(kind, ga, m, &iou) && !isnan(iou)) sum += iou, tasks++;
            start = i;
        }
        free(ga);
        json_object_set_new(out, "mean_pairwise_iou", tasks ? json_real(sum / (double)tasks) : json_null());
        json_object_set_new(out, "tasks_compared", json_integer((json_int_t)tasks));
    } else if (kind == KIND_LLM_COMPARISON) {
        comparison_agreement(c.rows, c.p.schema_json, out);
    } else {
        json_object_set_new(out, "note", json_string("text spans and free text have no agreement metric yet"));
    }
    reply_json(r, 200, out);
}
