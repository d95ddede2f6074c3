/* The quarterly pay report (FW-10: GET /api/v1/reports/pay, `fairlabel report pay`) and requester
 * accountability (FW-24: public metrics, flags raised by a periodic job and cleared by an admin). */
#include "api/reports.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/jobs.h"
#include "api/notice.h"
#include "api/wage_tables.h"
#include "core/validate.h"
#include "http/reply.h"
#include "util/clock.h"
#include "util/log.h"

/* ---- loading the report's rows ---- */

struct rows {
    struct pay_report_row *v;
    size_t n, cap;
};

static void rows_free(struct rows *r)
{
    free(r->v);
    memset(r, 0, sizeof *r);
}

/* Approved answers with approved_at in [from, to); names are copied into a. */
static db_rc rows_load(db *d, arena *a, int64_t from, int64_t to, struct rows *out)
{
    db_stmt *s = db_q(d, Q_PAY_REPORT_ROWS);
    if (!s) return DB_ERROR;
    db_bind_i64(s, 1, from);
    db_bind_i64(s, 2, to);
    db_rc rc;
    while ((rc = db_step(s)) == DB_ROW) {
        if (out->n == out->cap) {
            size_t cap = out->cap ? out->cap * 2 : 256;
            struct pay_report_row *v = realloc(out->v, cap * sizeof *v);
            if (!v) {
                db_reset(s);
                return DB_ERROR;
            }
            out->v = v;
            out->cap = cap;
        }
        struct pay_report_row *r = &out->v[out->n++];
        memset(r, 0, sizeof *r);
        r->assignment_id = db_col_i64(s, 0);
        r->worker_id = db_col_i64(s, 1);
        strncpy(r->country, db_col_text(s, 2), 2);
        r->project_id = db_col_i64(s, 3);
        r->project_name = arena_strdup(a, db_col_text(s, 4));
        strncpy(r->currency, db_col_text(s, 5), 3);
        r->requester_id = db_col_i64(s, 6);
        r->active_ms = db_col_i64(s, 7);
        r->topup_micros = db_col_i64(s, 9);
        r->earned_micros = db_col_i64(s, 8) + r->topup_micros;
        r->approved_at = db_col_i64(s, 10);
    }
    return rc == DB_DONE ? DB_OK : rc;
}

/* ---- FW-10: the report ---- */

struct report_ctx {
    struct pay_quarter q;
    json_t *out;
    arena *a;
};

static tx_rc report_tx(db *d, void *vctx)
{
    struct report_ctx *c = vctx;
    json_decref(c->out); /* a retried transaction starts over */
    c->out = NULL;
    struct wage_set ws;
    db_rc rc = wage_set_load(d, &ws);
    if (rc != DB_OK) return tx_from_db(rc == DB_DONE ? DB_ERROR : rc);
    struct pay_quarter first = c->q;
    for (int i = 1; i < PAY_REPORT_TREND; i++) first = pay_quarter_prev(first);
    struct rows rows = {0};
    rc = rows_load(d, c->a, first.start_ms, c->q.end_ms, &rows);
    if (rc != DB_OK) {
        rows_free(&rows);
        wage_set_free(&ws);
        return tx_from_db(rc);
    }
    struct pay_report_input in = {.quarter = c->q, .rows = rows.v, .n_rows = rows.n, .tables = &ws.t,
                                  .tables_version = ws.version,
                                  .platform_floor_usd_micros = wage_platform_floor_usd_micros()};
    c->out = pay_report_build(&in);
    rows_free(&rows);
    wage_set_free(&ws);
    return c->out ? TX_COMMIT : TX_FAIL;
}

store_rc pay_report_run(db *d, const struct pay_quarter *q, json_t **out)
{
    struct report_ctx c = {.q = *q, .a = arena_new(65536)};
    store_rc rc = store_run(d, false, report_tx, &c);
    arena_free(c.a);
    if (rc != STORE_OK) {
        json_decref(c.out);
        return rc;
    }
    *out = c.out;
    return STORE_OK;
}

char *pay_report_render(const json_t *report, const char *format)
{
    if (!strcmp(format, "json")) return pay_report_json_text(report);
    if (!strcmp(format, "csv")) return pay_report_csv(report);
    if (!strcmp(format, "html")) return pay_report_html(report);
    return NULL;
}

const char *pay_report_content_type(const char *format)
{
    return !strcmp(format, "csv") ? "text/csv; charset=utf-8"
           : !strcmp(format, "html") ? "text/html; charset=utf-8"
                                     : "application/json";
}

void report_reply(req *r, store_rc (*run)(db *d, const struct pay_quarter *q, json_t **out),
                  char *(*render)(const json_t *report, const char *format))
{
    const char *qs = req_query(r, "quarter"), *format = req_query(r, "format");
    struct pay_quarter q;
    if (!qs || !pay_quarter_parse(qs, &q)) {
        reply_error(r, ERR_BAD_QUERY, "quarter", "?quarter must be a quarter such as 2026Q3 (year from 1970, Q1 to Q4)");
        return;
    }
    if (!format) format = "json";
    if (strcmp(format, "json") && strcmp(format, "csv") && strcmp(format, "html")) {
        reply_error(r, ERR_BAD_QUERY, "format", "?format must be json, csv or html");
        return;
    }
    json_t *report;
    store_rc rc = run(r->db, &q, &report);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    char *text = render(report, format);
    json_decref(report);
    if (!text) {
        reply_error(r, ERR_INTERNAL, NULL, "out of memory rendering the report");
        return;
    }
    reply_bytes(r, 200, pay_report_content_type(format), text, strlen(text));
    free(text);
}

/* GET /api/v1/reports/pay?quarter=2026Q3&format=json|csv|html (admin). */
void reports_pay(req *r) { report_reply(r, pay_report_run, pay_report_render); }

/* ---- FW-24: requester metrics ---- */

struct samples {
    struct pay_sample *v;
    size_t n, cap;
};

static bool samples_push(struct samples *s, int64_t rate, int64_t weight)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        struct pay_sample *v = realloc(s->v, cap * sizeof *v);
        if (!v) return false;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = (struct pay_sample){rate, weight};
    return true;
}

struct requester_metric {
    int64_t id;
    const char *name;
    int64_t open_flag, since; /* since: start of the flag window (the window, or the last clearance) */
    int64_t decisions, rejections, f_decisions, f_rejections;
    int64_t *review_ms;
    size_t n_review, cap_review;
    struct samples pay, f_pay; /* USD per hour, weighted by active ms */
};

struct metrics {
    struct requester_metric *m;
    size_t n;
    int64_t platform_median_ppm, counted, floor_usd, window_start;
};

static void metrics_free(struct metrics *ms)
{
    for (size_t i = 0; i < ms->n; i++) {
        free(ms->m[i].review_ms);
        free(ms->m[i].pay.v);
        free(ms->m[i].f_pay.v);
    }
    free(ms->m);
    memset(ms, 0, sizeof *ms);
}

static struct requester_metric *metric_find(struct metrics *ms, int64_t id)
{
    size_t lo = 0, hi = ms->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ms->m[mid].id == id) return &ms->m[mid];
        if (ms->m[mid].id < id) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

static int64_t rate_ppm(int64_t part, int64_t whole) { return pay_share_ppm(part, whole); }

/* Reads every requester's figures over the window ending at now (inside a transaction). */
static db_rc metrics_load(db *d, arena *a, int64_t now, struct metrics *ms)
{
    memset(ms, 0, sizeof *ms);
    ms->window_start = now - REQUESTER_WINDOW_MS;
    ms->floor_usd = wage_platform_floor_usd_micros();
    db_stmt *s = db_q(d, Q_REQUESTERS_ALL);
    if (!s) return DB_ERROR;
    db_rc rc;
    size_t cap = 0;
    while ((rc = db_step(s)) == DB_ROW) {
        if (ms->n == cap) {
            cap = cap ? cap * 2 : 64;
            struct requester_metric *m = realloc(ms->m, cap * sizeof *m);
            if (!m) {
                db_reset(s);
                return DB_ERROR;
            }
            ms->m = m;
        }
        struct requester_metric *m = &ms->m[ms->n++];
        memset(m, 0, sizeof *m);
        m->id = db_col_i64(s, 0);
        m->name = arena_strdup(a, db_col_text(s, 1));
        m->since = ms->window_start;
    }
    if (rc != DB_DONE) return rc;
    s = db_q(d, Q_REQUESTER_FLAG_STATE);
    while ((rc = db_step(s)) == DB_ROW) {
        struct requester_metric *m = metric_find(ms, db_col_i64(s, 0));
        if (!m) continue;
        m->open_flag = db_col_i64(s, 1);
        if (db_col_i64(s, 2) >= m->since) m->since = db_col_i64(s, 2) + 1; /* evidence after the clearance only */
    }
    if (rc != DB_DONE) return rc;
    s = db_q(d, Q_REQUESTER_DECISIONS);
    db_bind_i64(s, 1, ms->window_start);
    while ((rc = db_step(s)) == DB_ROW) {
        struct requester_metric *m = metric_find(ms, db_col_i64(s, 0));
        if (!m) continue;
        int64_t submitted = db_col_i64(s, 1), decided = db_col_i64(s, 2);
        bool rejected = db_col_i64(s, 3) != 0;
        m->decisions++;
        m->rejections += rejected;
        if (decided >= m->since) {
            m->f_decisions++;
            m->f_rejections += rejected;
        }
        if (m->n_review == m->cap_review) {
            m->cap_review = m->cap_review ? m->cap_review * 2 : 16;
            int64_t *v = realloc(m->review_ms, m->cap_review * sizeof *v);
            if (!v) {
                db_reset(s);
                return DB_ERROR;
            }
            m->review_ms = v;
        }
        m->review_ms[m->n_review++] = decided > submitted ? decided - submitted : 0;
    }
    if (rc != DB_DONE) return rc;
    /* effective hourly pay of approved answers, in USD with the tables in force */
    struct wage_set ws;
    rc = wage_set_load(d, &ws);
    if (rc != DB_OK) return rc == DB_DONE ? DB_ERROR : rc;
    struct rows rows = {0};
    rc = rows_load(d, a, ms->window_start, now + 1, &rows);
    struct money_decimal one = money_decimal_one(), cur;
    for (size_t i = 0; rc == DB_OK && i < rows.n; i++) {
        const struct pay_report_row *r = &rows.v[i];
        struct requester_metric *m = metric_find(ms, r->requester_id);
        int64_t usd, rate;
        if (!m || r->active_ms <= 0 || !wage_usd_per_unit(&ws.t, r->currency, &cur) ||
            !money_convert(r->earned_micros, cur, one, &usd) ||
            !money_div_half_even((money_i128)usd * 3600000, r->active_ms, &rate))
            continue;
        if (!samples_push(&m->pay, rate, r->active_ms) ||
            (r->approved_at >= m->since && !samples_push(&m->f_pay, rate, r->active_ms)))
            rc = DB_ERROR;
    }
    rows_free(&rows);
    wage_set_free(&ws);
    if (rc != DB_OK) return rc;
    /* the platform's median rejection rate, over requesters with enough decisions to be judged */
    int64_t *rates = malloc((ms->n ? ms->n : 1) * sizeof *rates);
    if (!rates) return DB_ERROR;
    size_t k = 0;
    for (size_t i = 0; i < ms->n; i++)
        if (ms->m[i].decisions >= REQUESTER_MIN_DECISIONS) rates[k++] = rate_ppm(ms->m[i].rejections, ms->m[i].decisions);
    ms->counted = (int64_t)k;
    ms->platform_median_ppm = k ? pay_median_i64(rates, k) : 0;
    free(rates);
    return DB_OK;
}

static int64_t median_hourly(struct samples *s)
{
    pay_samples_sort(s->v, s->n);
    return pay_weighted_percentile(s->v, s->n, 50);
}

struct metrics_ctx {
    req *r;
    int64_t now;
    json_t *out;
    int flagged;
    const char *state, *note;
    int64_t requester_id;
    err_id err;
    const char *detail;
    arena *a;
};

static tx_rc metrics_tx(db *d, void *vctx)
{
    struct metrics_ctx *c = vctx;
    json_decref(c->out);
    c->out = NULL;
    struct metrics ms;
    db_rc rc = metrics_load(d, c->a, c->now, &ms);
    if (rc != DB_OK) {
        metrics_free(&ms);
        return tx_from_db(rc);
    }
    json_t *items = json_array();
    for (size_t i = 0; i < ms.n; i++) {
        struct requester_metric *m = &ms.m[i];
        json_array_append_new(
            items,
            json_pack("{s:I, s:s, s:I, s:I, s:o, s:o, s:I, s:o, s:b}", "requester_id", (json_int_t)m->id, "name",
                      m->name, "decisions", (json_int_t)m->decisions, "rejections", (json_int_t)m->rejections,
                      "rejection_rate_ppm", m->decisions ? json_integer(rate_ppm(m->rejections, m->decisions)) : json_null(),
                      "median_review_ms", m->n_review ? json_integer(pay_median_i64(m->review_ms, m->n_review)) : json_null(),
                      "answers_paid", (json_int_t)m->pay.n, "median_hourly_usd_micros",
                      m->pay.n ? json_integer(median_hourly(&m->pay)) : json_null(), "flagged", m->open_flag != 0));
    }
    c->out = json_pack("{s:i, s:{s:I, s:I, s:I, s:I, s:i, s:i}, s:o}", "window_days", 90, "platform",
                       "median_rejection_rate_ppm", (json_int_t)ms.platform_median_ppm, "requesters_counted",
                       (json_int_t)ms.counted, "platform_floor_usd_micros_per_hour", (json_int_t)ms.floor_usd,
                       "rejection_rate_floor_ppm", (json_int_t)REQUESTER_REJECT_FLOOR_PPM, "min_decisions",
                       REQUESTER_MIN_DECISIONS, "min_paid_answers", REQUESTER_MIN_PAID_ANSWERS, "items", items);
    metrics_free(&ms);
    return TX_COMMIT;
}

/* GET /api/v1/requesters/metrics (anyone signed in: workers choose whom to work for). */
void requesters_metrics(req *r)
{
    struct metrics_ctx c = {.r = r, .now = clock_now_ms(), .a = r->a};
    store_rc rc = store_run(r->db, false, metrics_tx, &c);
    if (rc != STORE_OK) {
        json_decref(c.out);
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, c.out);
}

/* ---- FW-24: flags ---- */

db_rc requester_flag_open(db *d, int64_t requester_id, int64_t *flag_id)
{
    return store_row_i64(d, Q_REQUESTER_FLAG_OPEN_OF, (struct sql_arg[]){{.i = requester_id}}, 1, flag_id, 1);
}

static tx_rc evaluate_tx(db *d, void *vctx)
{
    struct metrics_ctx *c = vctx;
    c->flagged = 0;
    struct metrics ms;
    db_rc rc = metrics_load(d, c->a, c->now, &ms);
    for (size_t i = 0; rc == DB_OK && i < ms.n; i++) {
        struct requester_metric *m = &ms.m[i];
        if (m->open_flag) continue;
        bool rejects = requester_rejects_far_above(m->f_decisions, m->f_rejections, ms.platform_median_ppm);
        int64_t hourly = m->f_pay.n ? median_hourly(&m->f_pay) : 0;
        bool underpays = requester_underpays((int64_t)m->f_pay.n, hourly, ms.floor_usd);
        if (!rejects && !underpays) continue;
        int64_t bound = 2 * ms.platform_median_ppm > REQUESTER_REJECT_FLOOR_PPM ? 2 * ms.platform_median_ppm
                                                                                : REQUESTER_REJECT_FLOOR_PPM;
        json_t *rules = json_array();
        if (rejects) json_array_append_new(rules, json_string("rejection_rate"));
        if (underpays) json_array_append_new(rules, json_string("underpay"));
        json_t *reasons = json_pack(
            "{s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:o}", "rules", rules, "since_ms", (json_int_t)m->since,
            "decisions", (json_int_t)m->f_decisions, "rejections", (json_int_t)m->f_rejections, "rejection_rate_ppm",
            (json_int_t)rate_ppm(m->f_rejections, m->f_decisions), "rejection_bound_ppm", (json_int_t)bound,
            "answers_paid", (json_int_t)m->f_pay.n, "median_hourly_usd_micros",
            m->f_pay.n ? json_integer(hourly) : json_null(), "platform_floor_usd_micros_per_hour",
            (json_int_t)ms.floor_usd, "platform_median_rejection_rate_ppm", json_integer(ms.platform_median_ppm));
        char *text = json_dumps(reasons, JSON_COMPACT);
        json_decref(reasons);
        if (!text) {
            rc = DB_ERROR;
            break;
        }
        char *detail = arena_strdup(c->a, text);
        free(text);
        int64_t changed = 0;
        rc = store_exec_args(d, Q_REQUESTER_FLAG_INSERT,
                             (struct sql_arg[]){{.i = m->id}, {.text = detail}, {.i = c->now}}, 3, &changed);
        if (rc != DB_OK || changed != 1) continue; /* another server flagged it first */
        rc = store_audit_append(d, c->now, 0, "requester.flagged", m->name, detail);
        if (rc == DB_OK) {
            /* the metric's name is the published one (GET /requesters/metrics), the same in every language */
            json_t *vars = json_pack("{s:s}", "metrics", rejects && underpays ? "rejection_rate_ppm + median_hourly_usd_micros"
                                                         : rejects            ? "rejection_rate_ppm"
                                                                              : "median_hourly_usd_micros");
            rc = vars ? notice_send(d, m->id, "requester_flagged", "requester_flagged", vars, "/requester", c->now)
                      : DB_ERROR;
            json_decref(vars);
        }
        c->flagged++;
    }
    metrics_free(&ms);
    return rc == DB_OK ? TX_COMMIT : tx_from_db(rc);
}

int requester_flags_evaluate(db *d, int64_t now, int *flagged)
{
    struct metrics_ctx c = {.now = now, .a = arena_new(65536)};
    store_rc rc = store_run(d, true, evaluate_tx, &c);
    arena_free(c.a);
    *flagged = c.flagged;
    return rc == STORE_OK ? 0 : -1;
}

int job_requester_flags(db *d, const struct server_config *cfg, int64_t now)
{
    (void)cfg;
    static int64_t last; /* one background thread per server */
    if (last && now >= last && now - last < REQUESTER_EVAL_INTERVAL_MS) return 0;
    last = now;
    int flagged;
    if (requester_flags_evaluate(d, now, &flagged)) {
        log_msg("requester flags: evaluation failed: %s", db_errmsg(d));
        return -1;
    }
    return 0;
}

static tx_rc flags_list_tx(db *d, void *vctx)
{
    struct metrics_ctx *c = vctx;
    static const char *const cols[] = {"i:id", "i:requester_id", "s:requester_name", "j:reasons", "s:state",
                                       "t:created_at", "i:cleared_by", "s:clear_note", "t:cleared_at", NULL};
    TX_CHECK(store_rows_json(d, Q_REQUESTER_FLAGS_LIST, (struct sql_arg[]){{.text = c->state}}, 1, cols, &c->out));
    return TX_COMMIT;
}

/* GET /api/v1/requester-flags?state=open|cleared|all (default open; admin). */
void requester_flags_list(req *r)
{
    struct metrics_ctx c = {.r = r, .state = "open"};
    const char *s = req_query(r, "state");
    if (s) {
        if (!strcmp(s, "all")) c.state = "";
        else if (!strcmp(s, "open") || !strcmp(s, "cleared")) c.state = s;
        else {
            reply_error(r, ERR_BAD_QUERY, "state", "?state must be open, cleared or all");
            return;
        }
    }
    store_rc rc = store_run(r->db, false, flags_list_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, json_pack("{s:o}", "items", c.out));
}

static tx_rc flag_clear_tx(db *d, void *vctx)
{
    struct metrics_ctx *c = vctx;
    req *r = c->r;
    int64_t f[3];
    db_rc rc = store_row_i64(d, Q_REQUESTER_FLAG_GET, (struct sql_arg[]){{.i = r->id}}, 1, f, 3);
    TX_CHECK(rc);
    if (rc == DB_DONE) {
        c->err = ERR_NOT_FOUND;
        c->detail = arena_printf(r->a, "no requester flag %lld", (long long)r->id);
        return TX_ROLLBACK;
    }
    int64_t changed = 0;
    TX_CHECK(store_exec_args(d, Q_REQUESTER_FLAG_CLEAR,
                             (struct sql_arg[]){{.i = r->id}, {.i = r->user.id}, {.text = c->note}, {.i = c->now}}, 4,
                             &changed));
    if (changed != 1) {
        c->err = ERR_FLAG_CLEARED;
        c->detail = arena_printf(r->a, "requester flag %lld was already cleared", (long long)r->id);
        return TX_ROLLBACK;
    }
    json_t *dj = json_pack("{s:I, s:I, s:s}", "flag_id", (json_int_t)r->id, "requester_id", (json_int_t)f[1], "note",
                           c->note);
    char *text = json_dumps(dj, JSON_COMPACT);
    json_decref(dj);
    if (!text) return TX_FAIL;
    char *detail = arena_strdup(r->a, text);
    free(text);
    TX_CHECK(store_audit_append(d, c->now, r->user.id, "requester_flag.cleared", arena_printf(r->a, "user:%lld", (long long)f[1]),
                                detail));
    json_t *vars = json_pack("{s:s}", "note", c->note);
    rc = vars ? notice_send(d, f[1], "requester_flag_cleared", "requester_flag_cleared", vars, "/requester", c->now)
              : DB_ERROR;
    json_decref(vars);
    TX_CHECK(rc);
    c->requester_id = f[1];
    return TX_COMMIT;
}

/* POST /api/v1/requester-flags/{id}/clear {note} (admin): the requester may publish again. */
void requester_flags_clear(req *r)
{
    struct metrics_ctx c = {.r = r, .now = clock_now_ms()};
    if (req_decision_body(r, NULL, NULL, NULL, NULL, &c.note) != RES_OK) return;
    store_rc rc = store_run(r->db, true, flag_clear_tx, &c);
    if (c.err) {
        reply_error(r, c.err, NULL, "%s", c.detail);
        return;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, json_pack("{s:I, s:I, s:s, s:s, s:I}", "id", (json_int_t)r->id, "requester_id",
                                 (json_int_t)c.requester_id, "state", "cleared", "clear_note", c.note, "cleared_by",
                                 (json_int_t)r->user.id));
}
