/* Region policy over HTTP (FW-15, FW-16, FW-25): the public region list and history, two-person changes
 * through the core/region.h state machine with notices to every affected worker, the sign-up and claim
 * refusals, and the jobs that close a winding-down country at its effective date and pay out its workers. */
#include "api/regions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/jobs.h"
#include "api/notice.h"
#include "api/pay_flow.h"
#include "api/payouts.h"
#include "core/calendar.h"
#include "core/country.h"
#include "core/money.h"
#include "core/region.h"
#include "core/validate.h"
#include "http/reply.h"
#include "util/clock.h"

#define DEFAULT_EXPLANATION "fairlabel is open to workers in this country."
#define NOTICE_PAGE 500
#define MAX_PROBLEMS 12

/* ---- shared ---- */

struct policy {
    bool found;
    enum region_state state;
    const char *explanation;
    int64_t effective_at, change_id;
};

/* The country's policy in force (found false: open, no row). */
static db_rc policy_load(db *d, arena *a, const char *country, struct policy *p)
{
    *p = (struct policy){.state = REGION_OPEN, .explanation = DEFAULT_EXPLANATION};
    static const char *const cols[] = {"s:state", "s:explanation", "i:effective_at", "i:change_id", NULL};
    json_t *rows;
    db_rc rc = store_rows_json(d, Q_REGION_POLICY_GET, (struct sql_arg[]){{.text = country}}, 1, cols, &rows);
    if (rc != DB_OK) return rc;
    json_t *row = json_array_get(rows, 0);
    if (row) {
        p->found = true;
        if (!region_state_parse(json_string_value(json_object_get(row, "state")), &p->state)) rc = DB_ERROR;
        p->explanation = arena_strdup(a, json_string_value(json_object_get(row, "explanation")));
        p->effective_at = json_integer_value(json_object_get(row, "effective_at"));
        p->change_id = json_integer_value(json_object_get(row, "change_id"));
    }
    json_decref(rows);
    return rc;
}

static char *date_text(arena *a, int64_t ms)
{
    char t[32];
    clock_iso8601(ms, t, sizeof t);
    return arena_strdup(a, t);
}

static db_rc audit_region(db *d, int64_t now, int64_t actor, const char *action, const char *country, json_t *detail)
{
    char target[32];
    snprintf(target, sizeof target, "region:%s", country);
    char *s = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(detail);
    if (!s) return DB_ERROR;
    db_rc rc = store_audit_append(d, now, actor, action, target, s);
    free(s);
    return rc;
}

/* Sends template_id to every worker of the country; *sent counts them. */
static db_rc notify_country(db *d, const char *country, const char *template_id, json_t *vars, int64_t now,
                            int64_t *sent)
{
    char link[32];
    snprintf(link, sizeof link, "/regions#%s", country);
    *sent = 0;
    for (int64_t after = 0;;) {
        json_t *rows;
        static const char *const cols[] = {"i:id", NULL};
        db_rc rc = store_rows_json(d, Q_REGION_WORKERS,
                                   (struct sql_arg[]){{.text = country}, {.i = after}, {.i = NOTICE_PAGE}}, 3, cols,
                                   &rows);
        if (rc != DB_OK) return rc;
        size_t n = json_array_size(rows);
        for (size_t i = 0; i < n && rc == DB_OK; i++) {
            after = json_integer_value(json_object_get(json_array_get(rows, i), "id"));
            rc = notice_send(d, after, "region", template_id, vars, link, now);
            (*sent)++;
        }
        json_decref(rows);
        if (rc != DB_OK) return rc;
        if (n < NOTICE_PAGE) return DB_OK;
    }
}

/* The template variables of a country's notices (core/i18n_*.def: region_notice, region_update,
 * region_closed); effective_at 0 means now. */
static json_t *notice_vars(const char *country, enum region_state state, const char *explanation,
                           const char *reason, enum region_basis basis, const char *reference, int64_t effective_at,
                           int64_t now)
{
    char eff[32], deadline[32], link[32], legal[600];
    clock_iso8601(effective_at > 0 ? effective_at : now, eff, sizeof eff);
    clock_iso8601(region_payout_deadline_ms(effective_at > 0 ? effective_at : now), deadline, sizeof deadline);
    eff[10] = deadline[10] = '\0'; /* the date */
    snprintf(link, sizeof link, "/regions#%s", country);
    if (basis == REGION_BASIS_NONE) snprintf(legal, sizeof legal, "-");
    else snprintf(legal, sizeof legal, "%s (%s)", region_basis_name(basis), reference ? reference : "");
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "country", country, "state",
                     region_state_name(state), "explanation", explanation, "reason", reason, "legal_basis", legal,
                     "effective_date", eff, "payout_deadline", deadline, "link", link);
}

/* ---- effects on sign-up and claims ---- */

struct signup_ctx {
    arena *a;
    const char *country;
    struct policy p;
};

static tx_rc signup_tx(db *d, void *vctx)
{
    struct signup_ctx *c = vctx;
    TX_CHECK(policy_load(d, c->a, c->country, &c->p));
    return TX_COMMIT;
}

res region_signup_check(req *r)
{
    json_t *body = r->body_len ? json_loadb(r->body, r->body_len, 0, NULL) : NULL;
    const char *cc = json_string_value(json_object_get(body, "country"));
    struct signup_ctx c = {.a = r->a, .country = cc ? arena_strdup(r->a, cc) : NULL};
    json_decref(body);
    if (!c.country || !country_code_valid(c.country)) return RES_OK; /* the sign-up's validation says why */
    store_rc rc = store_run(r->db, false, signup_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return RES_REPLIED;
    }
    if (region_signups_allowed(c.p.state)) return RES_OK;
    const char *since = "";
    json_t *extra = json_pack("{s:s, s:s, s:s}", "country", c.country, "state", region_state_name(c.p.state),
                              "explanation", c.p.explanation);
    if (c.p.state == REGION_WINDING_DOWN) {
        since = arena_printf(r->a, "; work stops on %s", date_text(r->a, c.p.effective_at));
        json_object_set_new(extra, "effective_at", json_time(c.p.effective_at));
    }
    reply_error_with(r, ERR_REGION_SIGNUPS_PAUSED, "/country",
                     arena_printf(r->a, "sign-ups from %s are not open (%s): %s%s. See /regions#%s", c.country,
                                  region_state_name(c.p.state), c.p.explanation, since, c.country),
                     extra);
    return RES_REPLIED;
}

db_rc region_claim_check(db *d, arena *a, const struct user *u, int64_t now, err_id *err, const char **detail)
{
    struct policy p;
    db_rc rc = policy_load(d, a, u->country, &p);
    if (rc != DB_OK || region_new_work_allowed(p.state, p.effective_at, now)) return rc;
    *err = ERR_REGION_CLOSED;
    *detail = arena_printf(a, "no new work is offered in %s since %s: %s. Your open tasks can still be submitted; "
                              "earnings, payouts, data export and tickets keep working. See /regions#%s",
                           u->country, date_text(a, p.effective_at), p.explanation, u->country);
    return DB_OK;
}

/* ---- public: the regions and their history ---- */

static const char *const policy_cols[] = {
    "s:country", "s:state", "s:explanation", "T:notice_at", "T:effective_at", "i:change_id", "t:since", "s:reason",
    "s:legal_basis", "s:legal_reference", "b:emergency", "s:emergency_reason", NULL};
static const char *const change_cols[] = {
    "i:id", "s:country", "s:from", "s:to", "s:reason", "s:explanation", "s:legal_basis", "s:legal_reference",
    "T:effective_at", "b:emergency", "s:emergency_reason", "i:follows", "s:state", "i:proposed_by", "i:approved_by",
    "i:rejected_by", "s:decision_note", "i:notices", "t:created_at", "T:decided_at", "T:applied_at", NULL};
static const char *const history_cols[] = {
    "i:id", "s:country", "s:from", "s:to", "s:reason", "s:explanation", "s:legal_basis", "s:legal_reference",
    "T:effective_at", "b:emergency", "s:emergency_reason", "s:state", "T:decided_at", "T:applied_at", NULL};

struct read_ctx {
    const char *country, *state;
    int64_t id, before;
    json_t *out;
};

static tx_rc policies_tx(db *d, void *vctx)
{
    struct read_ctx *c = vctx;
    json_decref(c->out);
    c->out = NULL;
    TX_CHECK(store_rows_json(d, Q_REGION_POLICIES_LIST, (struct sql_arg[]){{.text = c->country, .null = !c->country}},
                             1, policy_cols, &c->out));
    return TX_COMMIT;
}

/* ?country=CC when given: a valid code, upper case; replies 400 itself otherwise. */
static res country_query(req *r, bool required, const char **out)
{
    const char *cc = req_query(r, "country");
    *out = NULL;
    if (!cc && !required) return RES_OK;
    if (!cc || !country_code_valid(cc)) {
        reply_error(r, ERR_BAD_QUERY, "country", "?country must be an ISO 3166 alpha-2 code such as KE");
        return RES_REPLIED;
    }
    *out = cc;
    return RES_OK;
}

/* GET /api/v1/regions[?country=CC] (public): every country whose state is not the default, or the one asked
 * for (open when it has no policy). */
void regions_list(req *r)
{
    struct read_ctx c = {0};
    if (country_query(r, false, &c.country) != RES_OK) return;
    store_rc rc = store_run(r->db, false, policies_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    size_t n = json_array_size(c.out);
    for (size_t i = 0; i < n; i++) {
        json_t *row = json_array_get(c.out, i);
        json_t *eff = json_object_get(row, "effective_at");
        const char *state = json_string_value(json_object_get(row, "state"));
        int64_t ms;
        bool ending = !strcmp(state, "winding_down") || !strcmp(state, "closed");
        json_object_set_new(row, "payout_deadline", ending && json_is_string(eff) &&
                                                             region_time_parse(json_string_value(eff), &ms)
                                                        ? json_time(region_payout_deadline_ms(ms))
                                                        : json_null());
    }
    if (c.country && n == 0)
        json_array_append_new(c.out, json_pack("{s:s, s:s, s:s, s:n, s:n, s:n, s:n}", "country", c.country, "state",
                                               "open", "explanation", DEFAULT_EXPLANATION, "since", "notice_at",
                                               "effective_at", "payout_deadline"));
    reply_json(r, 200, json_pack("{s:s, s:s, s:o}", "default_state", "open", "default_explanation",
                                 DEFAULT_EXPLANATION, "items", c.out));
}

static tx_rc history_tx(db *d, void *vctx)
{
    struct read_ctx *c = vctx;
    json_decref(c->out);
    c->out = NULL;
    TX_CHECK(store_rows_json(d, Q_REGION_HISTORY, (struct sql_arg[]){{.text = c->country}}, 1, history_cols, &c->out));
    return TX_COMMIT;
}

/* GET /api/v1/regions/history?country=CC (public): the approved changes of the country, newest first. */
void regions_history(req *r)
{
    struct read_ctx c = {0};
    if (country_query(r, true, &c.country) != RES_OK) return;
    store_rc rc = store_run(r->db, false, history_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, json_pack("{s:s, s:o}", "country", c.country, "items", c.out));
}

static db_rc change_load(db *d, int64_t id, json_t **row)
{
    json_t *rows;
    struct sql_arg a[] = {{.null = true}, {.null = true}, {.i = id}, {.i = INT64_MAX}, {.i = 1}};
    db_rc rc = store_rows_json(d, Q_REGION_CHANGES_LIST, a, 5, change_cols, &rows);
    if (rc != DB_OK) return rc;
    *row = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    return *row ? DB_ROW : DB_DONE;
}

static tx_rc changes_tx(db *d, void *vctx)
{
    struct read_ctx *c = vctx;
    json_decref(c->out);
    c->out = NULL;
    struct sql_arg a[] = {{.text = c->state, .null = !c->state}, {.text = c->country, .null = !c->country},
                          {.i = 0}, {.i = c->before}, {.i = 200}};
    TX_CHECK(store_rows_json(d, Q_REGION_CHANGES_LIST, a, 5, change_cols, &c->out));
    return TX_COMMIT;
}

/* GET /api/v1/region-changes?state=&country=&before= (admin): every change, proposals included. */
void region_changes_list(req *r)
{
    struct read_ctx c = {.before = INT64_MAX, .state = req_query(r, "state")};
    if (country_query(r, false, &c.country) != RES_OK) return;
    static const char *const states[] = {"proposed", "approved", "rejected", "applied", "cancelled", NULL};
    bool ok = !c.state;
    for (int i = 0; !ok && states[i]; i++) ok = !strcmp(c.state, states[i]);
    if (!ok) {
        reply_error(r, ERR_BAD_QUERY, "state", "?state must be proposed, approved, rejected, applied or cancelled");
        return;
    }
    if (req_query_id(r, "before", &c.before) != RES_OK) return;
    store_rc rc = store_run(r->db, false, changes_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, json_pack("{s:o}", "items", c.out));
}

static tx_rc region_payouts_tx(db *d, void *vctx)
{
    struct read_ctx *c = vctx;
    json_decref(c->out);
    c->out = NULL;
    static const char *const cols[] = {"i:id", "s:country", "i:worker_id", "s:currency", "s:day", "i:amount_micros",
                                       "s:outcome", "i:payout_id", "s:payout_state", "t:created_at", NULL};
    struct sql_arg a[] = {{.text = c->country, .null = !c->country}, {.i = c->before}, {.i = 200}};
    TX_CHECK(store_rows_json(d, Q_REGION_PAYOUTS_LIST, a, 3, cols, &c->out));
    return TX_COMMIT;
}

/* GET /api/v1/region-payouts?country=&before= (admin): what the closing-region payout job asked for, per worker,
 * currency and day, with the payout's state (or no_method). */
void region_payouts_list(req *r)
{
    struct read_ctx c = {.before = INT64_MAX};
    if (country_query(r, false, &c.country) != RES_OK) return;
    if (req_query_id(r, "before", &c.before) != RES_OK) return;
    store_rc rc = store_run(r->db, false, region_payouts_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, json_pack("{s:o}", "items", c.out));
}

/* ---- proposing ---- */

struct problems {
    struct region_problem p[MAX_PROBLEMS];
    size_t n;
};

static void problem(struct problems *ps, const char *field, const char *detail)
{
    if (ps->n < MAX_PROBLEMS) ps->p[ps->n++] = (struct region_problem){field, detail};
}

static void reply_problems(req *r, err_id e, const struct problems *ps)
{
    json_t *list = json_array();
    const char *detail = "";
    for (size_t i = 0; i < ps->n; i++) {
        json_array_append_new(list, json_pack("{s:s, s:s}", "field", ps->p[i].field, "detail", ps->p[i].detail));
        detail = arena_printf(r->a, "%s%s%s: %s", detail, i ? "; " : "", ps->p[i].field, ps->p[i].detail);
    }
    reply_error_with(r, e, ps->n ? ps->p[0].field : NULL, detail, json_pack("{s:o}", "problems", list));
}

struct propose_ctx {
    req *r;
    int64_t now;
    const char *country, *explanation;
    struct region_change ch;
    bool to_known;
    struct problems ps; /* found before the transaction */
    /* out */
    struct problems all;
    err_id err;
    int64_t id;
    json_t *change;
};

static tx_rc propose_tx(db *d, void *vctx)
{
    struct propose_ctx *c = vctx;
    json_decref(c->change);
    c->change = NULL;
    c->all = c->ps;
    struct policy p;
    TX_CHECK(policy_load(d, c->r->a, c->country, &p));
    c->ch.from = p.state;
    if (c->to_known) {
        struct region_problem found[MAX_PROBLEMS];
        size_t n = region_change_check(&c->ch, REGION_CHECK_PROPOSAL, c->now, found, MAX_PROBLEMS);
        for (size_t i = 0; i < n && i < MAX_PROBLEMS; i++) problem(&c->all, found[i].field, found[i].detail);
        if (c->ch.to == REGION_CLOSED && region_transition_exists(c->ch.from, c->ch.to))
            problem(&c->all, "/to", "a country closes by itself on the effective date of its approved winding down; "
                                    "propose winding_down");
    }
    if (c->all.n) {
        c->err = ERR_REGION_CHANGE_INVALID;
        return TX_ROLLBACK;
    }
    int64_t pending[1];
    db_rc rc = store_row_i64(d, Q_REGION_CHANGE_PENDING, (struct sql_arg[]){{.text = c->country}}, 1, pending, 1);
    TX_CHECK(rc);
    if (rc == DB_ROW) {
        c->err = ERR_REGION_CHANGE_PENDING;
        c->id = pending[0];
        return TX_ROLLBACK;
    }
    bool winding = c->ch.to == REGION_WINDING_DOWN;
    struct sql_arg a[] = {{.text = c->country},
                          {.text = region_state_name(c->ch.from)},
                          {.text = region_state_name(c->ch.to)},
                          {.text = c->ch.reason},
                          {.text = c->explanation},
                          {.text = region_basis_name(c->ch.basis)},
                          {.text = c->ch.basis_reference ? c->ch.basis_reference : ""},
                          {.i = c->ch.effective_at_ms, .null = !winding},
                          {.i = c->ch.emergency},
                          {.text = c->ch.emergency_reason, .null = !c->ch.emergency},
                          {.i = c->ch.proposed_by},
                          {.i = c->now}};
    rc = store_row_i64(d, Q_REGION_CHANGE_INSERT, a, 12, &c->id, 1);
    if (rc == DB_CONSTRAINT) { /* a concurrent proposal for the country */
        c->err = ERR_REGION_CHANGE_PENDING;
        return TX_ROLLBACK;
    }
    TX_CHECK(rc);
    if (rc != DB_ROW) return TX_FAIL;
    TX_CHECK(audit_region(d, c->now, c->ch.proposed_by, "region_change.proposed", c->country,
                          json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:b}", "change_id", (json_int_t)c->id, "from",
                                    region_state_name(c->ch.from), "to", region_state_name(c->ch.to), "reason",
                                    c->ch.reason, "legal_basis", region_basis_name(c->ch.basis), "legal_reference",
                                    c->ch.basis_reference ? c->ch.basis_reference : "", "emergency",
                                    c->ch.emergency)));
    rc = change_load(d, c->id, &c->change);
    TX_CHECK(rc);
    return rc == DB_ROW ? TX_COMMIT : TX_FAIL;
}

/* POST /api/v1/region-changes (admin) {country, to, reason, explanation, legal_basis, legal_reference,
 * effective_at, emergency, emergency_reason}: a proposal, which a different admin approves. 422 names every
 * missing or wrong field at once. */
void region_changes_create(req *r)
{
    json_t *body;
    static const char *const keys[] = {"country", "to", "reason", "explanation", "legal_basis", "legal_reference",
                                       "effective_at", "emergency", "emergency_reason", NULL};
    if (req_json_object(r, keys, &body) != RES_OK) return;
    struct verr e;
    const char *country, *to, *basis, *eff;
    struct propose_ctx c = {.r = r, .now = clock_now_ms()};
    if (!json_opt_string(body, "country", 2, NULL, &country, &e) ||
        !json_opt_string(body, "to", 32, NULL, &to, &e) ||
        !json_opt_string(body, "reason", 2000, NULL, &c.ch.reason, &e) ||
        !json_opt_string(body, "explanation", 2000, NULL, &c.explanation, &e) ||
        !json_opt_string(body, "legal_basis", 32, NULL, &basis, &e) ||
        !json_opt_string(body, "legal_reference", 500, NULL, &c.ch.basis_reference, &e) ||
        !json_opt_string(body, "effective_at", 40, NULL, &eff, &e) ||
        !json_opt_string(body, "emergency_reason", 2000, NULL, &c.ch.emergency_reason, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    json_t *em = json_object_get(body, "emergency");
    if (em && !json_is_boolean(em)) {
        reply_error(r, ERR_INVALID_FIELD, "/emergency", "/emergency must be true or false");
        return;
    }
    c.ch.emergency = json_is_true(em);
    c.ch.proposed_by = r->user.id;
    if (!country || !country_code_valid(country))
        problem(&c.ps, "/country", "an ISO 3166 alpha-2 country code such as KE is required");
    c.country = country;
    if (!to) problem(&c.ps, "/to", "the state to move to is required: signups_paused, winding_down or open");
    else if (!region_state_parse(to, &c.ch.to))
        problem(&c.ps, "/to", "/to must be open, signups_paused or winding_down");
    else c.to_known = true;
    if (text_blank(c.explanation))
        problem(&c.ps, "/explanation", "the public explanation shown on the region page and to the country's workers "
                                       "is required");
    if (basis && !region_basis_parse(basis, &c.ch.basis))
        problem(&c.ps, "/legal_basis", "/legal_basis must be sanctions, local_law or payment_rail");
    if (eff && !region_time_parse(eff, &c.ch.effective_at_ms))
        problem(&c.ps, "/effective_at", "/effective_at must be a UTC date such as 2026-12-31 or 2026-12-31T00:00:00Z");
    if (c.ps.n && !c.country) { /* nothing to check against */
        reply_problems(r, ERR_REGION_CHANGE_INVALID, &c.ps);
        return;
    }
    store_rc rc = store_run(r->db, true, propose_tx, &c);
    if (c.err == ERR_REGION_CHANGE_INVALID) {
        reply_problems(r, c.err, &c.all);
        return;
    }
    if (c.err == ERR_REGION_CHANGE_PENDING) {
        reply_error(r, c.err, "/country", "%s already has a proposed change (%lld) waiting for a second admin; approve "
                    "or reject it first", c.country, (long long)c.id);
        return;
    }
    if (rc != STORE_OK) {
        json_decref(c.change);
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 201, c.change);
}

/* ---- approving and rejecting ---- */

struct decide_ctx {
    req *r;
    int64_t now, id;
    bool approve;
    const char *note;
    err_id err;
    const char *detail;
    struct problems all;
    json_t *change;
};

static const char *jstr(json_t *row, const char *k) { return json_string_value(json_object_get(row, k)); }

/* The change row as core/region.h sees it. */
static void change_from_row(json_t *row, struct region_change *ch)
{
    *ch = (struct region_change){.reason = jstr(row, "reason"),
                                 .basis_reference = jstr(row, "legal_reference"),
                                 .proposed_by = json_integer_value(json_object_get(row, "proposed_by")),
                                 .emergency = json_is_true(json_object_get(row, "emergency")),
                                 .emergency_reason = jstr(row, "emergency_reason")};
    region_state_parse(jstr(row, "from"), &ch->from);
    region_state_parse(jstr(row, "to"), &ch->to);
    region_basis_parse(jstr(row, "legal_basis"), &ch->basis);
    const char *eff = jstr(row, "effective_at");
    if (eff) region_time_parse(eff, &ch->effective_at_ms);
}

static tx_rc approve_apply(db *d, struct decide_ctx *c, json_t *row, const struct region_change *ch,
                           const struct policy *p)
{
    const char *country = jstr(row, "country"), *explanation = jstr(row, "explanation");
    bool winding = ch->to == REGION_WINDING_DOWN;
    struct sql_arg dec[] = {{.i = c->id},
                            {.text = winding ? "approved" : "applied"},
                            {.i = c->r->user.id},
                            {.null = true},
                            {.text = c->note, .null = !c->note},
                            {.i = c->now},
                            {.i = c->now, .null = winding}};
    int64_t changed = 0;
    TX_CHECK(store_exec_args(d, Q_REGION_CHANGE_DECIDE, dec, 7, &changed));
    if (changed != 1) {
        c->err = ERR_REGION_CHANGE_DECIDED;
        return TX_ROLLBACK;
    }
    /* reopening while winding down calls the winding down off */
    if (p->found && ch->from == REGION_WINDING_DOWN)
        TX_CHECK(store_exec_args(d, Q_REGION_CHANGE_END,
                                 (struct sql_arg[]){{.i = p->change_id}, {.text = "cancelled"}, {.i = c->now}}, 3, NULL));
    struct sql_arg pol[] = {{.text = country},
                            {.text = region_state_name(ch->to)},
                            {.text = explanation},
                            {.i = c->now},
                            {.i = ch->effective_at_ms, .null = !winding},
                            {.i = c->id},
                            {.i = c->now}};
    TX_CHECK(store_exec_args(d, Q_REGION_POLICY_SET, pol, 7, NULL));
    json_t *vars = notice_vars(country, ch->to, explanation, ch->reason, ch->basis, ch->basis_reference,
                               winding ? ch->effective_at_ms : 0, c->now);
    int64_t sent = 0;
    db_rc rc = notify_country(d, country, winding ? "region_notice" : "region_update", vars, c->now, &sent);
    json_decref(vars);
    TX_CHECK(rc);
    TX_CHECK(store_exec_args(d, Q_REGION_CHANGE_SET_NOTICES, (struct sql_arg[]){{.i = c->id}, {.i = sent}}, 2, NULL));
    json_t *detail = json_pack("{s:I, s:s, s:s, s:I, s:I, s:I, s:b}", "change_id", (json_int_t)c->id, "from",
                               region_state_name(ch->from), "to", region_state_name(ch->to), "proposed_by",
                               (json_int_t)ch->proposed_by, "approved_by", (json_int_t)c->r->user.id, "notices",
                               (json_int_t)sent, "emergency", ch->emergency);
    if (winding) json_object_set_new(detail, "effective_at", json_time(ch->effective_at_ms));
    TX_CHECK(audit_region(d, c->now, c->r->user.id, "region_change.approved", country, detail));
    return TX_COMMIT;
}

static tx_rc decide_tx(db *d, void *vctx)
{
    struct decide_ctx *c = vctx;
    json_decref(c->change);
    c->change = NULL;
    c->all.n = 0;
    json_t *row;
    db_rc rc = change_load(d, c->id, &row);
    TX_CHECK(rc);
    if (rc == DB_DONE) {
        c->err = ERR_NOT_FOUND;
        return TX_ROLLBACK;
    }
    tx_rc t = TX_COMMIT;
    const char *country = jstr(row, "country");
    if (strcmp(jstr(row, "state"), "proposed")) {
        c->err = ERR_REGION_CHANGE_DECIDED;
        c->detail = arena_printf(c->r->a, "region change %lld is %s already", (long long)c->id, jstr(row, "state"));
        t = TX_ROLLBACK;
    } else if (!c->approve) {
        struct sql_arg dec[] = {{.i = c->id},   {.text = "rejected"}, {.null = true}, {.i = c->r->user.id},
                                {.text = c->note}, {.i = c->now},     {.null = true}};
        int64_t changed = 0;
        rc = store_exec_args(d, Q_REGION_CHANGE_DECIDE, dec, 7, &changed);
        if (rc == DB_OK && changed == 1)
            rc = audit_region(d, c->now, c->r->user.id, "region_change.rejected", country,
                              json_pack("{s:I, s:s, s:s, s:s}", "change_id", (json_int_t)c->id, "from",
                                        jstr(row, "from"), "to", jstr(row, "to"), "note", c->note));
        if (rc != DB_OK) t = tx_from_db(rc);
        else if (changed != 1) {
            c->err = ERR_REGION_CHANGE_DECIDED;
            t = TX_ROLLBACK;
        }
    } else {
        struct region_change ch;
        change_from_row(row, &ch);
        ch.approved_by = c->r->user.id;
        struct policy p;
        rc = policy_load(d, c->r->a, country, &p);
        if (rc != DB_OK) t = tx_from_db(rc);
        else if (p.state != ch.from) {
            c->err = ERR_REGION_STATE_MOVED;
            c->detail = arena_printf(c->r->a, "%s is %s now, not %s as when change %lld was proposed", country,
                                     region_state_name(p.state), region_state_name(ch.from), (long long)c->id);
            t = TX_ROLLBACK;
        } else if (ch.approved_by == ch.proposed_by) {
            c->err = ERR_REGION_SECOND_ADMIN;
            c->detail = arena_printf(c->r->a, "you proposed region change %lld; another admin must approve it",
                                     (long long)c->id);
            t = TX_ROLLBACK;
        } else {
            struct region_problem found[MAX_PROBLEMS];
            size_t n = region_change_check(&ch, REGION_CHECK_APPROVAL, c->now, found, MAX_PROBLEMS);
            for (size_t i = 0; i < n && i < MAX_PROBLEMS; i++) problem(&c->all, found[i].field, found[i].detail);
            if (c->all.n) {
                c->err = ERR_REGION_CHANGE_INVALID;
                t = TX_ROLLBACK;
            } else t = approve_apply(d, c, row, &ch, &p);
        }
    }
    json_decref(row);
    if (t != TX_COMMIT) return t;
    rc = change_load(d, c->id, &c->change);
    TX_CHECK(rc);
    return rc == DB_ROW ? TX_COMMIT : TX_FAIL;
}

static void decide(req *r, bool approve)
{
    struct decide_ctx c = {.r = r, .now = clock_now_ms(), .id = r->id, .approve = approve};
    if (r->body_len || !approve) {
        json_t *body;
        static const char *const keys[] = {"note", NULL};
        struct verr e;
        if (req_json_object(r, keys, &body) != RES_OK) return;
        if (!json_opt_string(body, "note", 2000, NULL, &c.note, &e)) {
            reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
            return;
        }
        if (!approve && text_blank(c.note)) {
            reply_error(r, ERR_INVALID_FIELD, "/note", "a rejection needs a note saying why");
            return;
        }
    }
    store_rc rc = store_run(r->db, true, decide_tx, &c);
    if (c.err == ERR_NOT_FOUND) {
        reply_error(r, ERR_NOT_FOUND, NULL, "no region change %lld", (long long)r->id);
        return;
    }
    if (c.err == ERR_REGION_CHANGE_INVALID) {
        reply_problems(r, c.err, &c.all);
        return;
    }
    if (c.err) {
        reply_error(r, c.err, c.err == ERR_REGION_SECOND_ADMIN ? "/approved_by" : NULL, "%s",
                    c.detail ? c.detail : "the change was decided meanwhile");
        return;
    }
    if (rc != STORE_OK) {
        json_decref(c.change);
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, c.change);
}

/* POST /api/v1/region-changes/{id}/approve (admin, not the proposer) {note?}: the change takes effect and every
 * worker of the country is notified, in one transaction. */
void region_changes_approve(req *r) { decide(r, true); }

/* POST /api/v1/region-changes/{id}/reject (admin) {note} */
void region_changes_reject(req *r) { decide(r, false); }

/* ---- jobs ---- */

struct close_ctx {
    arena *a;
    int64_t now, change_id;
    const char *country;
    json_t *due;
};

static tx_rc close_due_tx(db *d, void *vctx)
{
    struct close_ctx *c = vctx;
    json_decref(c->due);
    c->due = NULL;
    static const char *const cols[] = {"s:country", "i:change_id", NULL};
    TX_CHECK(store_rows_json(d, Q_REGION_CLOSE_DUE, (struct sql_arg[]){{.i = c->now}, {.i = 20}}, 2, cols, &c->due));
    return TX_COMMIT;
}

static tx_rc close_tx(db *d, void *vctx)
{
    struct close_ctx *c = vctx;
    json_t *row;
    db_rc rc = change_load(d, c->change_id, &row);
    TX_CHECK(rc);
    if (rc == DB_DONE) return TX_FAIL;
    struct region_change ch;
    change_from_row(row, &ch);
    int64_t approver = json_integer_value(json_object_get(row, "approved_by"));
    char *explanation = arena_strdup(c->a, jstr(row, "explanation"));
    ch.reason = arena_strdup(c->a, ch.reason);
    ch.basis_reference = arena_strdup(c->a, ch.basis_reference ? ch.basis_reference : "");
    json_decref(row);
    int64_t closing, changed = 0;
    rc = store_row_i64(d, Q_REGION_CLOSING_CHANGE, (struct sql_arg[]){{.i = c->change_id}, {.i = c->now}}, 2,
                       &closing, 1);
    TX_CHECK(rc);
    if (rc != DB_ROW) return TX_FAIL;
    struct sql_arg up[] = {{.text = c->country}, {.i = c->change_id}, {.i = closing}, {.i = c->now}};
    TX_CHECK(store_exec_args(d, Q_REGION_POLICY_CLOSE, up, 4, &changed));
    if (changed != 1) return TX_ROLLBACK; /* another server closed it, or it was called off */
    TX_CHECK(store_exec_args(d, Q_REGION_CHANGE_END,
                             (struct sql_arg[]){{.i = c->change_id}, {.text = "applied"}, {.i = c->now}}, 3, NULL));
    json_t *vars = notice_vars(c->country, REGION_CLOSED, explanation, ch.reason, ch.basis, ch.basis_reference,
                               ch.effective_at_ms, c->now);
    int64_t sent = 0;
    rc = notify_country(d, c->country, "region_closed", vars, c->now, &sent);
    json_decref(vars);
    TX_CHECK(rc);
    /* closing is the scheduled end of a change two humans approved: the audit names them */
    TX_CHECK(audit_region(d, c->now, 0, "region.closed", c->country,
                          json_pack("{s:I, s:I, s:I, s:I, s:o, s:o, s:I}", "change_id", (json_int_t)c->change_id,
                                    "closing_change_id", (json_int_t)closing, "proposed_by",
                                    (json_int_t)ch.proposed_by, "approved_by", (json_int_t)approver, "effective_at",
                                    json_time(ch.effective_at_ms), "payout_deadline",
                                    json_time(region_payout_deadline_ms(ch.effective_at_ms)), "notices",
                                    (json_int_t)sent)));
    return TX_COMMIT;
}

int job_region_close(db *d, const struct server_config *cfg, int64_t now)
{
    (void)cfg;
    arena *a = arena_new(4096);
    if (!a) return -1;
    struct close_ctx c = {.a = a, .now = now};
    int failed = 0;
    if (store_run(d, false, close_due_tx, &c) != STORE_OK) failed = -1;
    for (size_t i = 0; i < json_array_size(c.due); i++) {
        json_t *row = json_array_get(c.due, i);
        c.country = jstr(row, "country");
        c.change_id = json_integer_value(json_object_get(row, "change_id"));
        store_rc rc = store_run(d, true, close_tx, &c);
        if (rc != STORE_OK && rc != STORE_ABORTED) failed = -1;
    }
    json_decref(c.due);
    arena_free(a);
    return failed;
}

struct region_payout_ctx {
    int64_t now, worker, amount, from_user;
    const char *day, *country, *currency;
    json_t *due;
};

static tx_rc payout_due_tx(db *d, void *vctx)
{
    struct region_payout_ctx *c = vctx;
    json_decref(c->due);
    c->due = NULL;
    static const char *const cols[] = {"i:user", "s:country", "s:currency", "i:balance", NULL};
    struct sql_arg a[] = {{.text = c->day}, {.i = c->from_user}, {.i = 50}};
    TX_CHECK(store_rows_json(d, Q_REGION_PAYOUT_DUE, a, 3, cols, &c->due));
    return TX_COMMIT;
}

static tx_rc region_payout_tx(db *d, void *vctx)
{
    struct region_payout_ctx *c = vctx;
    char key[96];
    snprintf(key, sizeof key, "%lld:region:%s:%s", (long long)c->worker, c->day, c->currency);
    int64_t payout_id = 0;
    err_id err = ERR_NONE;
    tx_rc t = payout_request_in_tx(d, c->worker, c->currency, c->amount, key, "weekly", c->now, &payout_id, &err);
    bool no_method = t == TX_ROLLBACK && err == ERR_PAYOUT_METHOD_MISSING; /* nothing was written */
    if (t != TX_COMMIT && !no_method) return t;
    struct sql_arg rec[] = {{.text = c->country}, {.i = c->worker},
                            {.text = c->currency}, {.text = c->day},
                            {.i = c->amount},      {.text = no_method ? "no_method" : "requested"},
                            {.i = payout_id, .null = no_method}, {.i = c->now}};
    int64_t id;
    db_rc rc = store_row_i64(d, Q_REGION_PAYOUT_RECORD, rec, 8, &id, 1);
    TX_CHECK(rc);
    if (rc == DB_DONE) return TX_ROLLBACK; /* another server tried today */
    char amount[32];
    money_format_micros(c->amount, amount, sizeof amount);
    json_t *vars = json_pack("{s:s, s:s, s:s}", "country", c->country, "amount", amount, "currency", c->currency);
    rc = notice_send(d, c->worker, "payout", no_method ? "region_payout_method_missing" : "region_payout_requested",
                     vars, no_method ? "/worker#payouts" : "/worker#earnings", c->now);
    json_decref(vars);
    TX_CHECK(rc);
    return TX_COMMIT;
}

/* Workers of closed countries get every whole cent of their available money asked for, once per UTC day and
 * currency, without the payout minimum (FW-15: everything is paid out). Money approved later (pending answers
 * keep their review window) goes on a later day. Without a payout method they are told, and asked again the
 * next day. */
int job_region_payouts(db *d, const struct server_config *cfg, int64_t now)
{
    (void)cfg;
    static int64_t from_user; /* keyset cursor, as in the weekly job */
    char day[32];
    clock_iso8601(now, day, sizeof day);
    day[10] = '\0';
    struct region_payout_ctx c = {.now = now, .day = day, .from_user = from_user};
    if (store_run(d, false, payout_due_tx, &c) != STORE_OK) return -1;
    size_t n = json_array_size(c.due);
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *row = json_array_get(c.due, i);
        c.worker = json_integer_value(json_object_get(row, "user"));
        c.country = jstr(row, "country");
        c.currency = jstr(row, "currency");
        c.amount = json_integer_value(json_object_get(row, "balance")) / 10000 * 10000;
        from_user = c.worker;
        store_rc rc = store_run(d, true, region_payout_tx, &c);
        if (rc != STORE_OK && rc != STORE_ABORTED) failed = -1;
    }
    from_user = n < 50 ? 0 : from_user + 1;
    json_decref(c.due);
    return failed;
}

struct region_review_ctx {
    const struct pay_config *pay;
    int64_t now, id;
    arena *a;
};

static tx_rc region_approve_tx(db *d, void *vctx)
{
    struct region_review_ctx *c = vctx;
    struct assignment as;
    struct project p;
    db_rc rc = store_assignment_get(d, c->a, c->id, &as);
    TX_CHECK(rc);
    if (rc == DB_DONE) return TX_COMMIT;
    rc = store_project_get(d, c->a, as.project_id, false, &p);
    TX_CHECK(rc);
    if (rc == DB_DONE) return TX_COMMIT;
    /* a review that got there first already moved the money: then nothing happens here */
    rc = pay_on_decision(d, c->pay, &p, &as, true, 0, c->now);
    TX_CHECK(rc);
    if (rc == DB_DONE) return TX_COMMIT;
    TX_CHECK(store_exec_args(d, Q_ASSIGNMENT_SET_REVIEW_STATE,
                             (struct sql_arg[]){{.i = as.id}, {.text = "auto_approved"}}, 2, NULL));
    return TX_COMMIT;
}

/* Answers of a closed country's workers still pending review are approved at effective_at + 7 days, even when
 * their project's review window is longer, so the daily payout run pays them within the 14 days (FW-15). Held
 * answers (FW-4) are not pending and wait for their hold's decision or lapse. */
int job_region_review_deadline(db *d, const struct server_config *cfg, int64_t now)
{
    struct pay_config pay = {cfg->fee_bps, cfg->worker_fee_bps};
    json_t *rows = NULL;
    static const char *const cols[] = {"i:id", NULL};
    struct sql_arg args[] = {{.i = now - REGION_REVIEW_MS}, {.i = 200}};
    if (store_rows_json(d, Q_REGION_PENDING_DUE, args, 2, cols, &rows) != DB_OK) return -1;
    int failed = 0;
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        arena *a = arena_new(16384);
        if (!a) {
            failed = -1;
            break;
        }
        struct region_review_ctx c = {.pay = &pay, .now = now, .id = json_integer_value(json_object_get(row, "id")),
                                      .a = a};
        if (store_run(d, true, region_approve_tx, &c) != STORE_OK) failed = -1;
        arena_free(a);
    }
    json_decref(rows);
    return failed;
}
