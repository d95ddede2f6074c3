/* Task import: an NDJSON body, every line checked against the project's kind before anything is
 * written, then inserted in one transaction; all or nothing. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/project_access.h"
#include "core/schema.h"
#include "core/validate.h"
#include "http/reply.h"
#include "util/clock.h"

#define IMPORT_LINE_MAX (1024 * 1024)
#define IMPORT_ERRORS_MAX 100

struct line_iter {
    const char *p, *end;
    int64_t number;
};

/* Next non-blank line (without its \r\n); false at the end. */
static bool next_line(struct line_iter *it, const char **line, size_t *len)
{
    while (it->p < it->end) {
        const char *nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
        const char *stop = nl ? nl : it->end;
        const char *s = it->p;
        it->p = nl ? nl + 1 : it->end;
        it->number++;
        size_t n = (size_t)(stop - s);
        if (n && s[n - 1] == '\r') n--;
        bool blank = true;
        for (size_t i = 0; i < n && blank; i++) blank = s[i] == ' ' || s[i] == '\t';
        if (blank) continue;
        *line = s;
        *len = n;
        return true;
    }
    return false;
}

struct import_ctx {
    req *r;
    struct project p;
    enum project_kind kind;
    json_t *schema;
    int64_t imported, now, bad_line;
    err_id err;
};

/* Parses and checks one line. On success *root holds it (the caller releases it). */
static bool check_line(struct import_ctx *c, const char *line, size_t len, json_t **root, json_t **data,
                       const char **external_id, json_t **predictions, struct verr *e)
{
    *root = NULL;
    if (len > IMPORT_LINE_MAX) {
        snprintf(e->field, sizeof e->field, "%s", "");
        snprintf(e->detail, sizeof e->detail, "the line is longer than %d bytes", IMPORT_LINE_MAX);
        return false;
    }
    return task_line_parse(line, len, root, e) &&
           task_line_check(c->kind, c->schema, *root, data, external_id, predictions, e);
}

static tx_rc load_tx(db *d, void *vctx)
{
    struct import_ctx *c = vctx;
    req *r = c->r;
    db_rc rc = project_load(d, r->a, &r->user, r->role, r->id, ACCESS_OWNER, false, &c->p);
    TX_CHECK(rc);
    if (rc == DB_DONE) {
        c->err = ERR_NOT_FOUND;
        return TX_ROLLBACK;
    }
    return TX_COMMIT;
}

static tx_rc import_tx(db *d, void *vctx)
{
    struct import_ctx *c = vctx;
    req *r = c->r;
    db_rc rc = project_load(d, r->a, &r->user, r->role, r->id, ACCESS_OWNER, true, &c->p);
    TX_CHECK(rc);
    if (rc == DB_DONE) {
        c->err = ERR_NOT_FOUND;
        return TX_ROLLBACK;
    }
    struct line_iter it = {r->body, r->body + r->body_len, 0};
    const char *line;
    size_t len;
    c->imported = 0;
    while (next_line(&it, &line, &len)) {
        json_t *root, *data, *predictions;
        const char *external_id;
        struct verr e;
        if (!check_line(c, line, len, &root, &data, &external_id, &predictions, &e)) { /* checked in pass 1 */
            json_decref(root);
            return TX_FAIL;
        }
        char *data_json = json_dumps(data, JSON_COMPACT);
        char *pred_json = predictions ? json_dumps(predictions, JSON_COMPACT) : NULL;
        rc = data_json && (pred_json || !predictions)
                 ? store_task_insert(d, c->p.id, external_id, data_json, pred_json, c->p.overlap, c->now, NULL)
                 : DB_ERROR;
        free(data_json);
        free(pred_json);
        json_decref(root);
        if (rc == DB_CONSTRAINT) {
            c->err = ERR_EXTERNAL_ID_TAKEN;
            c->bad_line = it.number;
            return TX_ROLLBACK;
        }
        TX_CHECK(rc);
        c->imported++;
    }
    TX_CHECK(store_project_add_tasks(d, c->p.id, c->imported, c->now));
    char *detail = arena_printf(r->a, "{\"project_id\":%lld,\"tasks\":%lld}", (long long)c->p.id,
                                (long long)c->imported);
    TX_CHECK(store_audit_append(d, c->now, r->user.id, "tasks.import", c->p.name, detail));
    return TX_COMMIT;
}

void tasks_import(req *r)
{
    const char *ct = req_header(r, "Content-Type");
    if (!ct || (strncasecmp(ct, "application/x-ndjson", 20) && strncasecmp(ct, "application/jsonl", 17))) {
        reply_error(r, ERR_UNSUPPORTED_MEDIA_TYPE, NULL,
                    "send tasks as application/x-ndjson, one JSON object per line");
        return;
    }
    struct import_ctx c = {.r = r, .now = clock_now_ms()};
    store_rc rc = store_run(r->db, false, load_tx, &c);
    if (c.err == ERR_NOT_FOUND) {
        reply_error(r, ERR_NOT_FOUND, NULL, "no project %lld", (long long)r->id);
        return;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    c.schema = json_loads(c.p.schema_json, 0, NULL);
    arena_defer(r->a, (void (*)(void *))json_decref, c.schema);
    if (!kind_parse(c.p.kind, &c.kind) || !c.schema) {
        reply_error(r, ERR_INTERNAL, NULL, "project %lld has an unreadable schema", (long long)r->id);
        return;
    }
    /* Pass 1: check every line and report every bad one (up to a cap). */
    struct line_iter it = {r->body, r->body ? r->body + r->body_len : NULL, 0};
    const char *line;
    size_t len;
    int64_t good = 0, bad = 0;
    json_t *errors = json_array();
    while (next_line(&it, &line, &len)) {
        struct verr e;
        json_t *root, *data, *predictions;
        const char *external_id;
        bool ok = check_line(&c, line, len, &root, &data, &external_id, &predictions, &e);
        json_decref(root);
        if (ok) {
            good++;
            continue;
        }
        if (++bad <= IMPORT_ERRORS_MAX)
            json_array_append_new(errors, json_pack("{s:I, s:s, s:s}", "line", (json_int_t)it.number, "field",
                                                    e.field, "detail", e.detail));
    }
    if (bad || good == 0) {
        if (!bad)
            json_array_append_new(errors, json_pack("{s:i, s:s, s:s}", "line", 0, "field", "", "detail",
                                                    "the body holds no task lines"));
        json_t *first = json_array_get(errors, 0);
        reply_error_with(r, ERR_IMPORT_INVALID,
                         arena_printf(r->a, "line %lld", (long long)json_integer_value(json_object_get(first, "line"))),
                         arena_printf(r->a, "%lld of %lld lines are invalid; nothing was imported", (long long)bad,
                                      (long long)(bad + good)),
                         json_pack("{s:o, s:I}", "errors", errors, "error_count", (json_int_t)(bad ? bad : 1)));
        return;
    }
    json_decref(errors);
    /* Pass 2: insert in one transaction. */
    rc = store_run(r->db, true, import_tx, &c);
    if (c.err == ERR_NOT_FOUND) {
        reply_error(r, ERR_NOT_FOUND, NULL, "no project %lld", (long long)r->id);
        return;
    }
    if (c.err == ERR_EXTERNAL_ID_TAKEN) {
        json_t *errs = json_pack("[{s:I, s:s, s:s}]", "line", (json_int_t)c.bad_line, "field", "/external_id",
                                 "detail", "external_id is already used in this project");
        reply_error_with(r, ERR_IMPORT_INVALID, arena_printf(r->a, "line %lld", (long long)c.bad_line),
                         "a line repeats an external_id; nothing was imported",
                         json_pack("{s:o, s:i}", "errors", errs, "error_count", 1));
        return;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 201, json_pack("{s:I, s:I}", "imported", (json_int_t)c.imported, "task_count",
                                 (json_int_t)(c.p.task_count + c.imported)));
}
