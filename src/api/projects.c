/* Projects: create, list, read, publish, pause, progress and the streamed JSONL export. */
#include <event2/buffer.h>
#include <event2/event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/project_access.h"
#include "api/pay_flow.h"
#include "api/quality_flow.h"
#include "api/wage_tables.h"
#include "api/task_card.h"
#include "api/reports.h"
#include "core/schema.h"
#include "core/validate.h"
#include "http/reply.h"
#include "util/clock.h"
#include "util/log.h"

static json_t *project_json_base(const struct project *p);

db_rc project_load(db *d, arena *a, const struct user *caller, unsigned role, int64_t id, enum project_access acc,
                   bool for_update, struct project *p)
{
    db_rc rc = store_project_get(d, a, id, for_update, p);
    if (rc != DB_ROW) return rc;
    return project_visible(d, caller, role, p, acc);
}

db_rc project_visible(db *d, const struct user *caller, unsigned role, const struct project *p, enum project_access acc)
{
    db_rc rc;
    bool owner = (role & ROLE_REQUESTER) && p->owner_id == caller->id;
    bool visible = acc == ACCESS_OWNER ? owner
                   : owner || (role & ROLE_ADMIN) || ((role & ROLE_WORKER) && strcmp(p->status, "draft"));
    if (!visible && acc == ACCESS_READ && (role & ROLE_REVIEWER)) {
        rc = store_reviewer_is(d, p->id, caller->id);
        if (rc != DB_ROW && rc != DB_DONE) return rc;
        visible = rc == DB_ROW;
    }
    return visible ? DB_ROW : DB_DONE;
}

json_t *project_json(const struct project *p)
{
    json_t *holder;
    struct quality_config qc;
    quality_load(p, &holder, &qc);
    json_t *quality = quality_to_json(&qc);
    json_decref(holder);
    json_t *out = project_json_base(p);
    json_object_set_new(out, "quality", quality);
    return out;
}

static json_t *project_json_base(const struct project *p)
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
    int64_t outcomes[2]; /* answers approved, rejected: counters kept by triggers (migration 0021) */
    int64_t required, available; /* ERR_ESCROW_SHORT */
};

/* FW-1: a project is published (or fed tasks while published) only when the requester's escrow covers
 * the open work of all their published projects, this one included. */
tx_rc project_escrow_check(db *d, req *r, const struct project *p, err_id *err, int64_t *required, int64_t *available)
{
    struct pay_config pay = {r->cfg->fee_bps, r->cfg->worker_fee_bps};
    TX_CHECK(pay_escrow_cover(d, &pay, p->owner_id, p->id, p->currency, required, available));
    if (*available >= *required) return TX_COMMIT;
    *err = ERR_ESCROW_SHORT;
    return TX_ROLLBACK;
}

void reply_escrow_short(req *r, const char *currency, int64_t required, int64_t available)
{
    char detail[300];
    snprintf(detail, sizeof detail,
             "escrow holds %lld micro-%s but the open work and fees of your published projects need %lld: deposit "
             "%lld more (FW-1)",
             (long long)available, currency, (long long)required, (long long)(required - available));
    reply_error_with(r, ERR_ESCROW_SHORT, NULL, detail,
                     json_pack("{s:s, s:I, s:I, s:I}", "currency", currency, "required_micros", (json_int_t)required,
                               "available_micros", (json_int_t)available, "missing_micros",
                               (json_int_t)(required - available)));
}

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
    struct quality_config qc;
    if (!quality_parse(json_object_get(body, "quality"), in.overlap, "/quality", &qc, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    json_t *qj = quality_to_json(&qc);
    char *quality = json_dumps(qj, JSON_COMPACT);
    json_decref(qj);
    if (!quality) {
        reply_error(r, ERR_INTERNAL, NULL, "out of memory");
        return;
    }
    arena_defer(r->a, free, quality);
    struct project_ctx c = {.r = r, .now = clock_now_ms()};
    c.p = (struct project){.owner_id = r->user.id, .name = in.name, .instructions = in.instructions,
                           .kind = kind_name(in.kind), .schema_json = schema, .reward_micros = in.reward_micros,
                           .currency = in.currency, .estimated_seconds = in.estimated_seconds,
                           .overlap = in.overlap, .lease_seconds = in.lease_seconds, .status = "draft",
                           .created_at = c.now, .updated_at = c.now, .quality_json = quality};
    store_rc rc = store_run(r->db, true, create_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    json_t *out = project_json(&c.p);
    /* FW-5: where this pay meets the floor and the living wage, so a requester sees who will be offered it */
    json_t *check = pay_check_json(r->db, c.p.reward_micros, c.p.currency, c.p.estimated_seconds,
                                   r->cfg->worker_fee_bps);
    json_object_set_new(out, "pay_check", check ? check : json_null());
    reply_json(r, 201, out);
}

/* FW-5: a worker sees each project marked offered or not, with the reason (loads the cached tables). */
static void mark_offers(req *r, const struct project *items, int n, json_t *const *out)
{
    if (!(r->role & ROLE_WORKER) || n == 0) return;
    struct wage_set ws;
    bool loaded = wage_set_load(r->db, &ws) == DB_OK;
    for (int i = 0; i < n; i++) {
        if (loaded) {
            wage_offer_mark(&ws, r->user.country, r->cfg->worker_fee_bps, &items[i], out[i]);
        } else {
            json_object_set_new(out[i], "offered", json_false());
            json_object_set_new(out[i], "not_offered_reason", json_string("the wage tables do not load"));
        }
    }
    if (loaded) wage_set_free(&ws);
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
    enum project_filter f = (r->role & ROLE_ADMIN)      ? PROJECTS_ALL
                            : (r->role & ROLE_REVIEWER) ? PROJECTS_REVIEWED_BY
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
    json_t **marks = arena_alloc(r->a, sizeof *marks * (size_t)(c.n ? c.n : 1));
    for (int i = 0; i < c.n; i++) json_array_append_new(items, marks[i] = project_json(&c.items[i]));
    mark_offers(r, c.items, c.n, marks);
    task_card_attach(r, items); /* FW-7, workers only */
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
    if (c->r->role & (ROLE_REQUESTER | ROLE_ADMIN)) {
        db_rc orc = store_row_i64(d, Q_PROJECT_OUTCOMES, (struct sql_arg[]){{.i = c->p.id}}, 1, c->outcomes, 2);
        TX_CHECK(orc == DB_ROW ? DB_OK : orc);
    }
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
    if (c->err == ERR_REQUESTER_FLAGGED) {
        reply_error(r, ERR_REQUESTER_FLAGGED, NULL,
                    "your account is on hold for an admin's review of your rejection rate or pay (FW-24): running "
                    "projects continue, and you can publish again once an admin clears the hold");
        return false;
    }
    if (c->err == ERR_ESCROW_SHORT) {
        reply_escrow_short(r, c->p.currency, c->required, c->available);
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
    if (!run_project_tx(r, false, get_tx, &c)) return;
    json_t *out = project_json(&c.p);
    if (r->role & (ROLE_REQUESTER | ROLE_ADMIN)) {
        json_object_set_new(out, "answers_approved", json_integer(c.outcomes[0]));
        json_object_set_new(out, "answers_rejected", json_integer(c.outcomes[1]));
    }
    mark_offers(r, &c.p, 1, &out);
    task_card_attach(r, out); /* FW-7, workers only */
    reply_json(r, 200, out);
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
    if (!strcmp(c->new_status, "published")) {
        int64_t flag; /* FW-24: a requester on hold for review publishes nothing until an admin clears it */
        db_rc frc = requester_flag_open(d, c->p.owner_id, &flag);
        TX_CHECK(frc);
        if (frc == DB_ROW) {
            c->err = ERR_REQUESTER_FLAGGED;
            return TX_ROLLBACK;
        }
        tx_rc t = project_escrow_check(d, c->r, &c->p, &c->err, &c->required, &c->available);
        if (t != TX_COMMIT) return t;
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

/* ---- reviewers assigned to a project ---- */

struct reviewers_ctx {
    req *r;
    struct project p;
    int64_t user_id, now;
    struct user *items;
    int n;
    err_id err;
    const char *field, *detail;
};

static tx_rc reviewer_add_tx(db *d, void *vctx)
{
    struct reviewers_ctx *c = vctx;
    req *r = c->r;
    db_rc rc = project_load(d, r->a, &r->user, r->role, r->id, ACCESS_OWNER, false, &c->p);
    TX_CHECK(rc);
    if (rc == DB_DONE) {
        c->err = ERR_NOT_FOUND;
        return TX_ROLLBACK;
    }
    struct user u;
    rc = store_user_by_id(d, r->a, c->user_id, &u);
    TX_CHECK(rc);
    if (rc == DB_DONE || strcmp(u.role, "reviewer") || u.disabled) {
        c->err = ERR_INVALID_FIELD;
        c->field = "/user_id";
        c->detail = "/user_id must be the id of an active reviewer";
        return TX_ROLLBACK;
    }
    TX_CHECK(store_reviewer_add(d, c->p.id, c->user_id, c->now));
    char *detail = arena_printf(r->a, "{\"project_id\":%lld,\"reviewer_id\":%lld}", (long long)c->p.id,
                                (long long)c->user_id);
    TX_CHECK(store_audit_append(d, c->now, r->user.id, "project.reviewer_add", c->p.name, detail));
    return TX_COMMIT;
}

void projects_reviewer_add(req *r)
{
    json_t *body;
    static const char *const keys[] = {"user_id", NULL};
    struct verr e;
    struct reviewers_ctx c = {.r = r, .now = clock_now_ms()};
    if (req_json_object(r, keys, &body) != RES_OK) return;
    if (!json_req_int(body, "user_id", 1, INT64_MAX, &c.user_id, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    store_rc rc = store_run(r->db, true, reviewer_add_tx, &c);
    if (c.err == ERR_NOT_FOUND) {
        reply_error(r, ERR_NOT_FOUND, NULL, "no project %lld", (long long)r->id);
    } else if (c.err) {
        reply_error(r, c.err, c.field, "%s", c.detail);
    } else if (rc != STORE_OK) {
        reply_store_failure(r, rc);
    } else {
        reply_json(r, 201, json_pack("{s:I, s:I}", "project_id", (json_int_t)c.p.id, "user_id", (json_int_t)c.user_id));
    }
}

static tx_rc reviewer_list_tx(db *d, void *vctx)
{
    struct reviewers_ctx *c = vctx;
    req *r = c->r;
    db_rc rc = project_load(d, r->a, &r->user, r->role, r->id, (r->role & ROLE_ADMIN) ? ACCESS_READ : ACCESS_OWNER,
                            false, &c->p);
    TX_CHECK(rc);
    if (rc == DB_DONE) {
        c->err = ERR_NOT_FOUND;
        return TX_ROLLBACK;
    }
    TX_CHECK(store_reviewer_list(d, r->a, c->p.id, &c->items, &c->n));
    return TX_COMMIT;
}

void projects_reviewer_list(req *r)
{
    struct reviewers_ctx c = {.r = r};
    store_rc rc = store_run(r->db, false, reviewer_list_tx, &c);
    if (c.err) {
        reply_error(r, ERR_NOT_FOUND, NULL, "no project %lld", (long long)r->id);
        return;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    json_t *items = json_array();
    for (int i = 0; i < c.n; i++) json_array_append_new(items, user_json(&c.items[i]));
    reply_json(r, 200, json_pack("{s:o}", "items", items));
}
