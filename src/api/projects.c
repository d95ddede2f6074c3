/* Projects: create, list, read, publish, pause, progress and the streamed JSONL export. */
#include <event2/buffer.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/project_access.h"
#include "core/schema.h"
#include "core/validate.h"
#include "http/reply.h"
#include "util/clock.h"
#include "util/log.h"

db_rc project_load(db *d, arena *a, const struct user *caller, unsigned role, int64_t id, enum project_access acc,
                   bool for_update, struct project *p)
{
    db_rc rc = store_project_get(d, a, id, for_update, p);
    if (rc != DB_ROW) return rc;
    bool owner = (role & ROLE_REQUESTER) && p->owner_id == caller->id;
    bool visible = acc == ACCESS_OWNER ? owner
                   : owner || (role & ROLE_ADMIN) || ((role & ROLE_WORKER) && strcmp(p->status, "draft"));
    return visible ? DB_ROW : DB_DONE;
}

json_t *project_json(const struct project *p)
{
    json_t *schema = json_loads(p->schema_json, 0, NULL);
    json_t *labels = json_incref(json_object_get(schema, "labels"));
    return json_pack("{s:I, s:I, s:s, s:s, s:s, s:o, s:o, s:I, s:s, s:I, s:I, s:I, s:s, s:I, s:I, s:o}", "id",
                     (json_int_t)p->id, "owner_id", (json_int_t)p->owner_id, "name", p->name, "instructions",
                     p->instructions, "kind", p->kind, "schema", schema ? schema : json_object(), "labels",
                     labels ? labels : json_array(), "reward_micros",
                     (json_int_t)p->reward_micros, "currency", p->currency, "estimated_seconds",
                     (json_int_t)p->estimated_seconds, "overlap", (json_int_t)p->overlap, "lease_seconds",
                     (json_int_t)p->lease_seconds, "status", p->status, "task_count", (json_int_t)p->task_count,
                     "answer_count", (json_int_t)p->answer_count, "created_at", json_time(p->created_at));
}

struct project_ctx {
    req *r;
    struct project p;
    enum project_access access;
    const char *new_status;
    err_id err;
    int64_t leases_active, now;
};

static tx_rc create_tx(db *d, void *vctx)
{
    struct project_ctx *c = vctx;
    TX_CHECK(store_project_insert(d, &c->p, c->now, &c->p.id));
    char *detail = arena_printf(c->r->a, "{\"project_id\":%lld}", (long long)c->p.id);
    TX_CHECK(store_audit_append(d, c->now, c->r->user.id, "project.create", c->p.name, detail));
    return TX_COMMIT;
}

void projects_create(req *r)
{
    json_t *body;
    if (req_json_body(r, &body) != RES_OK) return;
    struct project_input in;
    struct verr e;
    if (!validate_project_input(body, &in, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    char *schema = project_schema_json(&in);
    if (!schema) {
        reply_error(r, ERR_INTERNAL, NULL, "out of memory");
        return;
    }
    arena_defer(r->a, free, schema);
    struct project_ctx c = {.r = r, .now = clock_now_ms()};
    c.p = (struct project){.owner_id = r->user.id, .name = in.name, .instructions = in.instructions,
                           .kind = kind_name(in.kind), .schema_json = schema, .reward_micros = in.reward_micros,
                           .currency = in.currency, .estimated_seconds = in.estimated_seconds,
                           .overlap = in.overlap, .lease_seconds = in.lease_seconds, .status = "draft",
                           .created_at = c.now, .updated_at = c.now};
    store_rc rc = store_run(r->db, true, create_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 201, project_json(&c.p));
}

struct list_ctx {
    req *r;
    int64_t after;
    int limit, n;
    struct project *items;
};

static tx_rc list_tx(db *d, void *vctx)
{
    struct list_ctx *c = vctx;
    req *r = c->r;
    enum project_filter f = (r->role & ROLE_ADMIN) ? PROJECTS_ALL
                            : (r->role & ROLE_REQUESTER) ? PROJECTS_OWNED_BY : PROJECTS_WITH_STATUS;
    TX_CHECK(store_project_list(d, r->a, f, r->user.id, "published", c->after, c->limit, &c->items, &c->n));
    return TX_COMMIT;
}

void projects_list(req *r)
{
    struct list_ctx c = {.r = r};
    if (req_page(r, &c.after, &c.limit, 100, 500) != RES_OK) return;
    store_rc rc = store_run(r->db, false, list_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    json_t *items = json_array();
    for (int i = 0; i < c.n; i++) json_array_append_new(items, project_json(&c.items[i]));
    reply_json(r, 200, json_pack("{s:o}", "items", items));
}

static tx_rc get_tx(db *d, void *vctx)
{
    struct project_ctx *c = vctx;
    db_rc rc = project_load(d, c->r->a, &c->r->user, c->r->role, c->r->id, c->access, false, &c->p);
    TX_CHECK(rc);
    if (rc == DB_DONE) {
        c->err = ERR_NOT_FOUND;
        return TX_ROLLBACK;
    }
    if (c->new_status) TX_CHECK(store_project_leases_active(d, c->p.id, c->now, &c->leases_active));
    return TX_COMMIT;
}

/* Runs fn and replies with its error, if any. true when the handler should go on. */
static bool run_project_tx(req *r, bool write, store_tx_fn fn, struct project_ctx *c)
{
    store_rc rc = store_run(r->db, write, fn, c);
    if (c->err == ERR_NOT_FOUND) {
        reply_error(r, ERR_NOT_FOUND, NULL, "no project %lld", (long long)r->id);
        return false;
    }
    if (c->err) {
        reply_error(r, c->err, NULL, "the project is %s", c->p.status);
        return false;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return false;
    }
    return true;
}

void projects_get(req *r)
{
    struct project_ctx c = {.r = r, .access = ACCESS_READ};
    if (run_project_tx(r, false, get_tx, &c)) reply_json(r, 200, project_json(&c.p));
}

static tx_rc set_status_tx(db *d, void *vctx)
{
    struct project_ctx *c = vctx;
    db_rc rc = project_load(d, c->r->a, &c->r->user, c->r->role, c->r->id, ACCESS_OWNER, true, &c->p);
    TX_CHECK(rc);
    if (rc == DB_DONE) {
        c->err = ERR_NOT_FOUND;
        return TX_ROLLBACK;
    }
    if (!strcmp(c->p.status, c->new_status)) return TX_COMMIT; /* idempotent */
    if (!strcmp(c->new_status, "paused") && strcmp(c->p.status, "published")) {
        c->err = ERR_PROJECT_STATE;
        return TX_ROLLBACK;
    }
    TX_CHECK(store_project_set_status(d, c->p.id, c->new_status, c->now));
    char *detail = arena_printf(c->r->a, "{\"project_id\":%lld,\"from\":\"%s\",\"to\":\"%s\"}", (long long)c->p.id,
                                c->p.status, c->new_status);
    TX_CHECK(store_audit_append(d, c->now, c->r->user.id,
                                !strcmp(c->new_status, "published") ? "project.publish" : "project.pause", c->p.name,
                                detail));
    c->p.status = c->new_status;
    return TX_COMMIT;
}

static void set_status(req *r, const char *status)
{
    struct project_ctx c = {.r = r, .new_status = status, .now = clock_now_ms()};
    if (run_project_tx(r, true, set_status_tx, &c)) reply_json(r, 200, project_json(&c.p));
}

void projects_publish(req *r) { set_status(r, "published"); }
void projects_pause(req *r) { set_status(r, "paused"); }

static tx_rc progress_tx(db *d, void *vctx)
{
    struct project_ctx *c = vctx;
    db_rc rc = project_load(d, c->r->a, &c->r->user, c->r->role, c->r->id, ACCESS_READ, false, &c->p);
    TX_CHECK(rc);
    if (rc == DB_DONE) {
        c->err = ERR_NOT_FOUND;
        return TX_ROLLBACK;
    }
    TX_CHECK(store_project_leases_active(d, c->p.id, c->now, &c->leases_active));
    return TX_COMMIT;
}

void projects_progress(req *r)
{
    struct project_ctx c = {.r = r, .now = clock_now_ms()};
    if (!run_project_tx(r, false, progress_tx, &c)) return;
    const struct project *p = &c.p;
    reply_json(r, 200, json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "project_id", (json_int_t)p->id,
                                 "tasks_total", (json_int_t)p->task_count, "tasks_open",
                                 (json_int_t)(p->task_count - p->tasks_started), "tasks_in_progress",
                                 (json_int_t)(p->tasks_started - p->tasks_complete), "tasks_complete",
                                 (json_int_t)p->tasks_complete, "answers_submitted", (json_int_t)p->answer_count,
                                 "leases_active", (json_int_t)c.leases_active));
}

/* ---- export: one JSONL line per task, streamed in pages of tasks (keyset on task id), each page
 * read in its own short transaction so a long download never holds a snapshot open. ---- */

#define EXPORT_PAGE_TASKS 200
#define EXPORT_CHUNK_BYTES (1 << 20)

struct export_state {
    req *r;
    struct evhttp_connection *conn;
    int64_t project_id, after;
    bool done, started, closed;
    /* one page */
    arena *page;
    struct evbuffer *out;
    int ntasks, nanswers;
    struct export_task *tasks;
    struct export_answer *answers;
};

static tx_rc export_page_tx(db *d, void *vctx)
{
    struct export_state *s = vctx;
    TX_CHECK(store_export_tasks(d, s->page, s->project_id, s->after, EXPORT_PAGE_TASKS, &s->tasks, &s->ntasks));
    s->nanswers = 0;
    if (s->ntasks)
        TX_CHECK(store_export_answers(d, s->page, s->project_id, s->tasks[0].id, s->tasks[s->ntasks - 1].id,
                                      &s->answers, &s->nanswers));
    return TX_COMMIT;
}

/* Appends the page's lines to s->out; stops early past EXPORT_CHUNK_BYTES. */
static void export_render(struct export_state *s)
{
    int ai = 0;
    for (int ti = 0; ti < s->ntasks; ti++) {
        const struct export_task *t = &s->tasks[ti];
        json_t *answers = json_array();
        for (; ai < s->nanswers && s->answers[ai].task_id < t->id; ai++) {}
        for (; ai < s->nanswers && s->answers[ai].task_id == t->id; ai++) {
            const struct export_answer *a = &s->answers[ai];
            json_t *ans = json_loads(a->answer_json, 0, NULL);
            json_array_append_new(answers, json_pack("{s:I, s:I, s:o, s:o}", "assignment_id",
                                                     (json_int_t)a->assignment_id, "worker_id",
                                                     (json_int_t)a->worker_id, "answer", ans ? ans : json_null(),
                                                     "submitted_at", json_time(a->submitted_at)));
        }
        json_t *data = json_loads(t->data_json, 0, NULL);
        json_t *line = json_pack("{s:I, s:o, s:o, s:o}", "task_id", (json_int_t)t->id, "external_id",
                                 t->external_id ? json_string(t->external_id) : json_null(), "data",
                                 data ? data : json_null(), "answers", answers);
        char *text = json_dumps(line, JSON_COMPACT);
        json_decref(line);
        if (text) {
            evbuffer_add(s->out, text, strlen(text));
            evbuffer_add(s->out, "\n", 1);
            free(text);
        }
        s->after = t->id;
        if (evbuffer_get_length(s->out) >= EXPORT_CHUNK_BYTES) break;
    }
    if (s->ntasks == 0) s->done = true;
}

static void export_free(struct export_state *s)
{
    req_pending_end(s->r);
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

static void export_next(struct evhttp_connection *conn, void *arg)
{
    (void)conn;
    struct export_state *s = arg;
    if (!s->done) {
        s->page = arena_new(64 * 1024);
        store_rc rc = s->page ? store_run(s->r->db, false, export_page_tx, s) : STORE_FAILED;
        if (rc == STORE_OK) {
            export_render(s);
        } else {
            log_msg("%s export of project %lld failed after task %lld", s->r->id_text, (long long)s->project_id,
                    (long long)s->after);
            evbuffer_add_printf(s->out, "{\"error\":{\"code\":%d,\"name\":\"DB_UNAVAILABLE\",\"detail\":"
                                        "\"the export stopped early; retry\"}}\n",
                                err_info(ERR_DB_UNAVAILABLE)->code);
            s->done = true;
        }
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

void projects_export(req *r)
{
    const char *format = req_query(r, "format");
    if (format && strcmp(format, "jsonl")) {
        reply_error(r, ERR_BAD_QUERY, "format", "format must be jsonl");
        return;
    }
    struct project_ctx c = {.r = r, .now = clock_now_ms()};
    if (!run_project_tx(r, false, progress_tx, &c)) return;
    struct export_state *s = calloc(1, sizeof *s);
    if (!s || !(s->out = evbuffer_new())) {
        free(s);
        reply_error(r, ERR_SERVER_BUSY, NULL, "out of memory");
        return;
    }
    s->r = r;
    s->project_id = c.p.id;
    s->conn = evhttp_request_get_connection(r->ev);
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
    evhttp_add_header(h, "Content-Type", "application/x-ndjson");
    evhttp_add_header(h, "Cache-Control", "no-store");
    evhttp_add_header(h, "X-Request-Id", r->id_text);
    evhttp_add_header(h, "Content-Disposition",
                      arena_printf(r->a, "attachment; filename=\"project-%lld.jsonl\"", (long long)c.p.id));
    r->status = 200;
    r->replied = true;
    r->pending = true;
    evhttp_connection_set_closecb(s->conn, export_closed, s);
    evhttp_send_reply_start(r->ev, 200, "OK");
    struct timeval now = {0, 0};
    event_base_once(evhttp_connection_get_base(s->conn), -1, EV_TIMEOUT, export_start, s, &now);
}
