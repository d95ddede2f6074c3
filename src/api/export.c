/* Project export in every format of core/formats.c, streamed with chunked encoding: pages of tasks
 * (keyset on the task id), each read in its own short transaction, so memory stays bounded and a
 * long download never holds a snapshot open. Two-pass formats (COCO) walk the tasks twice. */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/project_access.h"
#include "core/formats.h"
#include "core/schema.h"
#include "http/reply.h"
#include "util/clock.h"
#include "util/env.h"
#include "util/log.h"

#define EXPORT_PAGE_TASKS 200
#define EXPORT_CHUNK_BYTES (1 << 20)
/* A page's strings fit one block. A block this size is first mmapped; once it is freed glibc raises its
 * mmap and trim thresholds past it, so later pages reuse the same heap memory instead of faulting in fresh
 * pages and giving them back (madvise) every page: that churn cost more than the JSON. */
#define EXPORT_ARENA_BYTES (1 << 20)

struct export_state {
    req *r;
    struct evhttp_connection *conn;
    struct project p;
    json_t *schema;
    fmt_export *x;
    int pass, passes;
    int64_t after;
    bool done, started, closed;
    struct evbuffer *out;
    /* The exporters write a line in many small pieces (jansson's dump callback); gathering them here first
     * spares an evbuffer_add per piece. Flushed into out after every page and before anything else is added. */
    size_t staged;
    char stage[16384];
    /* one page */
    arena *page;
    int ntasks, nanswers;
    struct export_task *tasks;
    struct export_answer *answers;
};

static int stage_flush(struct export_state *s)
{
    int rc = s->staged ? evbuffer_add(s->out, s->stage, s->staged) : 0;
    s->staged = 0;
    return rc;
}

static int sink_write(void *ctx, const void *p, size_t n)
{
    struct export_state *s = ctx;
    if (n > sizeof s->stage - s->staged && stage_flush(s)) return -1;
    if (n >= sizeof s->stage) return evbuffer_add(s->out, p, n);
    memcpy(s->stage + s->staged, p, n);
    s->staged += n;
    return 0;
}

static tx_rc page_tx(db *d, void *vctx)
{
    struct export_state *s = vctx;
    TX_CHECK(store_export_tasks(d, s->page, s->p.id, s->after, EXPORT_PAGE_TASKS, &s->tasks, &s->ntasks));
    s->nanswers = 0;
    if (s->ntasks)
        TX_CHECK(store_export_answers(d, s->page, s->p.id, s->tasks[0].id, s->tasks[s->ntasks - 1].id, &s->answers,
                                      &s->nanswers));
    return TX_COMMIT;
}

/* Parses the stored texts into ft's values, for exporters that read them. */
static void task_parse(struct fmt_task *ft, struct fmt_answer *answers)
{
    ft->data = json_loads(ft->data_text, 0, NULL);
    json_t *image = json_object_get(ft->data, "image");
    ft->width = (int)json_integer_value(json_object_get(image, "width"));
    ft->height = (int)json_integer_value(json_object_get(image, "height"));
    ft->predictions = ft->predictions_text ? json_loads(ft->predictions_text, 0, NULL) : NULL;
    ft->result.answer = ft->result.answer_text ? json_loads(ft->result.answer_text, 0, NULL) : NULL;
    for (size_t k = 0; k < ft->n_answers; k++) answers[k].answer = json_loads(answers[k].answer_text, 0, NULL);
}

static void task_unparse(struct fmt_task *ft, struct fmt_answer *answers)
{
    json_decref(ft->data);
    json_decref(ft->predictions);
    json_decref(ft->result.answer);
    for (size_t k = 0; k < ft->n_answers; k++) json_decref(answers[k].answer);
}

/* Feeds the page's tasks to the exporter, from their stored texts when it can copy them (jsonl), else
 * parsed; stops early past EXPORT_CHUNK_BYTES. -1 on a format error. */
static int render_page(struct export_state *s)
{
    int ai = 0;
    struct fmt_answer *answers = arena_alloc(s->page, sizeof *answers * (size_t)(s->nanswers + 1));
    if (!answers) return -1;
    for (int ti = 0; ti < s->ntasks; ti++) {
        const struct export_task *t = &s->tasks[ti];
        for (; ai < s->nanswers && s->answers[ai].task_id < t->id; ai++) {}
        int first = ai;
        for (; ai < s->nanswers && s->answers[ai].task_id == t->id; ai++) {}
        for (int k = first; k < ai; k++)
            answers[k - first] = (struct fmt_answer){.assignment_id = s->answers[k].assignment_id,
                                                     .worker_id = s->answers[k].worker_id,
                                                     .submitted_at_ms = s->answers[k].submitted_at,
                                                     .answer_text = s->answers[k].answer_json,
                                                     .review_state = s->answers[k].review_state,
                                                     .answer_version = s->answers[k].answer_version};
        struct fmt_task ft = {
            .task_id = t->id, .external_id = t->external_id, .data_text = t->data_json,
            .predictions_text = t->predictions_json, .answers = answers, .n_answers = (size_t)(ai - first),
            .result = {.answer_text = t->result_json, .method = t->result_method,
                       .confidence = (double)t->result_confidence_ppm / 1e6, .version = t->result_version,
                       .final = t->result_final},
        };
        int rc = fmt_export_task_text(s->x, &ft);
        if (rc == 0) {
            task_parse(&ft, answers);
            rc = fmt_export_task(s->x, &ft);
            task_unparse(&ft, answers);
        }
        if (rc < 0) return -1;
        s->after = t->id;
        if (evbuffer_get_length(s->out) + s->staged >= EXPORT_CHUNK_BYTES) break;
    }
    return 0;
}

static void export_free(struct export_state *s)
{
    req_pending_end(s->r);
    fmt_export_free(s->x);
    json_decref(s->schema);
    evbuffer_free(s->out);
    free(s);
}

static void export_closed(struct evhttp_connection *conn, void *arg)
{
    (void)conn;
    struct export_state *s = arg;
    s->closed = true;
    if (s->started) export_free(s);
}

/* Stops the stream early: the error goes in a last line (the status was sent long ago). */
static void export_abort(struct export_state *s, const char *why)
{
    log_msg("%s export of project %lld stopped after task %lld: %s", s->r->id_text, (long long)s->p.id,
            (long long)s->after, why);
    stage_flush(s);
    evbuffer_add_printf(s->out, "\n{\"error\":{\"name\":\"EXPORT_FAILED\",\"detail\":\"%s; the export is incomplete\"}}\n",
                        why);
    s->done = true;
}

static void export_next(struct evhttp_connection *conn, void *arg)
{
    (void)conn;
    struct export_state *s = arg;
    while (!s->done && evbuffer_get_length(s->out) == 0) {
        s->page = arena_new(EXPORT_ARENA_BYTES);
        store_rc rc = s->page ? store_run(s->r->db, false, page_tx, s) : STORE_FAILED;
        if (rc != STORE_OK) {
            export_abort(s, "the database failed");
        } else if (s->ntasks > 0) {
            if (render_page(s)) export_abort(s, fmt_export_error(s->x));
        } else if (s->pass + 1 < s->passes) {
            s->pass++;
            s->after = 0;
            if (fmt_export_next_pass(s->x)) export_abort(s, fmt_export_error(s->x));
        } else {
            if (fmt_export_end(s->x)) export_abort(s, fmt_export_error(s->x));
            s->done = true;
        }
        if (stage_flush(s)) export_abort(s, "out of memory");
        arena_free(s->page);
        s->page = NULL;
    }
    if (evbuffer_get_length(s->out)) {
        evhttp_send_reply_chunk_with_cb(s->r->ev, s->out, export_next, s);
        return;
    }
    evhttp_connection_set_closecb(s->conn, NULL, NULL);
    evhttp_send_reply_end(s->r->ev);
    export_free(s);
}

/* The first page is read on the next loop turn, after dispatch has counted this stream. */
static void export_start(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct export_state *s = arg;
    s->started = true;
    if (s->closed) {
        export_free(s);
        return;
    }
    export_next(s->conn, s);
}

struct load_ctx {
    req *r;
    struct project p;
    bool found;
};

static tx_rc load_tx(db *d, void *vctx)
{
    struct load_ctx *c = vctx;
    db_rc rc = project_load(d, c->r->a, &c->r->user, c->r->role, c->r->id, ACCESS_READ, false, &c->p);
    TX_CHECK(rc);
    c->found = rc == DB_ROW;
    return TX_COMMIT;
}

void projects_export(req *r)
{
    const char *format = req_query(r, "format");
    const struct fmt_exporter *e = fmt_exporter_for(format ? format : "jsonl");
    if (!e) {
        reply_error(r, ERR_BAD_QUERY, "format", "format must be one of " FMT_NAMES);
        return;
    }
    struct load_ctx c = {.r = r};
    store_rc rc = store_run(r->db, false, load_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    if (!c.found) {
        reply_error(r, ERR_NOT_FOUND, NULL, "no project %lld", (long long)r->id);
        return;
    }
    enum project_kind kind;
    if (!kind_parse(c.p.kind, &kind) || !fmt_exporter_supports(e, kind)) {
        reply_error(r, ERR_BAD_QUERY, "format", "the %s format cannot express %s projects", e->name, c.p.kind);
        return;
    }
    struct export_state *s = calloc(1, sizeof *s);
    if (!s || !(s->out = evbuffer_new())) {
        free(s);
        reply_error(r, ERR_SERVER_BUSY, NULL, "out of memory");
        return;
    }
    s->r = r;
    s->p = c.p; /* strings live in r's arena, which outlives the stream */
    s->passes = e->passes;
    s->schema = json_loads(c.p.schema_json, 0, NULL);
    s->conn = evhttp_request_get_connection(r->ev);
    struct fmt_sink sink = {sink_write, s};
    /* FAIRLABEL_EXPORT_COPY=0: jansson builds every JSONL line (the tests compare both ways) */
    struct fmt_options opt = {.media_url_prefix = NULL, .now_ms = clock_now_ms(),
                              .no_text_copy = env_i64("FAIRLABEL_EXPORT_COPY", 1, 0, 1) == 0};
    char err[256] = "";
    s->x = fmt_export_begin(e, c.p.kind, s->schema, &sink, &opt, err, sizeof err);
    if (!s->x) {
        json_decref(s->schema);
        evbuffer_free(s->out);
        free(s);
        reply_error(r, ERR_BAD_QUERY, "format", "%s", err[0] ? err : "this export cannot start");
        return;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
    evhttp_add_header(h, "Content-Type", e->content_type);
    evhttp_add_header(h, "Cache-Control", "no-store");
    evhttp_add_header(h, "X-Request-Id", r->id_text);
    evhttp_add_header(h, "Content-Disposition", arena_printf(r->a, "attachment; filename=\"project-%lld.%s\"",
                                                             (long long)c.p.id, e->extension));
    r->status = 200;
    r->replied = true;
    r->pending = true;
    evhttp_connection_set_closecb(s->conn, export_closed, s);
    /* libevent writes at most 16 KiB per writev by default: a syscall per 16 KiB was a tenth of the export */
    bufferevent_set_max_single_write(evhttp_connection_get_bufferevent(s->conn), EXPORT_CHUNK_BYTES);
    evhttp_send_reply_start(r->ev, 200, "OK");
    struct timeval now = {0, 0};
    event_base_once(evhttp_connection_get_base(s->conn), -1, EV_TIMEOUT, export_start, s, &now);
}
