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
#include "util/clock.h"

struct agg_ctx {
    req *r;
    int64_t now;
    struct project p;
    err_id err;
    const char *detail;
    json_t *rows;    /* [{task_id, worker_id, answer}] in task order */
    json_t *results; /* what the batch writes: [{task_id, result, confidence}] */
    const char *method;
};

static tx_rc read_tx(db *d, void *vctx)
{
    struct agg_ctx *c = vctx;
    req *r = c->r;
    db_rc rc = project_load(d, r->a, &r->user, r->role, r->id, (r->role & ROLE_ADMIN) ? ACCESS_READ : ACCESS_OWNER,
                            false, &c->p);
    TX_CHECK(rc);
    if (rc == DB_DONE) {
        c->err = ERR_NOT_FOUND;
        c->detail = arena_printf(r->a, "no project %lld", (long long)r->id);
        return TX_ROLLBACK;
    }
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

static tx_rc write_tx(db *d, void *vctx)
{
    struct agg_ctx *c = vctx;
    size_t i;
    json_t *r;
    json_array_foreach(c->results, i, r) {
        char *rj = json_dumps(json_object_get(r, "result"), JSON_COMPACT);
        if (!rj) return TX_FAIL;
        struct sql_arg a[] = {{.i = json_integer_value(json_object_get(r, "task_id"))}, {.text = arena_strdup(c->r->a, rj)},
                              {.text = c->method}, {.i = json_integer_value(json_object_get(r, "confidence_ppm"))},
                              {.i = c->now}, {.i = c->p.id}};
        free(rj);
        TX_CHECK(store_exec_args(d, Q_PROJECT_TASK_RESULT_SET, a, 6, NULL));
    }
    char *detail = arena_printf(c->r->a, "{\"project_id\":%lld,\"method\":\"%s\",\"tasks\":%zu}", (long long)c->p.id,
                                c->method, json_array_size(c->results));
    TX_CHECK(store_audit_append(d, c->now, c->r->user.id, "project.aggregate", c->p.name, detail));
    return TX_COMMIT;
}

static json_t *num_or_null(double x) { return isnan(x) ? json_null() : json_real(x); }

static void reply_ctx_error(req *r, const struct agg_ctx *c, store_rc rc)
{
    if (c->err) reply_error(r, c->err, NULL, "%s", c->detail ? c->detail : "");
    else reply_store_failure(r, rc);
}

/* Checks that the project is single-choice classification; replies 409 itself otherwise. */
static bool categorical(req *r, const struct project *p, json_t **labels)
{
    json_t *schema = json_loads(p->schema_json, 0, NULL);
    bool ok = !strcmp(p->kind, "text_classification") && !json_is_true(json_object_get(schema, "multiple"));
    *labels = ok ? json_incref(json_object_get(schema, "labels")) : NULL;
    json_decref(schema);
    if (!ok)
        reply_error(r, ERR_PROJECT_STATE, NULL,
                    "batch methods apply to single-choice text_classification projects; the other kinds are merged per "
                    "task as answers arrive (see the project's results)");
    return ok;
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

    struct agg_ctx c = {.r = r, .now = clock_now_ms(), .method = agg_method_name(m)};
    store_rc rc = store_run(r->db, false, read_tx, &c);
    if (c.err || rc != STORE_OK) {
        reply_ctx_error(r, &c, rc);
        return;
    }
    arena_defer(r->a, (void (*)(void *))json_decref, c.rows);
    json_t *labels;
    if (!categorical(r, &c.p, &labels)) return;
    struct triples t;
    struct agg_result res = {0};
    uint64_t t0 = clock_mono_ns();
    enum agg_status st = build_triples(c.rows, labels, &t)
                             ? agg_categorical(m, t.a, t.n, t.items.n, t.n_workers, json_array_size(labels), &params, &res)
                             : AGG_ENOMEM;
    double seconds = (double)(clock_mono_ns() - t0) / 1e9;
    if (st != AGG_OK) {
        triples_free(&t);
        json_decref(labels);
        reply_error(r, ERR_INTERNAL, NULL, "aggregation failed (%s)", st == AGG_ENOMEM ? "out of memory" : "bad input");
        return;
    }
    c.results = json_array();
    for (size_t i = 0; i < t.items.n; i++) {
        if (res.label[i] == AGG_NO_LABEL) continue;
        json_array_append_new(c.results, json_pack("{s:I, s:{s:O}, s:I}", "task_id", (json_int_t)t.items.ids[i], "result",
                                                   "label", json_array_get(labels, (size_t)res.label[i]), "confidence_ppm",
                                                   (json_int_t)llround(res.confidence[i] * 1e6)));
    }
    json_t *workers = json_array();
    for (size_t w = 0; w < t.n_workers; w++)
        json_array_append_new(workers, json_pack("{s:I, s:o}", "worker_id", (json_int_t)t.workers[w], "accuracy",
                                                 isnan(res.worker_quality[w]) ? json_null()
                                                                              : json_real(res.worker_quality[w])));
    json_t *summary = json_pack("{s:I, s:s, s:I, s:I, s:I, s:i, s:f, s:o}", "project_id", (json_int_t)c.p.id, "method",
                                c.method, "tasks", (json_int_t)json_array_size(c.results), "workers",
                                (json_int_t)t.n_workers, "answers", (json_int_t)t.n, "iterations", res.iterations,
                                "seconds", seconds, "worker_quality", workers);
    agg_result_free(&res);
    triples_free(&t);
    json_decref(labels);
    rc = store_run(r->db, true, write_tx, &c);
    json_decref(c.results);
    if (rc != STORE_OK) {
        json_decref(summary);
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, summary);
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
