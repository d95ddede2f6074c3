/* Decision records and their written statements (FW-18), and account restrictions that take effect only
 * with a human approver and lapse as emergency holds unless a second human confirms them (FW-16, FW-19). */
#include "api/decisions.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/jobs.h"
#include "api/notice.h"
#include "api/notify.h"
#include "api/quality_flow.h"
#include "core/validate.h"
#include "http/reply.h"
#include "util/clock.h"

db_rc decision_audit(db *d, arena *a, int64_t now, int64_t actor_id, const char *action, const char *target,
                     json_t *detail)
{
    if (!detail) return DB_ERROR;
    char *s = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(detail);
    if (!s) return DB_ERROR;
    char *text = arena_strdup(a, s);
    free(s);
    return store_audit_append(d, now, actor_id, action, target, text);
}

db_rc decision_record(db *d, const struct decision_input *in, int64_t now, int64_t *id)
{
    int64_t did;
    struct sql_arg ins[] = {{.text = due_decision_kind_name(in->kind)},
                            {.i = in->worker_id},
                            {.text = in->rule},
                            {.text = in->evidence},
                            {.text = in->signal, .null = !in->signal},
                            {.i = in->decided_by, .null = in->decided_by <= 0},
                            {.i = in->assignment_id, .null = in->assignment_id <= 0},
                            {.i = in->hold_id, .null = in->hold_id <= 0},
                            {.i = in->restriction_id, .null = in->restriction_id <= 0},
                            {.i = now},
                            {.i = due_appeal_deadline_ms(now)}};
    db_rc rc = store_row_i64(d, Q_DECISION_INSERT, ins, 11, &did, 1);
    if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
    if (id) *id = did;
    if (in->quality_event_id > 0) {
        rc = store_exec_args(d, Q_DECISION_SET_QUALITY_EVENT, (struct sql_arg[]){{.i = did}, {.i = in->quality_event_id}},
                             2, NULL);
        if (rc != DB_OK) return rc;
    }
    char deadline[32];
    clock_iso8601(due_appeal_deadline_ms(now), deadline, sizeof deadline);
    /* in-app and by email, in the worker's language */
    json_t *vars = json_pack("{s:s, s:s, s:s, s:s, s:s}", "decision", due_decision_kind_name(in->kind), "rule", in->rule,
                             "evidence", in->evidence, "appeal_deadline", deadline, "link", "/worker#due-process");
    if (!vars) return DB_ERROR;
    rc = notice_send(d, in->worker_id, "decision", "decision_made", vars, "/worker#due-process", now);
    json_decref(vars);
    return rc;
}

db_rc decision_record_rejection(db *d, arena *a, const struct project *p, const struct assignment *as,
                                int64_t reviewer_id, const char *reason_code, const char *note, int64_t now)
{
    struct decision_input in = {
        .kind = DUE_REJECTION, .worker_id = as->worker_id, .decided_by = reviewer_id, .assignment_id = as->id,
        .rule = arena_printf(a, "reject_reason:%s", reason_code ? reason_code : "-"),
        .evidence = arena_printf(a, "Your answer %lld in \"%s\" was rejected: %s", (long long)as->id, p->name,
                                 note ? note : "")};
    return decision_record(d, &in, now, NULL);
}

db_rc decision_record_hold(db *d, arena *a, const struct project *p, const struct assignment *as, int64_t reviewer_id,
                           int64_t hold_id, const char *rule, const char *evidence, int64_t now)
{
    (void)p;
    struct decision_input in = {.kind = DUE_HOLD, .worker_id = as->worker_id, .decided_by = reviewer_id,
                                .assignment_id = as->id, .hold_id = hold_id,
                                .rule = arena_printf(a, "FW-4:%s", rule), .evidence = evidence};
    return decision_record(d, &in, now, NULL);
}

db_rc decision_record_pay_refusal(db *d, arena *a, const struct project *p, const struct assignment *as,
                                  int64_t admin_id, int64_t hold_id, const char *note, int64_t now)
{
    struct decision_input in = {
        .kind = DUE_PAY_REFUSAL, .worker_id = as->worker_id, .decided_by = admin_id, .assignment_id = as->id,
        .hold_id = hold_id, .rule = "FW-4:hold_upheld",
        .evidence = arena_printf(a, "The held rejection of your answer %lld in \"%s\" was upheld by a person, so its "
                                    "reward is not paid and goes back to the requester's escrow: %s",
                                 (long long)as->id, p->name, note ? note : "")};
    return decision_record(d, &in, now, NULL);
}

db_rc decision_worker_restricted(db *d, int64_t worker_id, bool *restricted)
{
    int64_t id;
    db_rc rc = store_row_i64(d, Q_RESTRICTION_ACTIVE_OF, (struct sql_arg[]){{.i = worker_id}}, 1, &id, 1);
    *restricted = rc == DB_ROW;
    return rc == DB_ROW || rc == DB_DONE ? DB_OK : rc;
}

db_rc decision_claim_check(db *d, int64_t worker_id, err_id *err, const char **detail)
{
    bool restricted;
    db_rc rc = decision_worker_restricted(d, worker_id, &restricted);
    if (rc == DB_OK && restricted) {
        *err = ERR_ACCOUNT_RESTRICTED;
        *detail = "a restriction on your account is in force: GET /api/v1/me/decisions gives the rule, the evidence "
                  "and how to appeal; your earnings, payouts, data export and tickets stay open to you";
        return DB_OK;
    }
    if (rc != DB_OK) return rc;
    int64_t pending[4];
    rc = store_row_i64(d, Q_EMAIL_REVERIFY_PENDING, (struct sql_arg[]){{.i = worker_id}}, 1, pending, 4);
    if (rc == DB_ROW) {
        *err = ERR_EMAIL_REVERIFY_REQUIRED;
        *detail = "confirm your email address first: open the link we emailed you, or ask for a new one with "
                  "POST /api/v1/me/email-verification; your earnings, payouts, tickets, appeals and data export stay "
                  "open to you";
    }
    return rc == DB_ROW || rc == DB_DONE ? DB_OK : rc;
}

db_rc restriction_end(db *d, int64_t restriction_id, const char *state, int64_t now)
{
    int64_t changed = 0;
    db_rc rc = store_exec_args(d, Q_RESTRICTION_END,
                               (struct sql_arg[]){{.i = restriction_id}, {.text = state}, {.i = now}}, 3, &changed);
    if (rc != DB_OK) return rc;
    if (changed != 1) return DB_DONE;
    int64_t did;
    rc = store_row_i64(d, Q_DECISION_OF_RESTRICTION, (struct sql_arg[]){{.i = restriction_id}}, 1, &did, 1);
    if (rc == DB_DONE) return DB_OK;
    if (rc != DB_ROW) return rc;
    return store_exec_args(d, Q_DECISION_SET_STATE,
                           (struct sql_arg[]){{.i = did}, {.text = !strcmp(state, "lifted") ? "overturned" : "lapsed"}},
                           2, NULL);
}

/* ---- decisions that carry out a quality event a human approved (FW-18, FW-19, FW-25) ---- */

static const char *detail_text(json_t *detail, const char *key)
{
    const char *v = json_string_value(json_object_get(detail, key));
    return v ? v : "";
}

db_rc decision_apply_review_tier(db *d, arena *a, const struct project *p, int64_t worker_id, int64_t event_id,
                                 json_t *detail, int64_t approver, int64_t now)
{
    int64_t q[4] = {0, 0, 1000000, 0};
    db_rc rc = store_row_i64(d, Q_WORKER_QUALITY_GET, (struct sql_arg[]){{.i = p->id}, {.i = worker_id}}, 2, q, 4);
    if (rc != DB_ROW && rc != DB_DONE) return rc;
    struct sql_arg set[] = {{.i = p->id}, {.i = worker_id}, {.i = q[2]}, {.i = 1}, {.i = now}};
    if ((rc = store_exec_args(d, Q_WORKER_QUALITY_SET, set, 5, NULL)) != DB_OK) return rc;
    const char *fired = detail_text(detail, "fired");
    json_int_t score = json_integer_value(json_object_get(detail, "score"));
    struct decision_input in = {
        .kind = DUE_REVIEW_TIER, .worker_id = worker_id, .decided_by = approver, .quality_event_id = event_id,
        .signal = "risk_score", .rule = arena_printf(a, "risk:%s", fired),
        .evidence = arena_printf(a, "Your account's risk score reached %lld (rules that fired: %s; GET "
                                    "/api/v1/me/risk shows what each read). A person reviewed it and put you in the "
                                    "reviewed tier of \"%s\": every answer you submit there is reviewed before it is "
                                    "approved. You keep your work, your pay and your earnings.",
                                 (long long)score, fired, p->name)};
    return decision_record(d, &in, now, NULL);
}

db_rc decision_apply_requalification(db *d, arena *a, const struct project *p, int64_t worker_id, int64_t event_id,
                                     const char *rule_id, json_t *detail, int64_t approver, int64_t now)
{
    struct qualification prev;
    db_rc rc = store_qualification_get(d, a, p->id, worker_id, &prev);
    if (rc != DB_ROW && rc != DB_DONE) return rc;
    bool had = rc == DB_ROW;
    int64_t attempt = had ? prev.attempt + 1 : 1;
    if ((rc = store_qualification_start(d, p->id, worker_id, attempt, now)) != DB_OK) return rc;
    if (!had || strcmp(prev.state, "passed")) return DB_OK; /* nothing passed was taken away */
    json_t *holder;
    struct quality_config cfg;
    quality_load(p, &holder, &cfg);
    bool blocks = cfg.qualification;
    json_decref(holder);
    int64_t tasks[1] = {0};
    if (blocks) {
        rc = store_row_i64(d, Q_QUALIFICATION_TASKS, (struct sql_arg[]){{.i = p->id}}, 1, tasks, 1);
        if (rc != DB_ROW && rc != DB_DONE) return rc;
    }
    if (!blocks || tasks[0] <= 0) return DB_OK; /* a test without tasks blocks nobody: nothing is removed */
    bool risk = !strcmp(rule_id, "risk_score");
    const char *why =
        risk ? arena_printf(a, "your account's risk score reached %lld (rules that fired: %s; GET /api/v1/me/risk "
                               "shows what each read)",
                            (long long)json_integer_value(json_object_get(detail, "score")), detail_text(detail, "fired"))
             : arena_printf(a, "the project's quality rule %s fired (it read %s: %s against a threshold of %s)", rule_id,
                            detail_text(detail, "reads"),
                            json_is_number(json_object_get(detail, "value"))
                                ? arena_printf(a, "%.2f", json_number_value(json_object_get(detail, "value")))
                                : "-",
                            json_is_number(json_object_get(detail, "threshold"))
                                ? arena_printf(a, "%.2f", json_number_value(json_object_get(detail, "threshold")))
                                : "-");
    struct decision_input in = {
        .kind = DUE_QUALIFICATION_REMOVAL, .worker_id = worker_id, .decided_by = approver, .quality_event_id = event_id,
        .signal = rule_id, .rule = arena_printf(a, "%s%s", risk ? "risk:" : "quality_rule:", risk ? detail_text(detail, "fired") : rule_id),
        .evidence = arena_printf(a, "You passed the qualification test of \"%s\" (attempt %lld). Because %s, a person "
                                    "decided that you take it again: until you pass attempt %lld you get its test "
                                    "tasks (paid, FW-8) instead of normal work there.",
                                 p->name, (long long)prev.attempt, why, (long long)attempt)};
    int64_t did;
    if ((rc = decision_record(d, &in, now, &did)) != DB_OK) return rc;
    struct sql_arg keep[] = {{.i = did},
                             {.i = p->id},
                             {.i = worker_id},
                             {.i = prev.attempt},
                             {.text = prev.state},
                             {.i = prev.score_ppm, .null = prev.score_ppm < 0},
                             {.i = prev.started_at},
                             {.i = prev.decided_at, .null = prev.decided_at <= 0},
                             {.i = attempt}};
    return store_exec_args(d, Q_QUALIFICATION_REMOVAL_ADD, keep, 9, NULL);
}

db_rc decision_overturn_effect(db *d, arena *a, int64_t decision_id, const char *kind, int64_t actor_id,
                               const char *note, int64_t now)
{
    bool tier = !strcmp(kind, "review_tier"), qual = !strcmp(kind, "qualification_removal");
    if (!tier && !qual) return DB_OK;
    int64_t ev[3];
    db_rc rc = store_row_i64(d, Q_DECISION_QUALITY_EVENT, (struct sql_arg[]){{.i = decision_id}}, 1, ev, 3);
    if (rc != DB_ROW && rc != DB_DONE) return rc;
    bool has_event = rc == DB_ROW;
    if (has_event) {
        struct sql_arg undo[] = {{.i = ev[0]}, {.i = actor_id, .null = actor_id <= 0}, {.i = now},
                                 {.text = arena_printf(a, "Overturned on appeal: %s", note)}};
        if ((rc = store_exec_args(d, Q_QUALITY_EVENT_UNDO, undo, 4, NULL)) != DB_OK) return rc;
    }
    if (tier) {
        if (!has_event) return DB_ERROR; /* a review_tier decision always names its event */
        int64_t q[4] = {0, 0, 1000000, 0};
        rc = store_row_i64(d, Q_WORKER_QUALITY_GET, (struct sql_arg[]){{.i = ev[1]}, {.i = ev[2]}}, 2, q, 4);
        if (rc != DB_ROW && rc != DB_DONE) return rc;
        struct sql_arg set[] = {{.i = ev[1]}, {.i = ev[2]}, {.i = q[2]}, {.i = 0}, {.i = now}};
        return store_exec_args(d, Q_WORKER_QUALITY_SET, set, 5, NULL);
    }
    return store_exec_args(d, Q_QUALIFICATION_RESTORE, (struct sql_arg[]){{.i = decision_id}}, 1, NULL);
}

/* ---- routes ---- */

static const char *const restriction_cols[] = {"i:id", "i:user_id", "s:user_email", "s:kind", "s:rule", "s:evidence",
                                               "b:emergency", "s:state", "i:proposed_by", "i:approved_by",
                                               "i:confirmed_by", "t:created_at", "T:effective_at", "T:ended_at", NULL};

struct restr_ctx {
    req *r;
    int64_t now, id, before, user_id;
    const char *kind, *rule, *evidence, *state;
    bool emergency;
    err_id err;
    const char *detail;
    json_t *out;
};

static db_rc restriction_json(db *d, int64_t id, json_t **out)
{
    json_t *rows;
    db_rc rc = store_rows_json(d, Q_RESTRICTION_GET, (struct sql_arg[]){{.i = id}}, 1, restriction_cols, &rows);
    if (rc != DB_OK) return rc;
    if (!json_array_size(rows)) {
        json_decref(rows);
        return DB_DONE;
    }
    *out = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    return DB_ROW;
}

static tx_rc propose_tx(db *d, void *vctx)
{
    struct restr_ctx *c = vctx;
    req *r = c->r;
    struct user u;
    db_rc rc = store_user_by_id(d, r->a, r->id, &u);
    TX_CHECK(rc);
    if (rc == DB_DONE || strcmp(u.role, "worker")) {
        c->err = ERR_NOT_FOUND;
        c->detail = arena_printf(r->a, "no worker %lld", (long long)r->id);
        return TX_ROLLBACK;
    }
    struct sql_arg ins[] = {{.i = r->id},       {.text = c->kind},   {.text = c->rule}, {.text = c->evidence},
                            {.i = c->emergency}, {.i = r->user.id}, {.i = c->now}};
    rc = store_row_i64(d, Q_RESTRICTION_INSERT, ins, 7, &c->id, 1);
    if (rc != DB_ROW) return tx_from_db(rc == DB_DONE ? DB_ERROR : rc);
    TX_CHECK(decision_audit(d, r->a, c->now, r->user.id, "restriction.proposed", u.email,
                            json_pack("{s:I, s:I, s:s, s:s, s:b}", "restriction_id", (json_int_t)c->id, "user_id",
                                      (json_int_t)r->id, "kind", c->kind, "rule", c->rule, "emergency", c->emergency)));
    rc = restriction_json(d, c->id, &c->out);
    if (rc != DB_ROW) return tx_from_db(rc == DB_DONE ? DB_ERROR : rc);
    return TX_COMMIT;
}

static void reply_restr(req *r, struct restr_ctx *c, store_rc rc, int status)
{
    if (c->err) {
        json_decref(c->out);
        reply_error(r, c->err, NULL, "%s", c->detail);
    } else if (rc != STORE_OK) {
        json_decref(c->out);
        reply_store_failure(r, rc);
    } else
        reply_json(r, status, c->out);
}

/* POST /api/v1/users/{id}/restrictions {kind, rule, evidence, emergency?}: a proposal, without effect until
 * a human approves it (POST /api/v1/restrictions/{id}/approve). */
void users_restrictions_create(req *r)
{
    static const char *const keys[] = {"kind", "rule", "evidence", "emergency", NULL};
    json_t *body;
    if (req_json_object(r, keys, &body) != RES_OK) return;
    struct restr_ctx c = {.r = r, .now = clock_now_ms()};
    struct verr e;
    if (!json_req_string(body, "kind", 1, 32, &c.kind, &e) ||
        !json_req_string(body, "rule", 1, 200, &c.rule, &e) ||
        !json_req_string(body, "evidence", 1, 2000, &c.evidence, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    enum due_restriction_kind k;
    if (!due_restriction_kind_parse(c.kind, &k)) {
        reply_error(r, ERR_INVALID_FIELD, "/kind", "/kind must be restriction, suspension or deactivation");
        return;
    }
    json_t *em = json_object_get(body, "emergency");
    if (em && !json_is_boolean(em)) {
        reply_error(r, ERR_INVALID_FIELD, "/emergency", "/emergency must be true or false");
        return;
    }
    c.emergency = json_is_true(em);
    if (text_blank(c.rule) || text_blank(c.evidence)) {
        reply_error(r, ERR_INVALID_FIELD, text_blank(c.rule) ? "/rule" : "/evidence",
                    "a restriction states the rule and the evidence the worker will read (FW-18)");
        return;
    }
    store_rc rc = store_run(r->db, true, propose_tx, &c);
    reply_restr(r, &c, rc, 201);
}

static tx_rc approve_tx(db *d, void *vctx)
{
    struct restr_ctx *c = vctx;
    req *r = c->r;
    json_t *row = NULL;
    db_rc rc = restriction_json(d, r->id, &row);
    TX_CHECK(rc);
    if (rc == DB_DONE) {
        c->err = ERR_NOT_FOUND;
        c->detail = arena_printf(r->a, "no restriction %lld", (long long)r->id);
        return TX_ROLLBACK;
    }
    int64_t proposer = json_integer_value(json_object_get(row, "proposed_by"));
    int64_t worker = json_integer_value(json_object_get(row, "user_id"));
    bool emergency = json_is_true(json_object_get(row, "emergency"));
    const char *email = arena_strdup(r->a, json_string_value(json_object_get(row, "user_email")));
    const char *kind = arena_strdup(r->a, json_string_value(json_object_get(row, "kind")));
    const char *rule = arena_strdup(r->a, json_string_value(json_object_get(row, "rule")));
    const char *evidence = arena_strdup(r->a, json_string_value(json_object_get(row, "evidence")));
    bool proposed = !strcmp(json_string_value(json_object_get(row, "state")), "proposed");
    json_decref(row);
    if (!proposed) {
        c->err = ERR_RESTRICTION_STATE;
        c->detail = arena_printf(r->a, "restriction %lld is not a proposal awaiting approval", (long long)r->id);
        return TX_ROLLBACK;
    }
    if (!due_restriction_approver_ok(proposer, r->user.id, emergency)) {
        c->err = ERR_APPROVER_NOT_SECOND_HUMAN;
        c->detail = "you proposed this restriction: another admin approves it (FW-19)";
        return TX_ROLLBACK;
    }
    bool self = proposer == r->user.id; /* an emergency hold: in force now, lapses unless another human confirms */
    int64_t changed = 0;
    TX_CHECK(store_exec_args(d, Q_RESTRICTION_APPROVE,
                             (struct sql_arg[]){{.i = r->id}, {.i = r->user.id}, {.i = r->user.id, .null = self},
                                                {.i = c->now}},
                             4, &changed));
    if (changed != 1) return TX_FAIL;
    enum due_restriction_kind k;
    if (!due_restriction_kind_parse(kind, &k)) return TX_FAIL;
    struct decision_input in = {
        .kind = due_restriction_decision(k), .worker_id = worker, .decided_by = r->user.id, .restriction_id = r->id,
        .rule = rule,
        .evidence = arena_printf(r->a, "Your account is under a %s%s: %s It stops new work only: you can still sign "
                                       "in, see your earnings, ask for payouts, export your data, open tickets and "
                                       "appeal.", kind, self ? " (an emergency hold, which lapses after 7 days unless "
                                                               "a second admin confirms it)" : "", evidence)};
    TX_CHECK(decision_record(d, &in, c->now, NULL));
    TX_CHECK(decision_audit(d, r->a, c->now, r->user.id, "restriction.approved", email,
                            json_pack("{s:I, s:I, s:s, s:I, s:I, s:b}", "restriction_id", (json_int_t)r->id, "user_id",
                                      (json_int_t)worker, "kind", kind, "proposed_by", (json_int_t)proposer,
                                      "approved_by", (json_int_t)r->user.id, "emergency_self_approved", self)));
    rc = restriction_json(d, r->id, &c->out);
    if (rc != DB_ROW) return tx_from_db(rc == DB_DONE ? DB_ERROR : rc);
    return TX_COMMIT;
}

/* POST /api/v1/restrictions/{id}/approve: the human approval that makes a proposal take effect (FW-19). */
void restrictions_approve(req *r)
{
    struct restr_ctx c = {.r = r, .now = clock_now_ms()};
    store_rc rc = store_run(r->db, true, approve_tx, &c);
    reply_restr(r, &c, rc, 200);
}

static tx_rc confirm_tx(db *d, void *vctx)
{
    struct restr_ctx *c = vctx;
    req *r = c->r;
    json_t *row = NULL;
    db_rc rc = restriction_json(d, r->id, &row);
    TX_CHECK(rc);
    if (rc == DB_DONE) {
        c->err = ERR_NOT_FOUND;
        c->detail = arena_printf(r->a, "no restriction %lld", (long long)r->id);
        return TX_ROLLBACK;
    }
    int64_t approver = json_integer_value(json_object_get(row, "approved_by"));
    bool open = !strcmp(json_string_value(json_object_get(row, "state")), "active") &&
                json_is_null(json_object_get(row, "confirmed_by"));
    const char *email = arena_strdup(r->a, json_string_value(json_object_get(row, "user_email")));
    json_decref(row);
    if (!open) {
        c->err = ERR_RESTRICTION_STATE;
        c->detail = arena_printf(r->a, "restriction %lld is not an unconfirmed emergency hold in force", (long long)r->id);
        return TX_ROLLBACK;
    }
    if (approver == r->user.id) {
        c->err = ERR_APPROVER_NOT_SECOND_HUMAN;
        c->detail = "you approved this emergency hold: another admin confirms it (FW-19)";
        return TX_ROLLBACK;
    }
    int64_t changed = 0;
    TX_CHECK(store_exec_args(d, Q_RESTRICTION_CONFIRM, (struct sql_arg[]){{.i = r->id}, {.i = r->user.id}}, 2, &changed));
    if (changed != 1) return TX_FAIL;
    TX_CHECK(decision_audit(d, r->a, c->now, r->user.id, "restriction.confirmed", email,
                            json_pack("{s:I, s:I}", "restriction_id", (json_int_t)r->id, "confirmed_by",
                                      (json_int_t)r->user.id)));
    rc = restriction_json(d, r->id, &c->out);
    if (rc != DB_ROW) return tx_from_db(rc == DB_DONE ? DB_ERROR : rc);
    return TX_COMMIT;
}

/* POST /api/v1/restrictions/{id}/confirm: a second human keeps an emergency hold beyond 7 days. */
void restrictions_confirm(req *r)
{
    struct restr_ctx c = {.r = r, .now = clock_now_ms()};
    store_rc rc = store_run(r->db, true, confirm_tx, &c);
    reply_restr(r, &c, rc, 200);
}

static tx_rc restr_list_tx(db *d, void *vctx)
{
    struct restr_ctx *c = vctx;
    struct sql_arg a[] = {{.text = c->state}, {.i = c->user_id}, {.i = c->before}};
    TX_CHECK(store_rows_json(d, Q_RESTRICTIONS_LIST, a, 3, restriction_cols, &c->out));
    return TX_COMMIT;
}

/* GET /api/v1/restrictions?state=proposed|active|lapsed|lifted&user_id=N&before=ID */
void restrictions_list(req *r)
{
    struct restr_ctx c = {.r = r, .state = "", .before = INT64_MAX};
    const char *s = req_query(r, "state");
    if (s) {
        if (strcmp(s, "proposed") && strcmp(s, "active") && strcmp(s, "lapsed") && strcmp(s, "lifted")) {
            reply_error(r, ERR_BAD_QUERY, "state", "?state must be proposed, active, lapsed or lifted");
            return;
        }
        c.state = s;
    }
    if (req_query_id(r, "user_id", &c.user_id) != RES_OK || req_query_id(r, "before", &c.before) != RES_OK) return;
    store_rc rc = store_run(r->db, false, restr_list_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, json_pack("{s:o}", "items", c.out));
}

/* ---- decisions ---- */

static const char *const decision_cols[] = {
    "i:id", "s:kind", "i:worker_id", "s:rule", "s:evidence", "s:signal", "i:decided_by", "i:assignment_id",
    "i:hold_id", "i:restriction_id", "s:state", "t:created_at", "t:appeal_deadline", "i:appeal_id", "s:appeal_state",
    "s:appeal_statement", "s:appeal_note", "T:appeal_created_at", "T:appeal_due_at", "T:appeal_decided_at",
    "i:appeal_decided_by", NULL};

/* Folds the appeal columns into an "appeal" object and adds the written statement. */
static void decision_shape(arena *a, json_t *item)
{
    json_t *appeal = json_null();
    if (!json_is_null(json_object_get(item, "appeal_id")))
        appeal = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O}", "id", json_object_get(item, "appeal_id"), "state",
                           json_object_get(item, "appeal_state"), "statement", json_object_get(item, "appeal_statement"),
                           "note", json_object_get(item, "appeal_note"), "created_at",
                           json_object_get(item, "appeal_created_at"), "due_at", json_object_get(item, "appeal_due_at"),
                           "decided_at", json_object_get(item, "appeal_decided_at"));
    if (appeal) json_object_set_new(appeal, "decided_by", json_incref(json_object_get(item, "appeal_decided_by")));
    static const char *const drop[] = {"appeal_id", "appeal_state", "appeal_statement", "appeal_note",
                                       "appeal_created_at", "appeal_due_at", "appeal_decided_at", "appeal_decided_by"};
    for (size_t i = 0; i < sizeof drop / sizeof *drop; i++) json_object_del(item, drop[i]);
    const char *deadline = json_string_value(json_object_get(item, "appeal_deadline"));
    json_int_t id = json_integer_value(json_object_get(item, "id"));
    json_t *by = json_object_get(item, "decided_by");
    json_t *signal = json_object_get(item, "signal");
    const char *statement =
        arena_printf(a, "%s under rule %s, decided %s. Evidence: %s%s%s You may appeal until %s.",
                     json_string_value(json_object_get(item, "kind")), json_string_value(json_object_get(item, "rule")),
                     json_is_null(by) ? "by an automated signal, without effect until a human confirms it"
                                      : "by a human (their user id is decided_by)",
                     json_string_value(json_object_get(item, "evidence")), json_is_null(signal) ? "" : " Automated signal: ",
                     json_is_null(signal) ? "" : json_string_value(signal), deadline ? deadline : "-");
    json_object_set_new(item, "statement", json_string(statement));
    json_object_set_new(item, "appeal", appeal);
    json_object_set_new(item, "appeal_url", json_sprintf("/api/v1/decisions/%lld/appeal", (long long)id));
}

struct dec_ctx {
    req *r;
    int64_t before, worker_id;
    const char *kind;
    json_t *out;
};

static tx_rc my_decisions_tx(db *d, void *vctx)
{
    struct dec_ctx *c = vctx;
    struct sql_arg a[] = {{.i = c->r->user.id}, {.i = c->before}, {.i = 200}};
    TX_CHECK(store_rows_json(d, Q_DECISIONS_OF_WORKER, a, 3, decision_cols, &c->out));
    return TX_COMMIT;
}

static void reply_decisions(req *r, struct dec_ctx *c, store_rc rc)
{
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    size_t i;
    json_t *item;
    json_array_foreach(c->out, i, item) decision_shape(r->a, item);
    reply_json(r, 200, json_pack("{s:o}", "items", c->out));
}

/* GET /api/v1/me/decisions?before=ID: the caller's decisions, newest first, each with its written statement,
 * appeal deadline and appeal (FW-18). Works while suspended or deactivated (FW-16). */
void me_decisions(req *r)
{
    struct dec_ctx c = {.r = r, .before = INT64_MAX};
    if (req_query_id(r, "before", &c.before) != RES_OK) return;
    reply_decisions(r, &c, store_run(r->db, false, my_decisions_tx, &c));
}

static tx_rc decisions_list_tx(db *d, void *vctx)
{
    struct dec_ctx *c = vctx;
    struct sql_arg a[] = {{.text = c->kind}, {.i = c->worker_id}, {.i = c->before}};
    TX_CHECK(store_rows_json(d, Q_DECISIONS_LIST, a, 3, decision_cols, &c->out));
    return TX_COMMIT;
}

/* GET /api/v1/decisions?kind=K&worker_id=N&before=ID (admins: decision review). */
void decisions_list(req *r)
{
    struct dec_ctx c = {.r = r, .before = INT64_MAX, .kind = ""};
    const char *k = req_query(r, "kind");
    enum due_decision_kind kind;
    if (k && !due_decision_kind_parse(k, &kind)) {
        reply_error(r, ERR_BAD_QUERY, "kind", "?kind must be " DUE_DECISION_KINDS);
        return;
    }
    if (k) c.kind = k;
    if (req_query_id(r, "worker_id", &c.worker_id) != RES_OK || req_query_id(r, "before", &c.before) != RES_OK) return;
    reply_decisions(r, &c, store_run(r->db, false, decisions_list_tx, &c));
}

/* ---- the lapse of unconfirmed emergency holds (FW-19) ---- */

struct lapse_ctx {
    int64_t id, now;
    arena *a;
};

static tx_rc lapse_tx(db *d, void *vctx)
{
    struct lapse_ctx *c = vctx;
    json_t *row = NULL;
    db_rc rc = restriction_json(d, c->id, &row);
    TX_CHECK(rc);
    if (rc == DB_DONE) return TX_COMMIT;
    bool lapsed = !strcmp(json_string_value(json_object_get(row, "state")), "active") &&
                  json_is_null(json_object_get(row, "confirmed_by"));
    int64_t worker = json_integer_value(json_object_get(row, "user_id"));
    const char *email = arena_strdup(c->a, json_string_value(json_object_get(row, "user_email")));
    const char *kind = arena_strdup(c->a, json_string_value(json_object_get(row, "kind")));
    json_decref(row);
    if (!lapsed) return TX_COMMIT; /* confirmed or ended meanwhile */
    rc = restriction_end(d, c->id, "lapsed", c->now);
    TX_CHECK(rc);
    if (rc == DB_DONE) return TX_COMMIT;
    TX_CHECK(decision_audit(d, c->a, c->now, 0, "restriction.lapsed", email,
                            json_pack("{s:I, s:I, s:s, s:s}", "restriction_id", (json_int_t)c->id, "user_id",
                                      (json_int_t)worker, "kind", kind, "why",
                                      "an emergency hold no second admin confirmed within 7 days (FW-19)")));
    TX_CHECK(notify_user(d, worker, "restriction_lapsed", "Your account restriction has ended",
                         arena_printf(c->a, "The emergency %s on your account lapsed: no second admin confirmed it "
                                            "within 7 days. You can take new work again.", kind),
                         "/worker#due-process", c->now));
    return TX_COMMIT;
}

int job_restriction_lapse(db *d, const struct server_config *cfg, int64_t now)
{
    (void)cfg;
    json_t *rows;
    static const char *const cols[] = {"i:id", NULL};
    if (store_rows_json(d, Q_RESTRICTIONS_UNCONFIRMED, (struct sql_arg[]){{.i = now - DUE_HOLD_LAPSE_MS}, {.i = 100}}, 2,
                        cols, &rows) != DB_OK)
        return -1;
    int failures = 0;
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        arena *a = arena_new(8192);
        struct lapse_ctx c = {.id = json_integer_value(json_object_get(row, "id")), .now = now, .a = a};
        if (store_run(d, true, lapse_tx, &c) != STORE_OK) failures++;
        arena_free(a);
    }
    json_decref(rows);
    return failures ? -1 : 0;
}
