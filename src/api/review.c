/* Review: the queue of sampled answers, decisions (accept, reject with a published reason and a
 * note (FW-3), fix as a new version), an answer's history, and a worker's own decisions. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/decisions.h"
#include "api/holds.h"
#include "api/project_access.h"
#include "api/pay_flow.h"
#include "api/quality_flow.h"
#include "core/schema.h"
#include "core/validate.h"
#include "http/reply.h"
#include "util/clock.h"

struct review_ctx {
    req *r;
    int64_t now, assignment_id, review_id;
    struct project p;
    struct assignment as;
    err_id err;
    const char *field, *detail;
    /* decision */
    const char *decision, *reason_code, *note;
    json_t *fixed;
    char *fixed_json;
    json_t *out;
    /* FW-4: a rejection over the bound is held (hold_id set) */
    struct hold_check hold;
    int64_t hold_id;
    json_t *holds; /* the worker's holds, for their own decisions */
};

/* The project's owner, an admin, or a reviewer assigned to it. */
static tx_rc load_reviewable_project(db *d, struct review_ctx *c, int64_t project_id)
{
    req *r = c->r;
    db_rc rc = project_load(d, r->a, &r->user, r->role & ~ROLE_WORKER, project_id, ACCESS_READ, false, &c->p);
    TX_CHECK(rc);
    if (rc != DB_ROW) {
        c->err = ERR_NOT_FOUND;
        c->detail = arena_printf(r->a, "no project %lld", (long long)project_id);
        return TX_ROLLBACK;
    }
    return TX_COMMIT;
}

static void reply_ctx_error(req *r, const struct review_ctx *c, store_rc rc)
{
    if (c->err) reply_error(r, c->err, c->field, "%s", c->detail ? c->detail : "");
    else reply_store_failure(r, rc);
}

static json_t *reasons_json(const struct quality_config *cfg)
{
    json_t *a = json_array();
    for (int i = 0; i < cfg->n_reasons; i++)
        json_array_append_new(a, json_pack("{s:s, s:s}", "code", cfg->reason_codes[i], "title", cfg->reason_titles[i]));
    return a;
}

static tx_rc next_tx(db *d, void *vctx)
{
    struct review_ctx *c = vctx;
    req *r = c->r;
    tx_rc t = load_reviewable_project(d, c, r->id);
    if (t != TX_COMMIT) return t;
    int64_t id[1];
    db_rc rc = store_row_i64(d, Q_REVIEW_NEXT, (struct sql_arg[]){{.i = c->p.id}, {.i = r->user.id}}, 2, id, 1);
    TX_CHECK(rc);
    if (rc == DB_DONE) return TX_COMMIT;
    rc = store_assignment_get(d, r->a, id[0], &c->as);
    TX_CHECK(rc);
    if (rc == DB_DONE) return TX_FAIL;
    c->assignment_id = id[0];
    json_t *task;
    static const char *const cols[] = {"i:id", "s:external_id", "j:data", "-:gold", "-:gold_answer", "j:result",
                                       "s:result_method", "p:result_confidence", "i:result_version", "b:result_final",
                                       "i:overlap", "i:submitted", NULL};
    /* RESULTS_PAGE filter 0 from task_id - 1 with limit 1 reads exactly this task */
    struct sql_arg a[] = {{.i = c->p.id}, {.i = c->as.task_id - 1}, {.i = 1}, {.i = 0}, {.i = 0}};
    TX_CHECK(store_rows_json(d, Q_RESULTS_PAGE, a, 5, cols, &task));
    c->out = json_array_size(task) ? json_incref(json_array_get(task, 0)) : json_object();
    json_decref(task);
    return TX_COMMIT;
}

void review_next(req *r)
{
    struct review_ctx c = {.r = r};
    store_rc rc = store_run(r->db, false, next_tx, &c);
    if (c.err || rc != STORE_OK) {
        reply_ctx_error(r, &c, rc);
        return;
    }
    if (!c.assignment_id) {
        reply_empty(r, 204);
        return;
    }
    json_t *holder;
    struct quality_config cfg;
    quality_load(&c.p, &holder, &cfg);
    json_t *answer = json_loads(c.as.answer_json, 0, NULL);
    json_t *schema = json_loads(c.p.schema_json, 0, NULL);
    reply_json(r, 200,
               json_pack("{s:I, s:I, s:o, s:o, s:I, s:o, s:{s:I, s:s, s:s, s:o}, s:o}", "assignment_id",
                         (json_int_t)c.as.id, "worker_id", (json_int_t)c.as.worker_id, "answer",
                         answer ? answer : json_null(), "submitted_at", json_time(c.as.submitted_at), "answer_version",
                         (json_int_t)c.as.answer_version, "task", c.out, "project", "id", (json_int_t)c.p.id, "kind",
                         c.p.kind, "name", c.p.name, "schema", schema ? schema : json_object(), "reject_reasons",
                         reasons_json(&cfg)));
    json_decref(holder);
}

static tx_rc decide(db *d, struct review_ctx *c, const struct quality_config *cfg);

static tx_rc decide_tx(db *d, void *vctx)
{
    struct review_ctx *c = vctx;
    req *r = c->r;
    db_rc rc = store_assignment_get(d, r->a, r->id, &c->as);
    TX_CHECK(rc);
    if (rc == DB_DONE) {
        c->err = ERR_NOT_FOUND;
        c->detail = arena_printf(r->a, "no assignment %lld", (long long)r->id);
        return TX_ROLLBACK;
    }
    tx_rc t = load_reviewable_project(d, c, c->as.project_id);
    if (t != TX_COMMIT) {
        if (c->err == ERR_NOT_FOUND) c->detail = arena_printf(r->a, "no assignment %lld", (long long)r->id);
        return t;
    }
    if (strcmp(c->as.state, "submitted") || c->as.gold) {
        c->err = ERR_NOT_REVIEWABLE;
        c->detail = c->as.gold ? "gold answers are scored automatically against the expected answer"
                               : arena_printf(r->a, "assignment %lld is %s, not submitted", (long long)r->id, c->as.state);
        return TX_ROLLBACK;
    }
    if (c->as.worker_id == r->user.id) {
        c->err = ERR_NOT_REVIEWABLE;
        c->detail = "nobody reviews their own answer";
        return TX_ROLLBACK;
    }
    json_t *holder;
    struct quality_config cfg;
    quality_load(&c->p, &holder, &cfg);
    t = decide(d, c, &cfg);
    json_decref(holder);
    return t;
}

/* The decision itself, once the assignment and project are known to be reviewable by the caller. */
static tx_rc decide(db *d, struct review_ctx *c, const struct quality_config *cfg)
{
    req *r = c->r;
    db_rc rc;
    if (c->reason_code && !quality_reason_known(cfg, c->reason_code)) {
        c->err = ERR_INVALID_FIELD;
        c->field = "/reason_code";
        c->detail = arena_printf(r->a, "/reason_code \"%s\" is not in this project's published list "
                                       "(GET /api/v1/projects/%lld shows quality.reject_reasons)",
                                 c->reason_code, (long long)c->p.id);
        return TX_ROLLBACK;
    }
    if (c->fixed) {
        enum project_kind kind;
        json_t *schema = json_loads(c->p.schema_json, 0, NULL), *data = json_loads(c->as.data_json, 0, NULL);
        struct verr e;
        bool valid = kind_parse(c->p.kind, &kind) && answer_check(kind, schema, data, c->fixed, "/answer", &e);
        json_decref(schema);
        json_decref(data);
        if (!valid) {
            c->err = ERR_INVALID_FIELD;
            c->field = arena_strdup(r->a, e.field);
            c->detail = arena_strdup(r->a, e.detail);
            return TX_ROLLBACK;
        }
    }
    const char *state = !strcmp(c->decision, "accept") ? "accepted" : !strcmp(c->decision, "reject") ? "rejected" : "fixed";
    c->hold_id = 0; /* a retried transaction judges again */
    /* FW-4 bounds the project's requester and its reviewers; an admin's rejection is itself the human review. */
    if (!strcmp(state, "rejected") && !(r->role & ROLE_ADMIN)) {
        TX_CHECK(hold_check_rejection(d, &c->p, &c->as, c->now, &c->hold));
        if (c->hold.share || c->hold.daily) state = "held";
    }
    struct review_decision dec = {.assignment_id = c->as.id, .project_id = c->p.id, .reviewer_id = r->user.id,
                                  .new_version = c->as.answer_version + (c->fixed ? 1 : 0), .decision = c->decision,
                                  .state = state, .reason_code = c->reason_code, .note = c->note,
                                  .fixed_answer_json = c->fixed_json};
    rc = store_review_decide(d, &dec, c->now, &c->review_id);
    if (rc == DB_DONE) {
        c->err = ERR_REVIEW_DECIDED;
        c->detail = arena_printf(r->a, "assignment %lld was already reviewed", (long long)r->id);
        return TX_ROLLBACK;
    }
    TX_CHECK(rc);
    c->as.answer_version = dec.new_version;
    c->as.review_state = state;
    if (!strcmp(state, "held")) {
        /* Nothing of the rejection applies yet: the answer still counts and its reward stays pending. */
        TX_CHECK(hold_record(d, r->a, &c->p, &c->as, r->user.id, c->review_id, c->reason_code, &c->hold, c->now,
                             &c->hold_id));
    } else {
        /* The task wants another answer in place of the rejected one (FW-3: rejected work is not delivered). */
        if (!strcmp(state, "rejected")) {
            TX_CHECK(review_apply_rejection(d, &c->p, &c->as));
            /* FW-18: the written statement, appealable */
            TX_CHECK(decision_record_rejection(d, r->a, &c->p, &c->as, r->user.id, c->reason_code, c->note, c->now));
        }
        TX_CHECK(quality_task_result(d, r->a, &c->p, cfg, c->as.task_id, c->now));
        struct pay_config pay = {r->cfg->fee_bps, r->cfg->worker_fee_bps};
        TX_CHECK(pay_on_decision(d, &pay, &c->p, &c->as, strcmp(state, "rejected") != 0, r->user.id, c->now));
    }
    char *detail = arena_printf(r->a, "{\"assignment_id\":%lld,\"worker_id\":%lld,\"decision\":\"%s\",\"reason_code\":%s%s%s,"
                                      "\"answer_version\":%lld}",
                                (long long)c->as.id, (long long)c->as.worker_id, c->decision,
                                c->reason_code ? "\"" : "", c->reason_code ? c->reason_code : "null",
                                c->reason_code ? "\"" : "", (long long)dec.new_version);
    TX_CHECK(store_audit_append(d, c->now, r->user.id, arena_printf(r->a, "review.%s", c->decision), c->p.name, detail));
    return TX_COMMIT;
}

void review_decide(req *r)
{
    json_t *body;
    struct review_ctx c = {.r = r, .now = clock_now_ms()};
    struct verr e;
    static const char *const keys[] = {"decision", "reason_code", "note", "answer", NULL};
    if (req_json_object(r, keys, &body) != RES_OK) return;
    if (!json_req_string(body, "decision", 1, 16, &c.decision, &e) ||
        !json_opt_string(body, "reason_code", 64, NULL, &c.reason_code, &e) ||
        !json_opt_string(body, "note", 2000, NULL, &c.note, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    if (strcmp(c.decision, "accept") && strcmp(c.decision, "reject") && strcmp(c.decision, "fix")) {
        reply_error(r, ERR_INVALID_FIELD, "/decision", "/decision must be accept, reject or fix");
        return;
    }
    bool reject = !strcmp(c.decision, "reject");
    if (reject && !c.reason_code) {
        reply_error(r, ERR_INVALID_FIELD, "/reason_code",
                    "a rejection needs /reason_code from the project's published list (FW-3)");
        return;
    }
    if (reject && text_blank(c.note)) {
        reply_error(r, ERR_INVALID_FIELD, "/note", "a rejection needs a /note telling the worker what was wrong (FW-3)");
        return;
    }
    if (!reject && c.reason_code) {
        reply_error(r, ERR_INVALID_FIELD, "/reason_code", "/reason_code belongs to a rejection only");
        return;
    }
    json_t *answer = json_object_get(body, "answer");
    if (!strcmp(c.decision, "fix")) {
        if (!json_is_object(answer)) {
            reply_error(r, ERR_INVALID_FIELD, "/answer", "a fix needs /answer: the corrected answer (an object)");
            return;
        }
        c.fixed = answer;
        char *fj = json_dumps(answer, JSON_COMPACT);
        if (!fj) {
            reply_error(r, ERR_INTERNAL, NULL, "out of memory");
            return;
        }
        c.fixed_json = arena_strdup(r->a, fj);
        free(fj);
    } else if (answer) {
        reply_error(r, ERR_INVALID_FIELD, "/answer", "/answer belongs to a fix only");
        return;
    }
    store_rc rc = store_run(r->db, true, decide_tx, &c);
    if (c.err || rc != STORE_OK) {
        reply_ctx_error(r, &c, rc);
        return;
    }
    /* a held rejection says why, with the counts it was judged on (FW-4) */
    json_t *hold = c.hold_id ? json_pack("{s:I, s:s, s:I, s:I, s:I, s:b, s:b}", "id", (json_int_t)c.hold_id, "state", "open",
                                         "rejections", (json_int_t)c.hold.rejections, "submissions",
                                         (json_int_t)c.hold.submissions, "rejections_today",
                                         (json_int_t)c.hold.rejections_today, "over_share", c.hold.share, "over_daily",
                                         c.hold.daily)
                             : json_null();
    reply_json(r, 200, json_pack("{s:I, s:I, s:s, s:s, s:o, s:o, s:I, s:I, s:o}", "review_id", (json_int_t)c.review_id,
                                 "assignment_id", (json_int_t)c.as.id, "decision", c.decision, "review_state",
                                 c.as.review_state, "reason_code", c.reason_code ? json_string(c.reason_code) : json_null(),
                                 "note", c.note ? json_string(c.note) : json_null(), "answer_version",
                                 (json_int_t)c.as.answer_version, "reviewer_id", (json_int_t)r->user.id, "hold", hold));
}

/* Every version of an answer and every review of it: for its worker, the project's owner, its
 * reviewers and admins. */
static tx_rc history_tx(db *d, void *vctx)
{
    struct review_ctx *c = vctx;
    req *r = c->r;
    db_rc rc = store_assignment_get(d, r->a, r->id, &c->as);
    TX_CHECK(rc);
    bool may = rc == DB_ROW && c->as.worker_id == r->user.id && (r->role & ROLE_WORKER);
    if (rc == DB_ROW && !may) {
        tx_rc t = load_reviewable_project(d, c, c->as.project_id);
        if (t == TX_COMMIT) may = true;
        else if (c->err != ERR_NOT_FOUND) return t;
    }
    if (!may || strcmp(c->as.state, "submitted")) {
        c->err = ERR_NOT_FOUND;
        c->detail = arena_printf(r->a, "no submitted assignment %lld", (long long)r->id);
        return TX_ROLLBACK;
    }
    c->err = 0;
    json_t *versions, *reviews;
    static const char *const vcols[] = {"i:version", "j:answer", "i:author_id", "s:author_name", "s:source",
                                        "t:created_at", NULL};
    static const char *const rcols[] = {"i:id", "s:decision", "s:reason_code", "s:note", "i:reviewer_id",
                                        "s:reviewer_name", "i:answer_version", "t:created_at", NULL};
    TX_CHECK(store_rows_json(d, Q_ANSWER_VERSIONS_OF, (struct sql_arg[]){{.i = c->as.id}}, 1, vcols, &versions));
    rc = store_rows_json(d, Q_REVIEWS_OF_ASSIGNMENT, (struct sql_arg[]){{.i = c->as.id}}, 1, rcols, &reviews);
    if (rc != DB_OK) json_decref(versions);
    TX_CHECK(rc);
    /* Version 1 is the worker's own answer as submitted. */
    json_t *original = json_loads(c->as.original_answer_json, 0, NULL);
    json_array_insert_new(versions, 0,
                          json_pack("{s:i, s:o, s:I, s:s, s:o}", "version", 1, "answer", original ? original : json_null(),
                                    "author_id", (json_int_t)c->as.worker_id, "source", "worker", "created_at",
                                    json_time(c->as.submitted_at)));
    int64_t active_ms = 0; /* measured at submit (FW-6): what the requester's pay is judged on */
    rc = store_row_i64(d, Q_ASSIGNMENT_ACTIVE_OF, (struct sql_arg[]){{.i = c->as.id}}, 1, &active_ms, 1);
    if (rc != DB_ROW) {
        json_decref(versions);
        json_decref(reviews);
        return rc == DB_DONE ? TX_FAIL : tx_from_db(rc);
    }
    c->out = json_pack("{s:I, s:I, s:I, s:s, s:I, s:I, s:o, s:o}", "assignment_id", (json_int_t)c->as.id, "task_id",
                       (json_int_t)c->as.task_id, "worker_id", (json_int_t)c->as.worker_id, "review_state",
                       c->as.review_state, "answer_version", (json_int_t)c->as.answer_version, "active_ms",
                       (json_int_t)active_ms, "versions", versions, "reviews", reviews);
    return TX_COMMIT;
}

void assignments_history(req *r)
{
    struct review_ctx c = {.r = r};
    store_rc rc = store_run(r->db, false, history_tx, &c);
    if (c.err || rc != STORE_OK) {
        reply_ctx_error(r, &c, rc);
        return;
    }
    reply_json(r, 200, c.out);
}

/* The decisions on the caller's own answers, newest first, with the reason and the human who took
 * them. */
static tx_rc my_reviews_tx(db *d, void *vctx)
{
    struct review_ctx *c = vctx;
    req *r = c->r;
    static const char *const cols[] = {"i:id", "i:assignment_id", "i:project_id", "s:project_name", "i:task_id",
                                       "s:decision", "s:reason_code", "s:note", "i:reviewer_id", "s:reviewer_name",
                                       "t:created_at", "j:quality", NULL};
    struct sql_arg a[] = {{.i = r->user.id}, {.i = c->review_id}, {.i = 100}};
    TX_CHECK(store_rows_json(d, Q_REVIEWS_OF_WORKER, a, 3, cols, &c->out));
    static const char *const hcols[] = {"i:assignment_id", "i:id", "s:state", NULL};
    db_rc rc = store_rows_json(d, Q_HOLDS_OF_WORKER, (struct sql_arg[]){{.i = r->user.id}}, 1, hcols, &c->holds);
    if (rc != DB_OK) json_decref(c->out);
    TX_CHECK(rc);
    return TX_COMMIT;
}

/* ?before=ID pages back through older decisions, 100 at a time. */
void me_reviews(req *r)
{
    struct review_ctx c = {.r = r, .review_id = INT64_MAX};
    if (req_query_id(r, "before", &c.review_id) != RES_OK) return;
    store_rc rc = store_run(r->db, false, my_reviews_tx, &c);
    if (c.err || rc != STORE_OK) {
        reply_ctx_error(r, &c, rc);
        return;
    }
    /* The reason's published title, from the project's list, beside its code. */
    size_t i;
    json_t *item;
    json_array_foreach(c.out, i, item) {
        const char *code = json_string_value(json_object_get(item, "reason_code"));
        json_t *title = json_null();
        size_t j;
        json_t *reason;
        json_array_foreach(json_object_get(json_object_get(item, "quality"), "reject_reasons"), j, reason)
            if (code && !strcmp(code, json_string_value(json_object_get(reason, "code"))))
                title = json_incref(json_object_get(reason, "title"));
        if (code && !*code) {
            code = NULL; /* the string goes with the member */
            json_object_set_new(item, "reason_code", json_null());
        }
        if (json_is_null(title) && code) {
            /* the defaults are not stored in the project's JSON when it predates them */
            json_t *holder;
            struct quality_config cfg;
            struct project p = {.quality_json = "{}", .overlap = 1};
            quality_load(&p, &holder, &cfg);
            for (int k = 0; k < cfg.n_reasons; k++)
                if (!strcmp(cfg.reason_codes[k], code)) title = json_string(cfg.reason_titles[k]);
            json_decref(holder);
        }
        json_object_set_new(item, "reason_title", title);
        /* FW-4: a held rejection shows as held for human review until an admin decides it */
        json_t *hold = json_null();
        size_t k;
        json_t *h;
        json_array_foreach(c.holds, k, h)
            if (json_integer_value(json_object_get(h, "assignment_id")) ==
                    json_integer_value(json_object_get(item, "assignment_id")) &&
                !strcmp(json_string_value(json_object_get(item, "decision")), "reject"))
                hold = json_pack("{s:O, s:O, s:s}", "id", json_object_get(h, "id"), "state",
                                 json_object_get(h, "state"), "status",
                                 !strcmp(json_string_value(json_object_get(h, "state")), "open")
                                     ? "held for human review"
                                 : !strcmp(json_string_value(json_object_get(h, "state")), "upheld")
                                     ? "upheld by an admin"
                                     : "overturned by an admin");
        json_object_set_new(item, "hold", hold);
        if (!*json_string_value(json_object_get(item, "note"))) json_object_set_new(item, "note", json_null());
        json_object_del(item, "quality");
    }
    json_decref(c.holds);
    reply_json(r, 200, json_pack("{s:o}", "items", c.out));
}
