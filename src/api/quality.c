/* Quality settings of a project, the public rule registry, results and worker-quality views for
 * requesters, a worker's own quality page, and skills. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/decisions.h"
#include "api/email_verify.h"
#include "api/project_access.h"
#include "api/quality_flow.h"
#include "core/consensus.h"
#include "core/gold.h"
#include "core/validate.h"
#include "http/reply.h"
#include "util/clock.h"

/* Columns of QUALITY_EVENT_COLS (queries.def). */
#define QUALITY_EVENT_JSON_COLS \
    "i:id", "i:project_id", "i:worker_id", "s:rule_id", "s:action", "j:detail", "t:created_at", "s:state", \
        "i:resolved_by", "T:resolved_at", "s:resolution_note", NULL

struct quality_ctx {
    req *r;
    int64_t now, after, filter, below_ppm, user_id, value;
    int limit;
    struct project p;
    enum project_access access;
    const char *quality_json, *skill;
    err_id err;
    const char *field, *detail;
    json_t *out, *out2;
};

static tx_rc load_project(db *d, struct quality_ctx *c, enum project_access acc, bool for_update)
{
    req *r = c->r;
    db_rc rc = project_load(d, r->a, &r->user, r->role, r->id, acc, for_update, &c->p);
    TX_CHECK(rc);
    if (rc == DB_DONE) {
        c->err = ERR_NOT_FOUND;
        c->detail = arena_printf(r->a, "no project %lld", (long long)r->id);
        return TX_ROLLBACK;
    }
    return TX_COMMIT;
}

static void reply_ctx_error(req *r, const struct quality_ctx *c, store_rc rc)
{
    if (c->err) reply_error(r, c->err, c->field, "%s", c->detail ? c->detail : "");
    else reply_store_failure(r, rc);
}

void quality_rules(req *r) { reply_json(r, 200, quality_rule_registry()); }

static tx_rc quality_put_tx(db *d, void *vctx)
{
    struct quality_ctx *c = vctx;
    tx_rc t = load_project(d, c, ACCESS_OWNER, true);
    if (t != TX_COMMIT) return t;
    TX_CHECK(store_project_set_quality(d, c->p.id, c->quality_json, c->now));
    c->p.quality_json = c->quality_json;
    char *detail = arena_printf(c->r->a, "{\"project_id\":%lld,\"quality\":%s}", (long long)c->p.id, c->quality_json);
    TX_CHECK(store_audit_append(d, c->now, c->r->user.id, "project.quality", c->p.name, detail));
    return TX_COMMIT;
}

/* Replaces the whole settings object; what is left out takes its default. The overlap bound is
 * checked against the project's overlap, read first. */
static tx_rc overlap_tx(db *d, void *vctx) { return load_project(d, vctx, ACCESS_OWNER, false); }

void projects_quality_put(req *r)
{
    json_t *body;
    if (req_json_body(r, &body) != RES_OK) return;
    struct quality_ctx c = {.r = r, .now = clock_now_ms()};
    store_rc rc = store_run(r->db, false, overlap_tx, &c);
    if (c.err || rc != STORE_OK) {
        reply_ctx_error(r, &c, rc);
        return;
    }
    struct quality_config qc;
    struct verr e;
    if (!quality_parse(body, c.p.overlap, "", &qc, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    json_t *qj = quality_to_json(&qc);
    char *text = json_dumps(qj, JSON_COMPACT);
    if (!text) {
        json_decref(qj);
        reply_error(r, ERR_INTERNAL, NULL, "out of memory");
        return;
    }
    c.quality_json = arena_strdup(r->a, text);
    free(text);
    rc = store_run(r->db, true, quality_put_tx, &c);
    if (c.err || rc != STORE_OK) {
        json_decref(qj);
        reply_ctx_error(r, &c, rc);
        return;
    }
    reply_json(r, 200, qj);
}

/* ---- results: each task's consensus, its confidence and every answer ---- */

static tx_rc results_tx(db *d, void *vctx)
{
    struct quality_ctx *c = vctx;
    tx_rc t = load_project(d, c, ACCESS_READ, false);
    if (t != TX_COMMIT) return t;
    if ((c->r->role & ROLE_WORKER) && !(c->r->role & (ROLE_ADMIN | ROLE_REQUESTER | ROLE_REVIEWER))) {
        c->err = ERR_NOT_FOUND;
        c->detail = arena_printf(c->r->a, "no project %lld", (long long)c->r->id);
        return TX_ROLLBACK;
    }
    static const char *const cols[] = {"i:id", "s:external_id", "j:data", "b:gold", "j:gold_answer", "j:result",
                                       "s:method", "p:confidence", "i:version", "b:final", "i:overlap", "i:submitted",
                                       NULL};
    struct sql_arg a[] = {{.i = c->p.id}, {.i = c->after}, {.i = c->limit}, {.i = c->filter}, {.i = c->below_ppm}};
    TX_CHECK(store_rows_json(d, Q_RESULTS_PAGE, a, 5, cols, &c->out));
    size_t n = json_array_size(c->out);
    if (!n) return TX_COMMIT;
    int64_t first = json_integer_value(json_object_get(json_array_get(c->out, 0), "id"));
    int64_t last = json_integer_value(json_object_get(json_array_get(c->out, n - 1), "id"));
    static const char *const acols[] = {"i:task_id", "i:assignment_id", "i:worker_id", "j:answer", "s:review_state",
                                        "p:gold_score", "t:submitted_at", NULL};
    struct sql_arg b[] = {{.i = first}, {.i = last}, {.i = c->p.id}};
    TX_CHECK(store_rows_json(d, Q_RESULT_ANSWERS, b, 3, acols, &c->out2));
    return TX_COMMIT;
}

void projects_results(req *r)
{
    struct quality_ctx c = {.r = r};
    if (req_page(r, &c.after, &c.limit, 100, 500) != RES_OK) return;
    const char *filter = req_query(r, "filter");
    static const char *const filters[] = {"all", "low_confidence", "gold", "disagreement"};
    c.filter = -1;
    for (int i = 0; i < 4; i++)
        if (!filter || !strcmp(filter, filters[i])) {
            c.filter = filter ? i : 0;
            break;
        }
    if (c.filter < 0) {
        reply_error(r, ERR_BAD_QUERY, "filter", "filter must be all, low_confidence, gold or disagreement");
        return;
    }
    const char *below = req_query(r, "below");
    double b = 0.7;
    if (below) {
        char *end;
        b = strtod(below, &end);
        if (!*below || *end || !(b >= 0 && b <= 1)) {
            reply_error(r, ERR_BAD_QUERY, "below", "below must be a number from 0 to 1");
            return;
        }
    }
    c.below_ppm = (int64_t)(b * 1e6 + 0.5);
    store_rc rc = store_run(r->db, false, results_tx, &c);
    if (c.err || rc != STORE_OK) {
        reply_ctx_error(r, &c, rc);
        return;
    }
    /* answers arrive ordered by task: hand each task its own */
    size_t i, k = 0;
    json_t *task;
    json_array_foreach(c.out, i, task) {
        json_t *answers = json_array();
        json_int_t id = json_integer_value(json_object_get(task, "id"));
        while (k < json_array_size(c.out2) &&
               json_integer_value(json_object_get(json_array_get(c.out2, k), "task_id")) <= id) {
            json_t *ans = json_array_get(c.out2, k++);
            if (json_integer_value(json_object_get(ans, "task_id")) == id) {
                json_object_del(ans, "task_id");
                json_array_append(answers, ans);
            }
        }
        json_object_set_new(task, "answers", answers);
    }
    json_decref(c.out2);
    json_t *last = json_array_get(c.out, json_array_size(c.out) - 1);
    reply_json(r, 200, json_pack("{s:o, s:o}", "items", c.out, "next_after",
                                 json_array_size(c.out) == (size_t)c.limit ? json_incref(json_object_get(last, "id"))
                                                                           : json_null()));
}

/* ---- the worker quality table of a project ---- */

static tx_rc workers_tx(db *d, void *vctx)
{
    struct quality_ctx *c = vctx;
    tx_rc t = load_project(d, c, (c->r->role & ROLE_ADMIN) ? ACCESS_READ : ACCESS_OWNER, false);
    if (t != TX_COMMIT) return t;
    static const char *const cols[] = {"i:worker_id", "s:display_name", "s:country", "i:answers", "i:rejected",
                                       "i:gold_answered", "i:gold_score_ppm_sum", "i:weight_ppm", "i:tier", NULL};
    TX_CHECK(store_rows_json(d, Q_WORKER_QUALITY_LIST, (struct sql_arg[]){{.i = c->p.id}}, 1, cols, &c->out));
    return TX_COMMIT;
}

/* Adds the derived figures a person reads: gold accuracy, the estimated accuracy used in votes. */
static void quality_figures(json_t *row)
{
    json_int_t n = json_integer_value(json_object_get(row, "gold_answered"));
    double sum = (double)json_integer_value(json_object_get(row, "gold_score_ppm_sum")) / 1e6;
    json_object_set_new(row, "gold_accuracy", n ? json_real(sum / (double)n) : json_null());
    json_object_set_new(row, "estimated_accuracy", json_real(consensus_accuracy((long)n, sum)));
    json_object_set_new(row, "weight",
                        json_real((double)json_integer_value(json_object_get(row, "weight_ppm")) / 1e6));
    json_object_del(row, "gold_score_ppm_sum");
    json_object_del(row, "weight_ppm");
}

void projects_workers(req *r)
{
    struct quality_ctx c = {.r = r};
    store_rc rc = store_run(r->db, false, workers_tx, &c);
    if (c.err || rc != STORE_OK) {
        reply_ctx_error(r, &c, rc);
        return;
    }
    size_t i;
    json_t *row;
    json_array_foreach(c.out, i, row) quality_figures(row);
    reply_json(r, 200, json_pack("{s:o}", "items", c.out));
}

/* ---- a worker's own page: gold results with explanations, per-project quality, skills ---- */

struct me_ctx {
    req *r;
    json_t *gold, *projects, *qualifications, *skills, *events, *owed;
};

static tx_rc me_quality_tx(db *d, void *vctx)
{
    struct me_ctx *c = vctx;
    int64_t me = c->r->user.id;
    struct sql_arg a[] = {{.i = me}};
    static const char *const gcols[] = {"i:assignment_id", "i:project_id", "i:task_id", "j:answer", "j:expected",
                                        "s:explanation", "p:score", "t:submitted_at", "i:gold", "s:kind", "j:schema",
                                        "j:quality", NULL};
    static const char *const pcols[] = {"i:project_id", "s:project_name", "i:gold_answered", "i:gold_score_ppm_sum",
                                        "i:weight_ppm", "i:tier", NULL};
    static const char *const qcols[] = {"i:project_id", "s:project_name", "i:attempt", "s:state", "p:score",
                                        "t:started_at", "T:decided_at", NULL};
    static const char *const scols[] = {"s:skill", "i:value", "s:source", "t:updated_at", NULL};
    static const char *const ecols[] = {QUALITY_EVENT_JSON_COLS};
    static const char *const ocols[] = {"i:assignment_id", "i:project_id", "i:seconds_ms", "i:rate_micros_per_hour",
                                        "i:owed_micros", "s:currency", "t:created_at", "s:state", "i:tx_id", NULL};
    TX_CHECK(store_rows_json(d, Q_GOLD_RESULTS_OF_WORKER, a, 1, gcols, &c->gold));
    TX_CHECK(store_rows_json(d, Q_WORKER_QUALITY_OF_WORKER, a, 1, pcols, &c->projects));
    TX_CHECK(store_rows_json(d, Q_QUALIFICATIONS_OF_WORKER, a, 1, qcols, &c->qualifications));
    TX_CHECK(store_rows_json(d, Q_SKILLS_OF, a, 1, scols, &c->skills));
    TX_CHECK(store_rows_json(d, Q_QUALITY_EVENTS_OF_WORKER, a, 1, ecols, &c->events));
    /* FW-8: state paid (tx_id: the ledger transaction), owed (escrow short) or recorded (unpaid project) */
    TX_CHECK(store_rows_json(d, Q_QUALIFICATION_PAY_OF_WORKER, a, 1, ocols, &c->owed));
    return TX_COMMIT;
}

void me_quality(req *r)
{
    struct me_ctx c = {.r = r};
    store_rc rc = store_run(r->db, false, me_quality_tx, &c);
    if (rc != STORE_OK) {
        json_decref(c.gold);
        json_decref(c.projects);
        json_decref(c.qualifications);
        json_decref(c.skills);
        json_decref(c.events);
        json_decref(c.owed);
        reply_store_failure(r, rc);
        return;
    }
    /* Each gold answer says what differed, so a mistake can be learned from. */
    size_t i;
    json_t *g;
    json_array_foreach(c.gold, i, g) {
        enum project_kind kind;
        struct gold_result res;
        json_t *schema = json_object_get(g, "schema");
        double iou = json_number_value(json_object_get(json_object_get(json_object_get(g, "quality"), "aggregation"),
                                                       "iou_threshold")); /* 0 (absent): the default */
        if (kind_parse(json_string_value(json_object_get(g, "kind")), &kind) &&
            gold_score(kind, schema, json_object_get(g, "expected"), json_object_get(g, "answer"),
                       &(struct gold_params){.iou_threshold = iou}, &res))
            json_object_set_new(g, "difference", json_string(res.explanation));
        json_object_set_new(g, "stage", json_string(json_integer_value(json_object_get(g, "gold")) == 2 ? "qualification" : "gold"));
        json_object_del(g, "gold");
        json_object_del(g, "schema");
        json_object_del(g, "quality");
        json_object_del(g, "kind");
        if (!*json_string_value(json_object_get(g, "explanation"))) json_object_set_new(g, "explanation", json_null());
    }
    json_t *p;
    json_array_foreach(c.projects, i, p) quality_figures(p);
    reply_json(r, 200, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "projects", c.projects, "gold", c.gold,
                                 "qualifications", c.qualifications, "skills", c.skills, "rule_events", c.events,
                                 "qualification_pay", c.owed));
}

/* ---- skills, set by an admin (qualification tests set them too) ---- */

static tx_rc skill_tx(db *d, void *vctx)
{
    struct quality_ctx *c = vctx;
    req *r = c->r;
    struct user u;
    db_rc rc = store_user_by_id(d, r->a, r->id, &u);
    TX_CHECK(rc);
    if (rc == DB_DONE || strcmp(u.role, "worker")) {
        c->err = ERR_NOT_FOUND;
        c->detail = arena_printf(r->a, "no worker %lld", (long long)r->id);
        return TX_ROLLBACK;
    }
    TX_CHECK(store_skill_set(d, u.id, c->skill, c->value, "admin", r->user.id, c->now));
    char *detail = arena_printf(r->a, "{\"worker_id\":%lld,\"skill\":\"%s\",\"value\":%lld}", (long long)u.id, c->skill,
                                (long long)c->value);
    TX_CHECK(store_audit_append(d, c->now, r->user.id, "worker.skill", u.email, detail));
    static const char *const cols[] = {"s:skill", "i:value", "s:source", "t:updated_at", NULL};
    TX_CHECK(store_rows_json(d, Q_SKILLS_OF, (struct sql_arg[]){{.i = u.id}}, 1, cols, &c->out));
    return TX_COMMIT;
}

void users_skill_set(req *r)
{
    static const char *const keys[] = {"skill", "value", NULL};
    json_t *body;
    if (req_json_object(r, keys, &body) != RES_OK) return;
    struct quality_ctx c = {.r = r, .now = clock_now_ms()};
    struct verr e;
    if (!json_req_string(body, "skill", 1, 64, &c.skill, &e) ||
        !json_req_int(body, "value", 0, 100, &c.value, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    for (const char *s = c.skill; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.')) {
            reply_error(r, ERR_INVALID_FIELD, "/skill", "/skill must be 1–64 characters of a–z, 0–9, _ - .");
            return;
        }
    store_rc rc = store_run(r->db, true, skill_tx, &c);
    if (c.err || rc != STORE_OK) {
        reply_ctx_error(r, &c, rc);
        return;
    }
    reply_json(r, 200, json_pack("{s:I, s:o}", "worker_id", (json_int_t)r->id, "skills", c.out));
}

/* ---- what the rules did, and the human decisions on it (FW-19) ---- */

static tx_rc events_tx(db *d, void *vctx)
{
    struct quality_ctx *c = vctx;
    tx_rc t = load_project(d, c, (c->r->role & ROLE_ADMIN) ? ACCESS_READ : ACCESS_OWNER, false);
    if (t != TX_COMMIT) return t;
    static const char *const cols[] = {QUALITY_EVENT_JSON_COLS};
    struct sql_arg a[] = {{.i = c->p.id}, {.i = c->after}, {.i = c->limit}};
    TX_CHECK(store_rows_json(d, Q_QUALITY_EVENTS_OF_PROJECT, a, 3, cols, &c->out));
    return TX_COMMIT;
}

void projects_quality_events(req *r)
{
    struct quality_ctx c = {.r = r};
    if (req_page(r, &c.after, &c.limit, 100, 500) != RES_OK) return;
    store_rc rc = store_run(r->db, false, events_tx, &c);
    if (c.err || rc != STORE_OK) {
        reply_ctx_error(r, &c, rc);
        return;
    }
    reply_json(r, 200, json_pack("{s:o}", "items", c.out));
}

struct decide_ctx {
    req *r;
    int64_t now;
    const char *decision, *note, *step;
    struct project p;
    json_t *event;
    err_id err;
    const char *field, *detail;
};

static tx_rc decide_event_tx(db *d, void *vctx)
{
    struct decide_ctx *c = vctx;
    req *r = c->r;
    static const char *const cols[] = {QUALITY_EVENT_JSON_COLS};
    json_t *rows;
    json_decref(c->event); /* a retried transaction starts over */
    c->event = NULL;
    TX_CHECK(store_rows_json(d, Q_QUALITY_EVENT_GET, (struct sql_arg[]){{.i = r->id}}, 1, cols, &rows));
    json_t *ev = json_array_get(rows, 0);
    db_rc rc = DB_DONE;
    if (ev) {
        rc = project_load(d, r->a, &r->user, r->role, json_integer_value(json_object_get(ev, "project_id")),
                          (r->role & ROLE_ADMIN) ? ACCESS_READ : ACCESS_OWNER, false, &c->p);
        if (rc != DB_ROW && rc != DB_DONE) json_decref(rows);
        TX_CHECK(rc);
    }
    if (rc != DB_ROW) {
        json_decref(rows);
        c->err = ERR_NOT_FOUND;
        c->detail = arena_printf(r->a, "no quality event %lld", (long long)r->id);
        return TX_ROLLBACK;
    }
    c->event = json_incref(ev);
    json_decref(rows);
    int64_t worker = json_integer_value(json_object_get(c->event, "worker_id"));
    const char *action = arena_strdup(r->a, json_string_value(json_object_get(c->event, "action")));
    const char *rule_id = arena_strdup(r->a, json_string_value(json_object_get(c->event, "rule_id")));
    json_t *detail = json_object_get(c->event, "detail");
    bool approve = !strcmp(c->decision, "approve");
    bool requal = !strcmp(action, "require_requalification");
    /* a risk score's lower tier is only proposed (in_effect false): a human approving it puts it in effect */
    bool tier_proposal = !strcmp(action, "lower_tier") && json_is_false(json_object_get(detail, "in_effect"));
    bool email = c->step && !strcmp(c->step, "email");
    if (c->step && (!requal || !approve)) {
        c->err = ERR_INVALID_FIELD;
        c->field = "/step";
        c->detail = "/step is chosen only when approving a proposed step-up (action require_requalification)";
        return TX_ROLLBACK;
    }
    if (email && strcmp(rule_id, "risk_score")) {
        c->err = ERR_INVALID_FIELD;
        c->field = "/step";
        c->detail = "email re-verification is a step-up of the account's risk score (rule_id risk_score) only";
        return TX_ROLLBACK;
    }
    if (email && !(r->role & ROLE_ADMIN)) { /* it holds back the account's work in every project */
        c->err = ERR_ROLE_FORBIDDEN;
        c->field = "/step";
        c->detail = "only an admin may ask a worker to confirm their email address";
        return TX_ROLLBACK;
    }
    struct sql_arg u[] = {{.i = r->id}, {.text = approve ? "approved" : "dismissed"}, {.i = r->user.id}, {.i = c->now},
                          {.text = c->note, .null = !c->note}};
    int64_t changed = 0;
    TX_CHECK(store_exec_args(d, Q_QUALITY_EVENT_DECIDE, u, 5, &changed));
    if (changed != 1) {
        c->err = ERR_REVIEW_DECIDED;
        c->detail = arena_printf(r->a, "quality event %lld was already decided", (long long)r->id);
        return TX_ROLLBACK;
    }
    if (approve && requal && email) {
        TX_CHECK(email_reverify_start(d, r, worker, r->id, r->user.id, c->now));
    } else if (approve && requal) {
        TX_CHECK(decision_apply_requalification(d, r->a, &c->p, worker, r->id, rule_id, detail, r->user.id, c->now));
    } else if (approve && tier_proposal) {
        TX_CHECK(decision_apply_review_tier(d, r->a, &c->p, worker, r->id, detail, r->user.id, c->now));
    } else if (!approve && !tier_proposal && (!strcmp(action, "lower_weight") || !strcmp(action, "lower_tier"))) {
        int64_t wq[4] = {0, 0, 1000000, 0};
        rc = store_row_i64(d, Q_WORKER_QUALITY_GET, (struct sql_arg[]){{.i = c->p.id}, {.i = worker}}, 2, wq, 4);
        TX_CHECK(rc);
        int64_t weight = !strcmp(action, "lower_weight") ? (wq[2] * 2 > 1000000 ? 1000000 : wq[2] * 2) : wq[2];
        int64_t tier = !strcmp(action, "lower_tier") ? 0 : wq[3];
        struct sql_arg s[] = {{.i = c->p.id}, {.i = worker}, {.i = weight}, {.i = tier}, {.i = c->now}};
        TX_CHECK(store_exec_args(d, Q_WORKER_QUALITY_SET, s, 5, NULL));
    }
    const char *step = requal && approve ? (email ? "email" : "requalification") : NULL;
    char *audit = arena_printf(r->a, "{\"event_id\":%lld,\"project_id\":%lld,\"worker_id\":%lld,\"action\":\"%s\","
                                     "\"decision\":\"%s\"%s%s%s}",
                               (long long)r->id, (long long)c->p.id, (long long)worker, action, c->decision,
                               step ? ",\"step\":\"" : "", step ? step : "", step ? "\"" : "");
    TX_CHECK(store_audit_append(d, c->now, r->user.id, approve ? "quality.approve" : "quality.dismiss", c->p.name,
                                audit));
    json_object_set_new(c->event, "state", json_string(approve ? "approved" : "dismissed"));
    json_object_set_new(c->event, "resolved_by", json_integer((json_int_t)r->user.id));
    json_object_set_new(c->event, "resolved_at", json_time(c->now));
    json_object_set_new(c->event, "resolution_note", c->note ? json_string(c->note) : json_null());
    if (step) json_object_set_new(c->event, "step", json_string(step));
    return TX_COMMIT;
}

/* {decision: approve | dismiss, note?, step?: requalification | email}: approving a proposed step-up starts a
 * re-qualification (recorded as a qualification_removal decision when it takes a passed test away) or, for the
 * risk score and by an admin, an email re-verification; approving a risk score's lower-tier proposal puts it in
 * effect as a review_tier decision; dismissing undoes a lowered weight or a lower tier a project rule set. The
 * deciding human is recorded in the audit log and in any decision (FW-18, FW-19). */
void quality_events_decide(req *r)
{
    static const char *const keys[] = {"decision", "note", "step", NULL};
    json_t *body;
    if (req_json_object(r, keys, &body) != RES_OK) return;
    struct decide_ctx c = {.r = r, .now = clock_now_ms()};
    struct verr e;
    if (!json_req_string(body, "decision", 1, 16, &c.decision, &e) ||
        !json_opt_string(body, "note", 2000, NULL, &c.note, &e) ||
        !json_opt_string(body, "step", 32, NULL, &c.step, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    if (strcmp(c.decision, "approve") && strcmp(c.decision, "dismiss")) {
        reply_error(r, ERR_INVALID_FIELD, "/decision", "/decision must be approve or dismiss");
        return;
    }
    if (c.step && strcmp(c.step, "requalification") && strcmp(c.step, "email")) {
        reply_error(r, ERR_INVALID_FIELD, "/step", "/step must be requalification or email");
        return;
    }
    store_rc rc = store_run(r->db, true, decide_event_tx, &c);
    if (c.err || rc != STORE_OK) {
        json_decref(c.event);
        if (c.err) reply_error(r, c.err, c.field, "%s", c.detail);
        else reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, c.event);
}

/* {worker_id}: the worker may take the project's qualification test again (a new attempt, paid again). */
static tx_rc retake_tx(db *d, void *vctx)
{
    struct quality_ctx *c = vctx;
    tx_rc t = load_project(d, c, (c->r->role & ROLE_ADMIN) ? ACCESS_READ : ACCESS_OWNER, false);
    if (t != TX_COMMIT) return t;
    struct qualification q;
    db_rc rc = store_qualification_get(d, c->r->a, c->p.id, c->user_id, &q);
    TX_CHECK(rc);
    if (rc == DB_DONE) {
        c->err = ERR_INVALID_FIELD;
        c->field = "/worker_id";
        c->detail = "this worker has not taken the project's qualification test";
        return TX_ROLLBACK;
    }
    c->value = q.attempt + 1;
    TX_CHECK(store_qualification_start(d, c->p.id, c->user_id, c->value, c->now));
    char *detail = arena_printf(c->r->a, "{\"project_id\":%lld,\"worker_id\":%lld,\"attempt\":%lld,\"previous\":\"%s\"}",
                                (long long)c->p.id, (long long)c->user_id, (long long)c->value, q.state);
    TX_CHECK(store_audit_append(d, c->now, c->r->user.id, "qualification.retake", c->p.name, detail));
    return TX_COMMIT;
}

void projects_qualification_retake(req *r)
{
    static const char *const keys[] = {"worker_id", NULL};
    json_t *body;
    if (req_json_object(r, keys, &body) != RES_OK) return;
    struct quality_ctx c = {.r = r, .now = clock_now_ms()};
    struct verr e;
    if (!json_req_int(body, "worker_id", 1, INT64_MAX, &c.user_id, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    store_rc rc = store_run(r->db, true, retake_tx, &c);
    if (c.err || rc != STORE_OK) {
        reply_ctx_error(r, &c, rc);
        return;
    }
    reply_json(r, 200, json_pack("{s:I, s:I, s:I, s:s}", "project_id", (json_int_t)c.p.id, "worker_id",
                                 (json_int_t)c.user_id, "attempt", (json_int_t)c.value, "state", "in_progress"));
}
