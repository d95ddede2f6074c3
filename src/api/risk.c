/* The per-account risk score (FW-25): signals recorded at sign-in, a periodic evaluation that only proposes a
 * step-up or a lower tier for a human to decide, and the routes that show the rules and the scores. */
#include "api/risk.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/jobs.h"
#include "http/reply.h"
#include "util/clock.h"
#include "util/log.h"

enum { RISK_EVAL_INTERVAL_MS = 60000, RISK_BATCH = 50, RISK_WINDOW_MS = 7 * 24 * 3600 * 1000 };

/* Hex of BLAKE2b-256 keyed with the server's secret: equal inputs match, the raw value is not recoverable. */
static void keyed_hash(const unsigned char key[32], const char *domain, const char *in, char out[65])
{
    crypto_generichash_state st;
    unsigned char h[32];
    crypto_generichash_init(&st, key, 32, sizeof h);
    crypto_generichash_update(&st, (const unsigned char *)domain, strlen(domain) + 1);
    crypto_generichash_update(&st, (const unsigned char *)in, strlen(in));
    crypto_generichash_final(&st, h, sizeof h);
    sodium_bin2hex(out, 65, h, sizeof h);
}

static bool is_hex64(const char *s)
{
    if (!s || strlen(s) != 64) return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F'))) return false;
    return true;
}

struct login_sig {
    int64_t user_id, now;
    const char *country, *ip_hash, *device_hash;
};

static tx_rc login_sig_tx(db *d, void *vctx)
{
    struct login_sig *c = vctx;
    struct sql_arg a[] = {{.i = c->user_id}, {.i = c->now}, {.text = c->country, .null = !c->country},
                          {.text = c->ip_hash}, {.text = c->device_hash, .null = !c->device_hash}};
    TX_CHECK(store_exec_args(d, Q_RISK_LOGIN_ADD, a, 5, NULL));
    return TX_COMMIT;
}

void risk_record_login(req *r, int64_t user_id, int64_t now)
{
    char ip[65], dev[65];
    struct login_sig c = {.user_id = user_id, .now = now, .ip_hash = ip};
    keyed_hash(r->cfg->secret_key, "risk-ip", r->client_addr ? r->client_addr : "", ip);
    const char *device = req_header(r, "X-Device-Id");
    if (is_hex64(device)) {
        keyed_hash(r->cfg->secret_key, "risk-device", device, dev);
        c.device_hash = dev;
    }
    /* Only a proxy we are told to trust sets the country; without the setting nothing is recorded. */
    const char *hname = getenv("FAIRLABEL_COUNTRY_HEADER");
    const char *cc = hname && *hname ? req_header(r, hname) : NULL;
    if (cc && strlen(cc) == 2 && cc[0] >= 'A' && cc[0] <= 'Z' && cc[1] >= 'A' && cc[1] <= 'Z') c.country = cc;
    if (store_run(r->db, true, login_sig_tx, &c) != STORE_OK)
        log_msg("risk: recording the sign-in of user %lld failed: %s", (long long)user_id, db_errmsg(r->db));
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static db_rc count1(db *d, query_id q, int64_t user_id, int64_t *out)
{
    int64_t v[1] = {0};
    db_rc rc = store_row_i64(d, q, (struct sql_arg[]){{.i = user_id}}, 1, v, 1);
    if (rc != DB_ROW && rc != DB_DONE) return rc;
    *out = v[0] < 0 ? 0 : v[0];
    return DB_OK;
}

static db_rc gather(db *d, int64_t user_id, int64_t now, struct risk_signals *s)
{
    int64_t v[2] = {0, 0}, n = 0;
    db_rc rc = store_row_i64(d, Q_RISK_GOLD, (struct sql_arg[]){{.i = user_id}}, 1, v, 2);
    if (rc != DB_ROW && rc != DB_DONE) return rc;
    s->gold_answers = (int)v[0];
    s->gold_correct = (int)v[1];
    rc = store_row_i64(d, Q_RISK_COPIES, (struct sql_arg[]){{.i = user_id}}, 1, v, 2);
    if (rc != DB_ROW && rc != DB_DONE) return rc;
    s->free_text_answers = (int)v[0];
    s->copied_answers = (int)v[1];
    if ((rc = count1(d, Q_RISK_DEVICE_ACCOUNTS, user_id, &n)) != DB_OK) return rc;
    s->device_accounts = (int)n;
    if ((rc = count1(d, Q_RISK_IP_ACCOUNTS, user_id, &n)) != DB_OK) return rc;
    s->ip_accounts = (int)n;
    int64_t c[1] = {0};
    rc = store_row_i64(d, Q_RISK_COUNTRIES, (struct sql_arg[]){{.i = user_id}, {.i = now - RISK_WINDOW_MS}}, 2, c, 1);
    if (rc != DB_ROW && rc != DB_DONE) return rc;
    s->login_countries_7d = (int)c[0];
    /* Medians of the last 50 timed answers and of their projects' medians. */
    db_stmt *st = db_q(d, Q_RISK_ACTIVE);
    db_bind_i64(st, 1, user_id);
    int64_t mine[50], norm[50];
    int k = 0;
    while ((rc = db_step(st)) == DB_ROW && k < 50) {
        mine[k] = db_col_i64(st, 0);
        norm[k] = db_col_i64(st, 1);
        k++;
    }
    db_reset(st);
    if (rc != DB_DONE && rc != DB_ROW) return rc;
    s->answers = k;
    if (k) {
        qsort(mine, (size_t)k, sizeof *mine, cmp_i64);
        qsort(norm, (size_t)k, sizeof *norm, cmp_i64);
        s->median_active_ms = mine[k / 2];
        s->norm_active_ms = norm[k / 2];
    }
    return DB_OK;
}

/* Proposes the action as a quality event in the worker's latest project, unless one is open already; nothing
 * changes for the worker until a human approves it. */
static db_rc apply_action(db *d, int64_t user_id, const struct risk_result *res, const char *fired, int64_t now,
                          int64_t *event_id)
{
    *event_id = 0;
    if (res->action == RISK_ACTION_NONE) return DB_OK;
    int64_t p[1];
    db_rc rc = store_row_i64(d, Q_RISK_LATEST_PROJECT, (struct sql_arg[]){{.i = user_id}}, 1, p, 1);
    if (rc == DB_DONE) return DB_OK; /* no project to act in yet */
    if (rc != DB_ROW) return rc;
    int64_t one[1];
    rc = store_row_i64(d, Q_QUALITY_EVENT_RECENT, (struct sql_arg[]){{.i = p[0]}, {.i = user_id}, {.text = "risk_score"}},
                       3, one, 1);
    if (rc == DB_ROW) return DB_OK;
    if (rc != DB_DONE) return rc;
    bool lower = res->action == RISK_ACTION_LOWER_TIER;
    if (lower) { /* already in the reviewed tier there (a human approved it before): nothing to propose */
        int64_t q[4] = {0, 0, 1000000, 0};
        rc = store_row_i64(d, Q_WORKER_QUALITY_GET, (struct sql_arg[]){{.i = p[0]}, {.i = user_id}}, 2, q, 4);
        if (rc != DB_ROW && rc != DB_DONE) return rc;
        if (q[3] >= 1) return DB_OK;
    }
    char detail[512];
    /* both actions are proposals: a human approving one puts it in effect (quality-events decide) */
    snprintf(detail, sizeof detail, "{\"reads\":\"risk_score\",\"score\":%d,\"fired\":\"%s\",\"in_effect\":false}",
             res->score, fired);
    struct sql_arg ev[] = {{.i = p[0]},          {.i = user_id}, {.text = "risk_score"},
                           {.text = lower ? "lower_tier" : "require_requalification"},
                           {.text = detail}, {.i = now}};
    int64_t id[1];
    rc = store_row_i64(d, Q_QUALITY_EVENT_ADD, ev, 6, id, 1);
    if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
    *event_id = id[0];
    char audit[768];
    snprintf(audit, sizeof audit, "{\"worker_id\":%lld,\"project_id\":%lld,\"quality_event_id\":%lld,\"score\":%d,"
                                  "\"fired\":\"%s\",\"action\":\"%s\"}",
             (long long)user_id, (long long)p[0], (long long)id[0], res->score, fired, risk_action_name(res->action));
    return store_audit_append(d, now, 0, lower ? "risk.lower_tier" : "risk.step_up", "risk", audit);
}

db_rc risk_evaluate(db *d, int64_t user_id, int64_t now, struct risk_result *out)
{
    struct risk_signals s = {0};
    db_rc rc = gather(d, user_id, now, &s);
    if (rc != DB_OK) return rc;
    risk_score(&s, out);
    char fired[256];
    risk_fired_names(out->fired, fired, sizeof fired);
    /* A change in what fired is audited, so the log shows every firing without one row a minute. */
    json_t *prev;
    rc = store_rows_json(d, Q_RISK_SCORE_GET, (struct sql_arg[]){{.i = user_id}}, 1,
                         (const char *const[]){"i:user_id", "i:score", "s:fired", NULL}, &prev);
    if (rc != DB_OK) return rc;
    json_t *row = json_array_get(prev, 0);
    const char *was = row ? json_string_value(json_object_get(row, "fired")) : "";
    bool changed = strcmp(was ? was : "", fired) != 0;
    json_decref(prev);
    int64_t event_id = 0;
    if ((rc = apply_action(d, user_id, out, fired, now, &event_id)) != DB_OK) return rc;
    char sig[512];
    snprintf(sig, sizeof sig,
             "{\"gold_answers\":%d,\"gold_correct\":%d,\"timed_answers\":%d,\"median_active_ms\":%lld,"
             "\"norm_active_ms\":%lld,\"device_accounts\":%d,\"free_text_answers\":%d,\"copied_answers\":%d,"
             "\"login_countries_7d\":%d,\"ip_accounts\":%d}",
             s.gold_answers, s.gold_correct, s.answers, (long long)s.median_active_ms, (long long)s.norm_active_ms,
             s.device_accounts, s.free_text_answers, s.copied_answers, s.login_countries_7d, s.ip_accounts);
    struct sql_arg put[] = {{.i = user_id}, {.i = out->score}, {.text = fired}, {.text = risk_action_name(out->action)},
                            {.text = sig},  {.i = now},        {.i = event_id, .null = !event_id}};
    if ((rc = store_exec_args(d, Q_RISK_SCORE_PUT, put, 7, NULL)) != DB_OK) return rc;
    if (changed && out->fired) {
        char audit[1024];
        snprintf(audit, sizeof audit, "{\"worker_id\":%lld,\"score\":%d,\"fired\":\"%s\",\"action\":\"%s\",\"signals\":%s}",
                 (long long)user_id, out->score, fired, risk_action_name(out->action), sig);
        rc = store_audit_append(d, now, 0, "risk.score", "risk", audit);
    }
    return rc;
}

struct eval_ctx {
    int64_t after, now, last_id;
    int n;
};

static tx_rc eval_batch_tx(db *d, void *vctx)
{
    struct eval_ctx *c = vctx;
    json_t *ids;
    TX_CHECK(store_rows_json(d, Q_RISK_WORKERS_PAGE, (struct sql_arg[]){{.i = c->after}, {.i = RISK_BATCH}}, 2,
                             (const char *const[]){"i:id", NULL}, &ids));
    c->n = (int)json_array_size(ids);
    c->last_id = c->after;
    for (size_t i = 0; i < json_array_size(ids); i++) {
        int64_t id = json_integer_value(json_object_get(json_array_get(ids, i), "id"));
        struct risk_result res;
        db_rc rc = risk_evaluate(d, id, c->now, &res);
        if (rc != DB_OK) {
            json_decref(ids);
            TX_CHECK(rc);
        }
        c->last_id = id;
    }
    json_decref(ids);
    return TX_COMMIT;
}

int job_risk_scores(db *d, const struct server_config *cfg, int64_t now)
{
    (void)cfg;
    static int64_t pass_started, cursor; /* one background thread per server */
    if (!cursor && pass_started && now >= pass_started && now - pass_started < RISK_EVAL_INTERVAL_MS) return 0;
    if (!cursor) pass_started = now;
    struct eval_ctx c = {.after = cursor, .now = now};
    if (store_run(d, true, eval_batch_tx, &c) != STORE_OK) {
        log_msg("risk: evaluation failed: %s", db_errmsg(d));
        return -1;
    }
    cursor = c.n < RISK_BATCH ? 0 : c.last_id;
    return 0;
}

static json_t *rule_json(int id)
{
    return json_pack("{s:s, s:s, s:s, s:i}", "id", risk_rules[id].id, "reads", risk_rules[id].reads, "threshold",
                     risk_rules[id].threshold, "points", risk_rules[id].points);
}

static json_t *actions_json(void)
{
    return json_pack("[{s:s, s:i, s:s}, {s:s, s:i, s:s}]", "action", "step_up", "at_score", RISK_STEP_UP_AT, "effect",
                     "a step-up is proposed in the worker's latest project; nothing changes until a human approves it, "
                     "choosing a re-qualification (an appealable qualification_removal decision when it takes a "
                     "passed test away) or an email re-verification",
                     "action", "lower_tier", "at_score", RISK_LOWER_TIER_AT, "effect",
                     "a reviewed tier is proposed in the worker's latest project; only when a human approves it is "
                     "every later answer there reviewed, as an appealable review_tier decision");
}

/* GET /api/v1/risk/rules (public, FW-26). */
void risk_rules_list(req *r)
{
    json_t *rules = json_array();
    for (int id = 0; id < RISK_RULES; id++) json_array_append_new(rules, rule_json(id));
    reply_json(r, 200, json_pack("{s:o, s:o, s:s}", "rules", rules, "actions", actions_json(), "never",
                                 "a risk score never suspends, restricts, holds pay or deactivates an account; a "
                                 "shared IP address alone weighs nothing"));
}

struct show_ctx {
    int64_t user_id;
    bool exists;
    json_t *row;
};

static tx_rc show_tx(db *d, void *vctx)
{
    struct show_ctx *c = vctx;
    int64_t u[1];
    db_rc rc = store_row_i64(d, Q_USER_BY_ID, (struct sql_arg[]){{.i = c->user_id}}, 1, u, 1);
    if (rc != DB_ROW && rc != DB_DONE) TX_CHECK(rc);
    c->exists = rc == DB_ROW;
    if (!c->exists) return TX_COMMIT;
    static const char *const cols[] = {"i:user_id",    "i:score",           "s:fired",       "s:action", "j:signals",
                                       "t:evaluated_at", "i:quality_event_id", "s:effect_state", NULL};
    json_t *rows;
    TX_CHECK(store_rows_json(d, Q_RISK_SCORE_GET, (struct sql_arg[]){{.i = c->user_id}}, 1, cols, &rows));
    c->row = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    return TX_COMMIT;
}

static void reply_score(req *r, int64_t user_id)
{
    struct show_ctx c = {.user_id = user_id};
    store_rc rc = store_run(r->db, false, show_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    if (!c.exists) {
        reply_error(r, ERR_NOT_FOUND, NULL, "no user %lld", (long long)user_id);
        return;
    }
    json_t *out = json_pack("{s:I, s:i, s:s, s:o, s:o, s:n, s:n, s:o}", "user_id", (json_int_t)user_id, "score", 0,
                            "action", "none", "fired", json_array(), "signals", json_object(), "evaluated_at",
                            "effect", "actions", actions_json());
    if (c.row) {
        json_object_set(out, "score", json_object_get(c.row, "score"));
        json_object_set(out, "action", json_object_get(c.row, "action"));
        json_object_set(out, "signals", json_object_get(c.row, "signals"));
        json_object_set(out, "evaluated_at", json_object_get(c.row, "evaluated_at"));
        const char *fired = json_string_value(json_object_get(c.row, "fired"));
        json_t *list = json_object_get(out, "fired");
        for (int id = 0; id < RISK_RULES; id++)
            if (risk_fired_has(fired, (enum risk_rule_id)id)) json_array_append_new(list, rule_json(id));
        int64_t ev = json_integer_value(json_object_get(c.row, "quality_event_id"));
        if (ev)
            json_object_set_new(out, "effect",
                                json_pack("{s:I, s:O}", "quality_event_id", (json_int_t)ev, "state",
                                          json_object_get(c.row, "effect_state")));
        json_decref(c.row);
    }
    reply_json(r, 200, out);
}

/* GET /api/v1/users/{id}/risk (admin). */
void users_risk_get(req *r) { reply_score(r, r->id); }

/* GET /api/v1/me/risk: the worker's own score and the rules that raised it. */
void me_risk(req *r) { reply_score(r, r->user.id); }
