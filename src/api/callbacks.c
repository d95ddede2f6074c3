/* Result callbacks: a project's URL (set by its requester; private addresses only when an admin
 * allows them), the queue of signed deliveries, their state per task and manual re-sends. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/project_access.h"
#include "api/quality_flow.h"
#include "core/callback.h"
#include "core/validate.h"
#include "http/reply.h"
#include "util/clock.h"

db_rc callback_enqueue(db *d, arena *a, const struct project *p, int64_t task_id, int64_t now)
{
    if (!p->callback_url || !*p->callback_url) return DB_OK;
    static const char *const cols[] = {"i:task_id", "s:external_id", "i:project_id", "j:answer", "s:method",
                                       "p:confidence", "i:version", "b:final", "t:result_at", "i:answers", NULL};
    json_t *rows;
    db_rc rc = store_rows_json(d, Q_TASK_RESULT_FOR_CALLBACK, (struct sql_arg[]){{.i = task_id}}, 1, cols, &rows);
    if (rc != DB_OK) return rc;
    json_t *t = json_array_get(rows, 0);
    if (!t) {
        json_decref(rows);
        return DB_ERROR;
    }
    json_t *result = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}", "answer", json_object_get(t, "answer"), "confidence",
                               json_object_get(t, "confidence"), "method", json_object_get(t, "method"), "version",
                               json_object_get(t, "version"), "final", json_object_get(t, "final"), "updated_at",
                               json_object_get(t, "result_at"));
    json_t *body = json_pack("{s:s, s:O, s:O, s:O, s:o, s:O}", "event", "task.result", "project_id",
                             json_object_get(t, "project_id"), "task_id", json_object_get(t, "task_id"), "external_id",
                             json_object_get(t, "external_id"), "result", result, "answers", json_object_get(t, "answers"));
    int64_t version = json_integer_value(json_object_get(t, "version"));
    json_decref(rows);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text) return DB_ERROR;
    struct sql_arg args[] = {{.i = p->id}, {.i = task_id}, {.i = version}, {.text = p->callback_url},
                             {.i = p->callback_allow_private}, {.text = arena_strdup(a, text)}, {.i = now}};
    free(text);
    int64_t id[1];
    rc = store_row_i64(d, Q_CALLBACK_ADD, args, 7, id, 1);
    return rc == DB_ROW ? DB_OK : rc == DB_DONE ? DB_ERROR : rc;
}

struct cb_ctx {
    req *r;
    int64_t now, project_id;
    struct project p;
    const char *url;
    bool allow_private, allow_given;
    err_id err;
    const char *field, *detail;
    json_t *out;
};

static void reply_ctx_error(req *r, const struct cb_ctx *c, store_rc rc)
{
    if (c->err) reply_error(r, c->err, c->field, "%s", c->detail ? c->detail : "");
    else reply_store_failure(r, rc);
}

static json_t *callback_json(req *r, const struct project *p, bool with_secret)
{
    json_t *o = json_pack("{s:o, s:b}", "url", *p->callback_url ? json_string(p->callback_url) : json_null(),
                          "allow_private", p->callback_allow_private);
    if (with_secret && *p->callback_url) {
        char secret[CALLBACK_HEX];
        callback_secret(r->cfg->secret_key, p->id, secret);
        json_object_set_new(o, "secret", json_string(secret));
        json_object_set_new(o, "signature_header", json_string("X-Fairlabel-Signature: t=<unix ms>,v1=<hex HMAC-SHA256 "
                                                               "of \"<t>.<body>\" keyed with the secret>"));
    }
    return o;
}

static tx_rc set_tx(db *d, void *vctx)
{
    struct cb_ctx *c = vctx;
    req *r = c->r;
    /* the owner sets the URL; an admin may (also) allow private addresses */
    db_rc rc = project_load(d, r->a, &r->user, r->role, r->id, (r->role & ROLE_ADMIN) ? ACCESS_READ : ACCESS_OWNER,
                            true, &c->p);
    TX_CHECK(rc);
    if (rc == DB_DONE) {
        c->err = ERR_NOT_FOUND;
        c->detail = arena_printf(r->a, "no project %lld", (long long)r->id);
        return TX_ROLLBACK;
    }
    bool admin = (r->role & ROLE_ADMIN) != 0;
    if (c->allow_given && !admin && c->allow_private != c->p.callback_allow_private) {
        c->err = ERR_INVALID_FIELD;
        c->field = "/allow_private";
        c->detail = "only an admin may allow a callback to reach private addresses";
        return TX_ROLLBACK;
    }
    bool allow = c->allow_given ? c->allow_private : c->p.callback_allow_private;
    const char *url = c->url ? c->url : c->p.callback_url;
    const char *why = *url ? callback_url_problem(url, allow) : NULL;
    if (why) {
        c->err = ERR_INVALID_FIELD;
        c->field = "/url";
        c->detail = why;
        return TX_ROLLBACK;
    }
    struct sql_arg a[] = {{.i = c->p.id}, {.text = url, .null = !*url}, {.i = allow}, {.i = c->now}};
    TX_CHECK(store_exec_args(d, Q_PROJECT_CALLBACK_SET, a, 4, NULL));
    char *detail = arena_printf(r->a, "{\"project_id\":%lld,\"url_set\":%s,\"allow_private\":%s}", (long long)c->p.id,
                                *url ? "true" : "false", allow ? "true" : "false");
    TX_CHECK(store_audit_append(d, c->now, r->user.id, "project.callback", c->p.name, detail));
    c->p.callback_url = url;
    c->p.callback_allow_private = allow;
    return TX_COMMIT;
}

/* {url: "https://…" or "" to stop, allow_private: bool (admins only)}; replies with the secret. */
void projects_callback_put(req *r)
{
    json_t *body;
    struct cb_ctx c = {.r = r, .now = clock_now_ms()};
    struct verr e;
    static const char *const keys[] = {"url", "allow_private", NULL};
    if (req_json_object(r, keys, &body) != RES_OK) return;
    if (!json_opt_string(body, "url", 2000, NULL, &c.url, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    json_t *ap = json_object_get(body, "allow_private");
    if (ap && !json_is_boolean(ap)) {
        reply_error(r, ERR_INVALID_FIELD, "/allow_private", "/allow_private must be true or false");
        return;
    }
    c.allow_given = ap != NULL;
    c.allow_private = json_is_true(ap);
    if (!(r->role & ROLE_REQUESTER) && c.url) {
        reply_error(r, ERR_INVALID_FIELD, "/url", "only the project's requester sets its callback URL");
        return;
    }
    store_rc rc = store_run(r->db, true, set_tx, &c);
    if (c.err || rc != STORE_OK) {
        reply_ctx_error(r, &c, rc);
        return;
    }
    reply_json(r, 200, callback_json(r, &c.p, (r->role & ROLE_REQUESTER) != 0));
}

/* The task's project, visible to its owner or an admin. */
static tx_rc load_task_project(db *d, struct cb_ctx *c, int64_t *final)
{
    req *r = c->r;
    static const char *const cols[] = {"i:project_id", "i:version", "-:result", "b:final", NULL};
    json_t *rows;
    TX_CHECK(store_rows_json(d, Q_TASK_PROJECT, (struct sql_arg[]){{.i = r->id}}, 1, cols, &rows));
    json_t *t = json_array_get(rows, 0);
    int64_t project_id = t ? json_integer_value(json_object_get(t, "project_id")) : 0;
    *final = t && json_is_true(json_object_get(t, "final"));
    json_decref(rows);
    db_rc rc = DB_DONE;
    if (project_id) {
        rc = project_load(d, r->a, &r->user, r->role, project_id, (r->role & ROLE_ADMIN) ? ACCESS_READ : ACCESS_OWNER,
                          false, &c->p);
        TX_CHECK(rc);
    }
    if (rc != DB_ROW) {
        c->err = ERR_NOT_FOUND;
        c->detail = arena_printf(r->a, "no task %lld", (long long)r->id);
        return TX_ROLLBACK;
    }
    return TX_COMMIT;
}

static tx_rc list_tx(db *d, void *vctx)
{
    struct cb_ctx *c = vctx;
    int64_t final;
    tx_rc t = load_task_project(d, c, &final);
    if (t != TX_COMMIT) return t;
    static const char *const cols[] = {"i:id", "i:result_version", "s:url", "s:state", "i:attempts", "T:next_at",
                                       "t:created_at", "T:delivered_at", "i:last_status", "s:last_error", "j:body", NULL};
    TX_CHECK(store_rows_json(d, Q_CALLBACKS_OF_TASK, (struct sql_arg[]){{.i = c->r->id}}, 1, cols, &c->out));
    return TX_COMMIT;
}

void tasks_callbacks(req *r)
{
    struct cb_ctx c = {.r = r};
    store_rc rc = store_run(r->db, false, list_tx, &c);
    if (c.err || rc != STORE_OK) {
        reply_ctx_error(r, &c, rc);
        return;
    }
    size_t i;
    json_t *item;
    json_array_foreach(c.out, i, item) if (strcmp(json_string_value(json_object_get(item, "state")), "pending"))
        json_object_set_new(item, "next_at", json_null());
    reply_json(r, 200, json_pack("{s:o}", "items", c.out));
}

static tx_rc resend_tx(db *d, void *vctx)
{
    struct cb_ctx *c = vctx;
    int64_t final = 0;
    tx_rc t = load_task_project(d, c, &final);
    if (t != TX_COMMIT) return t;
    if (!*c->p.callback_url) {
        c->err = ERR_PROJECT_STATE;
        c->detail = "the project has no callback URL (PUT /api/v1/projects/{id}/callback)";
        return TX_ROLLBACK;
    }
    if (!final) {
        c->err = ERR_PROJECT_STATE;
        c->detail = "the task has no final result yet; it is sent when it has";
        return TX_ROLLBACK;
    }
    TX_CHECK(callback_enqueue(d, c->r->a, &c->p, c->r->id, c->now));
    return TX_COMMIT;
}

void tasks_callbacks_resend(req *r)
{
    struct cb_ctx c = {.r = r, .now = clock_now_ms()};
    store_rc rc = store_run(r->db, true, resend_tx, &c);
    if (c.err || rc != STORE_OK) {
        reply_ctx_error(r, &c, rc);
        return;
    }
    reply_json(r, 202, json_pack("{s:I, s:s}", "task_id", (json_int_t)r->id, "state", "pending"));
}
