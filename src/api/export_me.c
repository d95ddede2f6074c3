/* The worker's own data export (FW-22): one ZIP with JSON and CSV of their answers, reviews, earnings lines,
 * decisions, appeals and tickets; available at any time, including while suspended or deactivated. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "http/reply.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/zipstream.h"

#define EXPORT_MAX_BYTES (256u * 1024 * 1024) /* the archive; a worker's history is far smaller */
#define EXPORT_PAGE 1000

static const char *const answer_cols[] = {"i:assignment_id", "i:task_id", "i:project_id", "s:project_name", "s:state",
                                          "t:leased_at", "T:submitted_at", "j:answer", "s:review_state", "s:pay_state",
                                          "i:reward_micros", "s:currency", NULL};
static const char *const review_cols[] = {"i:assignment_id", "s:decision", "s:reason_code", "s:note", "t:created_at",
                                          NULL};
static const char *const earning_cols[] = {"i:tx_id", "s:cause", "i:cause_id", "s:currency", "s:memo", "i:gross_micros",
                                           "i:fee_micros", "i:net_micros", "t:created_at", "i:pending_change_micros",
                                           "i:available_change_micros", "-", NULL};
static const char *const decision_cols[] = {
    "i:id", "s:kind", "-", "s:rule", "s:evidence", "s:signal", "i:decided_by", "i:assignment_id", "i:hold_id",
    "i:restriction_id", "s:state", "t:created_at", "t:appeal_deadline", "i:appeal_id", "s:appeal_state", "-", "-",
    "-", "-", "-", "-", NULL};
static const char *const appeal_cols[] = {"i:id", "i:decision_id", "-", "-", "s:statement", "s:state", "i:decided_by",
                                          "s:note", "t:created_at", "t:due_at", "T:decided_at", "s:decision_kind",
                                          "s:rule", "-", "-", "-", "-", "-", NULL};
static const char *const ticket_cols[] = {"i:ticket_id", "s:category", "s:subject", "s:state", "t:created_at",
                                          "T:resolved_at", "i:message_id", "b:from_staff", "s:message", "T:message_at",
                                          NULL};

struct export_ctx {
    req *r;
    json_t *answers, *reviews, *earnings, *decisions, *appeals, *tickets;
};

static void export_free(struct export_ctx *c)
{
    json_decref(c->answers);
    json_decref(c->reviews);
    json_decref(c->earnings);
    json_decref(c->decisions);
    json_decref(c->appeals);
    json_decref(c->tickets);
    c->answers = c->reviews = c->earnings = c->decisions = c->appeals = c->tickets = NULL;
}

static tx_rc export_tx(db *d, void *vctx)
{
    struct export_ctx *c = vctx;
    int64_t me = c->r->user.id;
    export_free(c); /* a retried transaction starts over */
    c->answers = json_array();
    c->earnings = json_array();
    for (int64_t after = 0;;) { /* keyset pages, oldest first */
        json_t *page;
        TX_CHECK(store_rows_json(d, Q_EXPORT_ANSWERS, (struct sql_arg[]){{.i = me}, {.i = after}, {.i = EXPORT_PAGE}},
                                 3, answer_cols, &page));
        size_t n = json_array_size(page);
        if (n) after = json_integer_value(json_object_get(json_array_get(page, n - 1), "assignment_id"));
        json_array_extend(c->answers, page);
        json_decref(page);
        if (n < EXPORT_PAGE) break;
    }
    for (int64_t before = INT64_MAX;;) { /* newest first, as the ledger lists them */
        json_t *page;
        TX_CHECK(store_rows_json(d, Q_LEDGER_LINES_OF, (struct sql_arg[]){{.i = me}, {.i = before}, {.i = EXPORT_PAGE}},
                                 3, earning_cols, &page));
        size_t n = json_array_size(page);
        if (n) before = json_integer_value(json_object_get(json_array_get(page, n - 1), "tx_id"));
        json_array_extend(c->earnings, page);
        json_decref(page);
        if (n < EXPORT_PAGE) break;
    }
    TX_CHECK(store_rows_json(d, Q_EXPORT_REVIEWS, (struct sql_arg[]){{.i = me}}, 1, review_cols, &c->reviews));
    TX_CHECK(store_rows_json(d, Q_DECISIONS_OF_WORKER, (struct sql_arg[]){{.i = me}, {.i = INT64_MAX}, {.i = 100000}}, 3,
                             decision_cols, &c->decisions));
    TX_CHECK(store_rows_json(d, Q_APPEALS_OF_WORKER, (struct sql_arg[]){{.i = me}}, 1, appeal_cols, &c->appeals));
    TX_CHECK(store_rows_json(d, Q_EXPORT_TICKETS, (struct sql_arg[]){{.i = me}}, 1, ticket_cols, &c->tickets));
    return TX_COMMIT;
}

/* One CSV field (RFC 4180); a text starting like a spreadsheet formula gets a leading apostrophe. */
static int csv_value(buf *b, json_t *v)
{
    if (!v || json_is_null(v)) return 0;
    if (json_is_integer(v)) return buf_printf(b, "%lld", (long long)json_integer_value(v));
    if (json_is_true(v)) return buf_adds(b, "true");
    if (json_is_false(v)) return buf_adds(b, "false");
    char *dumped = NULL;
    const char *s = json_is_string(v) ? json_string_value(v) : (dumped = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY));
    if (!s) return -1;
    int rc = buf_adds(b, "\"");
    if (!rc && strchr("=+-@\t\r", *s) && *s) rc = buf_adds(b, "'");
    for (const char *p = s; !rc && *p; p++) rc = *p == '"' ? buf_adds(b, "\"\"") : buf_add(b, p, 1);
    if (!rc) rc = buf_adds(b, "\"");
    free(dumped);
    return rc;
}

/* The rows (objects with the names of cols, in that order) as CSV with a header line. */
static int csv_of(buf *b, json_t *rows, const char *const *cols)
{
    int rc = 0;
    bool first = true;
    for (const char *const *c = cols; *c && !rc; c++) {
        if (!strcmp(*c, "-")) continue;
        rc = buf_printf(b, "%s%s", first ? "" : ",", *c + 2);
        first = false;
    }
    if (!rc) rc = buf_adds(b, "\r\n");
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        first = true;
        for (const char *const *c = cols; *c && !rc; c++) {
            if (!strcmp(*c, "-")) continue;
            if (!first) rc = buf_adds(b, ",");
            if (!rc) rc = csv_value(b, json_object_get(row, *c + 2));
            first = false;
        }
        if (!rc) rc = buf_adds(b, "\r\n");
    }
    return rc;
}

static int zip_sink(void *ctx, const void *p, size_t n) { return buf_add(ctx, p, n); }

static int zip_member(zipw *z, const char *name, const char *data, size_t len)
{
    if (zipw_begin_file(z, name) || zipw_write(z, data, len)) return -1;
    return zipw_end_file(z);
}

/* Adds name.json and name.csv of rows. */
static int zip_table(zipw *z, const char *name, json_t *rows, const char *const *cols)
{
    char fname[64];
    char *json = json_dumps(rows, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!json) return -1;
    snprintf(fname, sizeof fname, "%s.json", name);
    int rc = zip_member(z, fname, json, strlen(json));
    free(json);
    if (rc) return rc;
    buf csv;
    buf_init(&csv, EXPORT_MAX_BYTES);
    rc = csv_of(&csv, rows, cols);
    snprintf(fname, sizeof fname, "%s.csv", name);
    if (!rc) rc = zip_member(z, fname, csv.data ? csv.data : "", csv.len);
    buf_free(&csv);
    return rc;
}

static const char readme[] =
    "Your data from fairlabel (FW-22), as JSON and as CSV (one file of each per table).\n"
    "answers: every task you claimed, with your answer as you submitted it, its review state and pay state.\n"
    "reviews: the reviews of your answers, with the reason code and the reviewer's note.\n"
    "earnings: every ledger transaction that touched your accounts, with gross, fee and net, and how much it\n"
    "  changed your pending and available balances (amounts in micro-units of the currency).\n"
    "decisions: the adverse decisions about your work or account, with the rule, the evidence and the appeal.\n"
    "appeals: your appeals and their outcomes.\n"
    "tickets: your support tickets and their messages.\n"
    "Times are UTC (ISO 8601).\n";

/* GET /api/v1/me/export: the ZIP, built in one read transaction. */
void me_export(req *r)
{
    struct export_ctx c = {.r = r};
    store_rc rc = store_run(r->db, false, export_tx, &c);
    if (rc != STORE_OK) {
        export_free(&c);
        reply_store_failure(r, rc);
        return;
    }
    buf out;
    buf_init(&out, EXPORT_MAX_BYTES);
    int64_t now = clock_now_ms();
    zipw *z = zipw_new(zip_sink, &out, now / 1000);
    int fail = !z || zip_member(z, "README.txt", readme, sizeof readme - 1) ||
               zip_table(z, "answers", c.answers, answer_cols) || zip_table(z, "reviews", c.reviews, review_cols) ||
               zip_table(z, "earnings", c.earnings, earning_cols) ||
               zip_table(z, "decisions", c.decisions, decision_cols) ||
               zip_table(z, "appeals", c.appeals, appeal_cols) || zip_table(z, "tickets", c.tickets, ticket_cols) ||
               zipw_finish(z);
    zipw_free(z);
    export_free(&c);
    if (fail) {
        buf_free(&out);
        reply_error(r, ERR_INTERNAL, NULL, "the export could not be written");
        return;
    }
    char disposition[96];
    char day[32];
    clock_iso8601(now, day, sizeof day);
    day[10] = '\0';
    snprintf(disposition, sizeof disposition, "attachment; filename=\"fairlabel-export-%s.zip\"", day);
    evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Content-Disposition", disposition);
    reply_bytes(r, 200, "application/zip", out.data, out.len);
    buf_free(&out);
}
