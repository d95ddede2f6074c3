/* Claim, submit and release: the fenced lease cycle of a worker on one task. */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/decisions.h"
#include "api/project_access.h"
#include "api/pay_flow.h"
#include "api/quality_flow.h"
#include "api/regions.h"
#include "api/wage_tables.h"
#include "core/active_time.h"
#include "core/schema.h"
#include "core/validate.h"
#include "http/reply.h"
#include "store/group_commit.h"
#include "store/project_cache.h"
#include "util/clock.h"
#include "util/env.h"
#include "util/log.h"
#include "util/tokens.h"

#include <sodium.h>

struct lease_ctx {
    req *r;
    int64_t now;
    err_id err;
    struct verr verr;
    /* claim */
    struct project p;
    const char *lease_hash;
    bool claimed;
    struct claim c;
    const char *stage, *err_field, *err_detail; /* stage: "work" or "qualification" */
    struct wage_claim wage;                     /* FW-5: the caller's floor against the project's pay */
    /* submit / release */
    struct assignment as;
    json_t *answer;
    const char *answer_json, *idem_key;
    bool replay;
    /* heartbeat */
    bool visible, active;
    int64_t credited_ms, active_ms;
    /* claim and submit reply after their group commit, from the request's loop */
    char token[TOKEN_TEXT_MAX], hash[TOKEN_HASH_HEX];
    store_rc rc;
    void (*reply)(struct lease_ctx *c, store_rc rc);
};

static void lease_reply_on_loop(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct lease_ctx *c = arg;
    req *r = c->r;
    if (!req_resume(r)) return; /* the client left; what committed stays committed */
    c->reply(c, c->rc);
    req_pending_end(r);
}

/* On the committer thread once the batch is durable (or the transaction rolled back). */
static void lease_decided(void *ctx, store_rc rc)
{
    struct lease_ctx *c = ctx;
    c->rc = rc;
    static const struct timeval now = {0, 0};
    if (event_base_once(c->r->base, -1, EV_TIMEOUT, lease_reply_on_loop, c, &now) != 0)
        log_msg("assignments: cannot hand request %s back to its loop", c->r->id_text);
}

/* Claims and submits share commits with each other (group commit on SQLite); the reply waits for the
 * commit. Where group commit does not apply (PostgreSQL) or its queue is full, store_run runs here. */
static void lease_write(req *r, store_tx_fn fn, struct lease_ctx *c, void (*reply)(struct lease_ctx *, store_rc))
{
    c->reply = reply;
    req_defer(r);
    if (group_commit_submit(r->cfg->db_url, fn, c, lease_decided) == 0) return;
    req_resume(r);
    r->pending = false;
    reply(c, store_run(r->db, true, fn, c));
}

static tx_rc lease(db *d, struct lease_ctx *c, int64_t gold, int64_t attempt)
{
    req *r = c->r;
    db_rc rc = store_lease_claim(d, r->a, c->p.id, r->user.id, c->lease_hash, c->now,
                                 c->now + c->p.lease_seconds * 1000, gold, attempt, &c->c);
    TX_CHECK(rc);
    c->claimed = rc == DB_ROW;
    /* a re-taken qualification task reuses its row: its time starts again (other leases are new rows,
     * LEASE_CANDIDATE*: their time columns start empty) */
    if (c->claimed && gold == 2)
        TX_CHECK(store_exec_args(d, Q_ASSIGNMENT_BEAT_RESET, (struct sql_arg[]){{.i = c->c.assignment_id}}, 1, NULL));
    return TX_COMMIT;
}

/* Required skills, then the qualification test, then gold mixed into the feed, then normal work. */
static tx_rc claim_next(db *d, struct lease_ctx *c, const struct quality_config *cfg)
{
    req *r = c->r;
    for (int i = 0; i < cfg->n_skills; i++) {
        int64_t have;
        TX_CHECK(store_skill_value(d, r->user.id, cfg->skill_names[i], &have));
        if (have < cfg->skill_min[i]) {
            c->err = ERR_SKILL_REQUIRED;
            c->err_field = arena_printf(r->a, "/quality/required_skills/%s", cfg->skill_names[i]);
            c->err_detail = arena_printf(r->a, "this project needs skill \"%s\" at %lld or more; yours is %s",
                                         cfg->skill_names[i], (long long)cfg->skill_min[i],
                                         have < 0 ? "not set" : arena_printf(r->a, "%lld", (long long)have));
            return TX_ROLLBACK;
        }
    }
    c->stage = "work";
    if (cfg->qualification) {
        int64_t tasks[1];
        db_rc rc = store_row_i64(d, Q_QUALIFICATION_TASKS, (struct sql_arg[]){{.i = c->p.id}}, 1, tasks, 1);
        TX_CHECK(rc);
        if (tasks[0] > 0) { /* a test without tasks cannot be taken: it does not block anyone */
            struct qualification q;
            rc = store_qualification_get(d, r->a, c->p.id, r->user.id, &q);
            TX_CHECK(rc);
            if (rc == DB_DONE) {
                TX_CHECK(store_qualification_start(d, c->p.id, r->user.id, 1, c->now));
                q = (struct qualification){.attempt = 1, .state = "in_progress"};
            }
            if (!strcmp(q.state, "failed")) {
                c->err = ERR_QUALIFICATION_FAILED;
                c->err_detail = arena_printf(r->a, "you scored %.0f%% in this project's qualification test; it needs %.0f%%",
                                             (double)q.score_ppm / 1e4, cfg->pass_mark * 100);
                return TX_ROLLBACK;
            }
            if (!strcmp(q.state, "in_progress")) {
                c->stage = "qualification";
                return lease(d, c, 2, q.attempt);
            }
        }
    }
    if (cfg->gold_first > 0 || cfg->gold_percent > 0) {
        int64_t gold, normal;
        TX_CHECK(store_worker_feed_counts(d, r->user.id, c->p.id, &gold, &normal));
        if (quality_serve_gold(cfg, gold, normal, (int)randombytes_uniform(100))) {
            tx_rc t = lease(d, c, 1, 0);
            if (t != TX_COMMIT || c->claimed) return t;
        }
    }
    return lease(d, c, 0, 0);
}

/* The project comes from the cache (its settings as committed now, parsed once); *hot is released by claim_tx. */
static tx_rc claim_checked(db *d, struct lease_ctx *c, const struct project_hot **hot)
{
    req *r = c->r;
    db_rc rc = project_cache_get(d, r->a, r->id, &c->p, hot);
    TX_CHECK(rc);
    if (rc == DB_ROW) {
        rc = project_visible(d, &r->user, r->role, &c->p, ACCESS_READ);
        TX_CHECK(rc);
    }
    if (rc == DB_DONE) {
        c->err = ERR_NOT_FOUND;
        return TX_ROLLBACK;
    }
    if (strcmp(c->p.status, "published")) {
        c->err = ERR_PROJECT_NOT_PUBLISHED;
        return TX_ROLLBACK;
    }
    TX_CHECK(region_claim_check(d, r->a, &r->user, c->now, &c->err, &c->err_detail)); /* FW-15 */
    if (c->err) return TX_ROLLBACK;
    TX_CHECK(decision_claim_check(d, r->user.id, &c->err, &c->err_detail)); /* FW-16, FW-19 */
    if (c->err) return TX_ROLLBACK;
    TX_CHECK(wage_claim_check(d, r, &c->p, &c->wage)); /* FW-5 */
    if (!wage_claim_allowed(&c->wage)) {
        c->err = ERR_BELOW_PAY_FLOOR;
        return TX_ROLLBACK;
    }
    TX_CHECK(store_lease_expire(d, c->p.id, c->now));
    return claim_next(d, c, &(*hot)->quality);
}

static tx_rc claim_tx(db *d, void *vctx)
{
    struct lease_ctx *c = vctx;
    c->err = 0; /* a batch that failed to commit runs its transactions again */
    c->claimed = false;
    const struct project_hot *hot = NULL;
    tx_rc t = claim_checked(d, c, &hot);
    project_cache_release(hot);
    return t;
}

static void claim_reply(struct lease_ctx *c, store_rc rc)
{
    req *r = c->r;
    if (c->err == ERR_NOT_FOUND) {
        reply_error(r, ERR_NOT_FOUND, NULL, "no project %lld", (long long)r->id);
        return;
    }
    if (c->err == ERR_BELOW_PAY_FLOOR) {
        wage_claim_refuse(r, &c->p, &c->wage);
        return;
    }
    if (c->err == ERR_PROJECT_NOT_PUBLISHED) {
        reply_error(r, c->err, NULL, "project %lld is %s; tasks can be claimed only while it is published",
                    (long long)r->id, c->p.status);
        return;
    }
    if (c->err) {
        reply_error(r, c->err, c->err_field, "%s", c->err_detail);
        return;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    if (!c->claimed) {
        reply_empty(r, 204);
        return;
    }
    json_t *data = json_loads(c->c.data_json, 0, NULL);
    json_t *predictions = c->c.predictions_json ? json_loads(c->c.predictions_json, 0, NULL) : NULL;
    json_t *schema = json_loads(c->p.schema_json, 0, NULL);
    json_t *labels = json_incref(json_object_get(schema, "labels"));
    /* A gold task looks like any other (stage "work"); only the qualification test says what it is. */
    reply_json(r, 200,
               json_pack("{s:I, s:s, s:s, s:o, s:{s:I, s:o, s:o, s:o}, s:{s:I, s:s, s:s, s:s, s:o, s:o, s:I, s:s, s:I}}",
                         "assignment_id", (json_int_t)c->c.assignment_id, "lease_token", c->token, "stage", c->stage,
                         "expires_at",
                         json_time(c->c.expires_at), "task", "id", (json_int_t)c->c.task_id, "external_id",
                         c->c.external_id ? json_string(c->c.external_id) : json_null(), "data",
                         data ? data : json_null(), "predictions", predictions ? predictions : json_null(),
                         "project", "id", (json_int_t)c->p.id, "name", c->p.name, "instructions", c->p.instructions,
                         "kind", c->p.kind, "schema", schema ? schema : json_object(), "labels",
                         labels ? labels : json_array(), "reward_micros", (json_int_t)c->p.reward_micros,
                         "currency", c->p.currency, "estimated_seconds", (json_int_t)c->p.estimated_seconds));
}

void assignments_claim(req *r)
{
    struct lease_ctx *c = arena_alloc(r->a, sizeof *c);
    *c = (struct lease_ctx){.r = r, .now = clock_now_ms()};
    token_new("", c->token);
    token_hash(c->token, c->hash);
    c->lease_hash = c->hash;
    lease_write(r, claim_tx, c, claim_reply);
}

/* Loads the assignment; 404 unless it belongs to the caller. */
static tx_rc load_own_assignment(db *d, struct lease_ctx *c)
{
    db_rc rc = store_assignment_get(d, c->r->a, c->r->id, &c->as);
    TX_CHECK(rc);
    if (rc == DB_DONE || c->as.worker_id != c->r->user.id) {
        c->err = ERR_NOT_FOUND;
        return TX_ROLLBACK;
    }
    return TX_COMMIT;
}

/* At submit: the answer's active time from its heartbeats (or claim → submit without any), and the
 * project's count of timed answers, which tells the median job there is something new. */
static db_rc record_active_time(db *d, struct lease_ctx *c)
{
    int64_t st[4]; /* leased_at, expires_at, last beat (-1: none), credited */
    db_rc rc = store_row_i64(d, Q_ASSIGNMENT_BEAT_STATE, (struct sql_arg[]){{.i = c->as.id}}, 1, st, 4);
    if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
    c->active_ms = active_at_submit(st[0], st[1], st[2] >= 0, st[2], st[3], c->now);
    rc = store_exec_args(d, Q_ASSIGNMENT_SET_ACTIVE, (struct sql_arg[]){{.i = c->as.id}, {.i = c->active_ms}}, 2, NULL);
    if (rc != DB_OK || c->as.gold) return rc;
    return store_exec_args(d, Q_PROJECT_ACTIVE_BUMP, (struct sql_arg[]){{.i = c->as.project_id}, {.i = c->now}}, 2, NULL);
}

static tx_rc submit_loaded(db *d, struct lease_ctx *c, bool may_wait_replay);
static tx_rc submit_answer(db *d, struct lease_ctx *c, bool may_wait_replay, const struct project_hot **hot,
                           json_t **data);

static tx_rc submit_tx(db *d, void *vctx)
{
    struct lease_ctx *c = vctx;
    c->err = 0; /* a batch that failed to commit runs its transactions again */
    c->replay = false;
    tx_rc t = load_own_assignment(d, c);
    if (t != TX_COMMIT) return t;
    return submit_loaded(d, c, true);
}

/* The submit of the loaded assignment. may_wait_replay: when the lease update finds the row submitted by a
 * concurrent transaction that committed meanwhile (PostgreSQL, read committed), read it again once so a
 * replay with the same key repeats the first reply instead of failing. */
static tx_rc submit_loaded(db *d, struct lease_ctx *c, bool may_wait_replay)
{
    if (!strcmp(c->as.state, "submitted")) {
        c->replay = c->idem_key && !strcmp(c->idem_key, c->as.idempotency_key);
        /* a replay repeats the first reply, active time included */
        if (c->replay) {
            TX_CHECK(store_row_i64(d, Q_ASSIGNMENT_ACTIVE_OF, (struct sql_arg[]){{.i = c->as.id}}, 1, &c->active_ms, 1));
            return TX_COMMIT;
        }
        c->err = ERR_ASSIGNMENT_ALREADY_SUBMITTED;
        return TX_ROLLBACK;
    }
    const struct project_hot *hot = NULL;
    json_t *data = NULL;
    tx_rc t = submit_answer(d, c, may_wait_replay, &hot, &data);
    json_decref(data);
    project_cache_release(hot);
    return t;
}

/* The submit of a leased assignment, with its project's settings from the cache (*hot) and the task's data
 * parsed once (*data), both released by the caller: they check the answer, then recompute the task's result. */
static tx_rc submit_answer(db *d, struct lease_ctx *c, bool may_wait_replay, const struct project_hot **hot,
                           json_t **data)
{
    db_rc rc = project_cache_get(d, c->r->a, c->as.project_id, &c->p, hot);
    TX_CHECK(rc);
    if (rc == DB_DONE) return TX_FAIL;
    enum project_kind kind;
    *data = json_loads(c->as.data_json, 0, NULL);
    bool valid = kind_parse(c->p.kind, &kind) && answer_check(kind, (*hot)->schema, *data, c->answer, "/answer", &c->verr);
    if (!valid) {
        c->err = ERR_INVALID_FIELD;
        return TX_ROLLBACK;
    }
    rc = store_assignment_submit(d, &c->as, c->lease_hash, c->answer_json, c->idem_key, c->now);
    TX_CHECK(rc);
    if (rc == DB_DONE && may_wait_replay && c->idem_key) {
        tx_rc t = load_own_assignment(d, c);
        if (t != TX_COMMIT) return t;
        if (!strcmp(c->as.state, "submitted")) return submit_loaded(d, c, false);
    }
    if (rc == DB_DONE) {
        c->err = ERR_LEASE_LOST;
        return TX_ROLLBACK;
    }
    c->as.submitted_at = c->now;
    TX_CHECK(record_active_time(d, c));
    const struct quality_config *cfg = &(*hot)->quality;
    rc = c->as.gold ? quality_after_gold_submit(d, c->r->a, &c->p, cfg, (*hot)->schema, &c->as, c->answer, c->now)
                    : quality_after_submit(d, c->r->a, &c->p, cfg, (*hot)->schema, *data, &c->as, c->now);
    TX_CHECK(rc);
    struct pay_config pay = {c->r->cfg->fee_bps, c->r->cfg->worker_fee_bps};
    TX_CHECK(pay_on_submit(d, &pay, &c->p, &c->as, c->now));
    return TX_COMMIT;
}

static void reply_lease_error(req *r, const struct lease_ctx *c)
{
    switch (c->err) {
    case ERR_NOT_FOUND: reply_error(r, ERR_NOT_FOUND, NULL, "no assignment %lld", (long long)r->id); break;
    case ERR_INVALID_FIELD: reply_error(r, ERR_INVALID_FIELD, c->verr.field, "%s", c->verr.detail); break;
    case ERR_ASSIGNMENT_ALREADY_SUBMITTED:
        reply_error(r, c->err, NULL, "assignment %lld was already submitted", (long long)r->id);
        break;
    default:
        reply_error(r, ERR_LEASE_LOST, "/lease_token",
                    "the lease on assignment %lld is no longer yours: it expired, was released, or the token "
                    "is wrong; nothing was saved",
                    (long long)r->id);
    }
}

/* Reads lease_token (required) from a submit or release body; replies 422 itself. */
static bool lease_token_field(req *r, json_t *body, const char *const *keys, char hash[TOKEN_HASH_HEX])
{
    struct verr e;
    const char *token;
    if (!json_is_object(body)) {
        reply_error(r, ERR_INVALID_FIELD, "", "the body must be a JSON object");
        return false;
    }
    if (!json_only_keys(body, keys, "", &e) || !json_req_string(body, "lease_token", 1, TOKEN_TEXT_MAX - 1, &token, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return false;
    }
    token_hash(token, hash);
    return true;
}

static void submit_reply(struct lease_ctx *c, store_rc rc)
{
    req *r = c->r;
    if (c->err) {
        reply_lease_error(r, c);
        return;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    json_t *out = json_pack("{s:I, s:I, s:s, s:o}", "assignment_id", (json_int_t)c->as.id, "task_id",
                            (json_int_t)c->as.task_id, "status", "submitted", "submitted_at", json_time(c->as.submitted_at));
    json_object_set_new(out, "active_ms", json_integer(c->active_ms));
    reply_json(r, 200, out);
}

void assignments_submit(req *r)
{
    json_t *body;
    if (req_json_body(r, &body) != RES_OK) return;
    static const char *const keys[] = {"lease_token", "answer", "idempotency_key", NULL};
    struct lease_ctx *cp = arena_alloc(r->a, sizeof *cp);
    *cp = (struct lease_ctx){.r = r, .now = clock_now_ms()};
    struct lease_ctx c = {0}; /* the fields parsed here, copied into *cp */
    if (!lease_token_field(r, body, keys, cp->hash)) return;
    cp->lease_hash = cp->hash;
    struct verr e;
    if (!json_opt_string(body, "idempotency_key", 200, NULL, &c.idem_key, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    const char *header_key = req_header(r, "Idempotency-Key");
    if (header_key) {
        if (!*header_key || strlen(header_key) > 200) {
            reply_error(r, ERR_INVALID_FIELD, "Idempotency-Key", "the Idempotency-Key header must have 1 to 200 bytes");
            return;
        }
        c.idem_key = header_key;
    }
    c.answer = json_object_get(body, "answer");
    if (!json_is_object(c.answer)) {
        reply_error(r, ERR_INVALID_FIELD, "/answer", "/answer %s", c.answer ? "must be an object" : "is required");
        return;
    }
    c.answer_json = arena_strdup(r->a, "");
    char *aj = json_dumps(c.answer, JSON_COMPACT);
    if (aj) {
        c.answer_json = arena_strdup(r->a, aj);
        free(aj);
    }
    cp->idem_key = c.idem_key;
    cp->answer = c.answer;
    cp->answer_json = c.answer_json;
    lease_write(r, submit_tx, cp, submit_reply);
}

static tx_rc release_tx(db *d, void *vctx)
{
    struct lease_ctx *c = vctx;
    tx_rc t = load_own_assignment(d, c);
    if (t != TX_COMMIT) return t;
    db_rc rc = store_assignment_release(d, &c->as, c->lease_hash, c->now);
    TX_CHECK(rc);
    if (rc == DB_DONE) {
        c->err = ERR_LEASE_LOST;
        return TX_ROLLBACK;
    }
    return TX_COMMIT;
}

void assignments_release(req *r)
{
    json_t *body;
    if (req_json_body(r, &body) != RES_OK) return;
    static const char *const keys[] = {"lease_token", NULL};
    char hash[TOKEN_HASH_HEX];
    if (!lease_token_field(r, body, keys, hash)) return;
    struct lease_ctx c = {.r = r, .now = clock_now_ms(), .lease_hash = hash};
    store_rc rc = store_run(r->db, true, release_tx, &c);
    if (c.err) {
        reply_lease_error(r, &c);
        return;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_empty(r, 204);
}

static tx_rc heartbeat_tx(db *d, void *vctx)
{
    struct lease_ctx *c = vctx;
    tx_rc t = load_own_assignment(d, c);
    if (t != TX_COMMIT) return t;
    int64_t st[4]; /* leased_at, expires_at, last beat (-1: none), credited */
    db_rc rc = store_row_i64(d, Q_ASSIGNMENT_BEAT_STATE, (struct sql_arg[]){{.i = c->as.id}}, 1, st, 4);
    TX_CHECK(rc);
    if (rc == DB_DONE) return TX_FAIL;
    int64_t prev = st[2] >= 0 ? st[2] : st[0];
    c->credited_ms = active_beat_credit(prev, c->now, st[1], c->visible, c->active);
    int64_t beat_at = c->now > prev ? c->now : prev;
    int64_t changes = 0;
    struct sql_arg a[] = {{.i = c->as.id}, {.i = c->r->user.id}, {.text = c->lease_hash}, {.i = c->now},
                          {.i = beat_at}, {.i = c->credited_ms}, {.i = st[2]}};
    TX_CHECK(store_exec_args(d, Q_ASSIGNMENT_BEAT, a, 7, &changes));
    if (changes != 1) {
        /* a beat of the same lease landed in between: read again; else the lease is gone */
        int64_t again[4];
        rc = store_row_i64(d, Q_ASSIGNMENT_BEAT_STATE, (struct sql_arg[]){{.i = c->as.id}}, 1, again, 4);
        TX_CHECK(rc);
        if (rc == DB_ROW && again[2] != st[2] && !strcmp(c->as.state, "leased")) return TX_RETRY;
        c->err = ERR_LEASE_LOST;
        return TX_ROLLBACK;
    }
    c->active_ms = st[3] + c->credited_ms;
    c->as.expires_at = st[1];
    return TX_COMMIT;
}

/* {lease_token, visible, active}: the page says whether it is visible and had input lately; the time since
 * the previous beat counts as active only when both hold (capped, within the lease). */
void assignments_heartbeat(req *r)
{
    json_t *body;
    if (req_json_body(r, &body) != RES_OK) return;
    static const char *const keys[] = {"lease_token", "visible", "active", NULL};
    char hash[TOKEN_HASH_HEX];
    if (!lease_token_field(r, body, keys, hash)) return;
    struct lease_ctx c = {.r = r, .now = clock_now_ms(), .lease_hash = hash};
    static const char *const flags[] = {"visible", "active"};
    for (int i = 0; i < 2; i++) {
        json_t *v = json_object_get(body, flags[i]);
        if (!json_is_boolean(v)) {
            reply_error(r, ERR_INVALID_FIELD, arena_printf(r->a, "/%s", flags[i]), "/%s %s", flags[i],
                        v ? "must be true or false" : "is required");
            return;
        }
        *(i ? &c.active : &c.visible) = json_is_true(v);
    }
    store_rc rc = store_run(r->db, true, heartbeat_tx, &c);
    if (c.err) {
        reply_lease_error(r, &c);
        return;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, json_pack("{s:I, s:I, s:I, s:I, s:o}", "assignment_id", (json_int_t)c.as.id, "credited_ms",
                                 (json_int_t)c.credited_ms, "active_ms", (json_int_t)c.active_ms, "beat_interval_ms",
                                 (json_int_t)ACTIVE_BEAT_INTERVAL_MS, "expires_at", json_time(c.as.expires_at)));
}

void group_commit_report(req *r)
{
    struct group_commit_stats st;
    group_commit_stats_get(&st);
    bool grouped = db_kind_of(r->db) == DB_SQLITE && env_i64("FAIRLABEL_GROUP_COMMIT", 1, 0, 1) == 1;
    reply_json(r, 200,
               json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "mode", grouped ? "sqlite_group_commit" : "store_run",
                         "commits", (json_int_t)st.commits, "transactions", (json_int_t)st.transactions,
                         "rolled_back", (json_int_t)st.rolled_back, "alone", (json_int_t)st.alone, "max_batch",
                         (json_int_t)st.max_batch));
}
