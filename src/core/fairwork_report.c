/* The quarterly Fairwork self-assessment (FW-27): figures in, items with pass / fail / no data out. */
#include "core/fairwork_report.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <stdio.h>
#include "util/buf.h"

#define FW_TEXT_MAX (4u << 20)

static int i64_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The lower percentile: the least k with 100 × k >= pct × n (as pay_weighted_percentile, weights 1). */
static int64_t lower_pct(const int64_t *v, size_t n, int pct)
{
    size_t k = 1;
    while (100 * (uint64_t)k < (uint64_t)pct * n) k++;
    return v[k - 1];
}

json_t *fairwork_durations_json(struct fw_durations *d, int64_t within_ms)
{
    if (d->n) qsort(d->v, d->n, sizeof *d->v, i64_cmp);
    size_t within = 0;
    for (size_t i = 0; i < d->n; i++)
        if (d->v[i] <= within_ms) within++;
    json_t *o = json_object();
    json_object_set_new(o, "count", json_integer((json_int_t)d->n));
    json_object_set_new(o, "p50_ms", d->n ? json_integer(lower_pct(d->v, d->n, 50)) : json_null());
    json_object_set_new(o, "p90_ms", d->n ? json_integer(lower_pct(d->v, d->n, 90)) : json_null());
    json_object_set_new(o, "max_ms", d->n ? json_integer(d->v[d->n - 1]) : json_null());
    json_object_set_new(o, "within_target", json_integer((json_int_t)within));
    json_object_set_new(o, "within_target_ppm",
                        d->n ? json_integer(pay_share_ppm((int64_t)within, (int64_t)d->n)) : json_null());
    return o;
}

static const char *status_of(bool data, bool pass) { return !data ? "no_data" : pass ? "pass" : "fail"; }

static void item(json_t *items, const char *rule, const char *id, const char *title, const char *status,
                 const char *target, json_t *value)
{
    json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "rule", rule, "item", id, "title", title,
                                           "status", status, "target", target, "value", value));
}

static json_t *share_or_null(int64_t part, int64_t whole)
{
    return whole > 0 ? json_integer(pay_share_ppm(part, whole)) : json_null();
}

json_t *fairwork_report_build(struct fairwork_input *in)
{
    json_t *report = json_object(), *items = json_array();
    char date[16];
    struct wage_date d0 = wage_date_from_unix(in->quarter.start_ms / 1000),
                     d1 = wage_date_from_unix((in->quarter.end_ms - 1) / 1000);
    json_object_set_new(report, "report", json_string("fairwork"));
    json_object_set_new(report, "quarter", json_string(in->quarter.label));
    snprintf(date, sizeof date, "%04d-%02d-%02d", d0.year % 10000, d0.month % 100, d0.day % 100);
    json_object_set_new(report, "from", json_string(date));
    snprintf(date, sizeof date, "%04d-%02d-%02d", d1.year % 10000, d1.month % 100, d1.day % 100);
    json_object_set_new(report, "to", json_string(date));

    json_t *v = fairwork_durations_json(&in->approval, FW_REVIEW_MAX_MS);
    json_object_set_new(v, "auto_approved", json_integer(in->auto_approved));
    item(items, "FW-2", "approval_latency", "Answers approved within the review window (submit to approval)",
         status_of(in->approval.n > 0, in->approval.n == 0 || in->approval.v[in->approval.n - 1] <= FW_REVIEW_MAX_MS),
         "every answer approved within 14 days", v);

    item(items, "FW-4", "rejection_holds", "Held mass rejections decided by a human",
         status_of(in->holds > 0, in->holds_late == 0), "every held rejection decided within 14 days",
         json_pack("{s:I, s:I, s:I, s:I, s:I}", "held", (json_int_t)in->holds, "open", (json_int_t)in->holds_open,
                   "upheld", (json_int_t)in->holds_upheld, "overturned", (json_int_t)in->holds_overturned,
                   "late", (json_int_t)in->holds_late));

    item(items, "FW-5", "hours_at_minimum", "Worker-hours paid at or above the legal minimum wage",
         status_of(in->min_benchmarked_ms > 0, in->below_min_ms == 0), "100% of benchmarked worker-hours",
         json_pack("{s:I, s:I, s:o}", "benchmarked_ms", (json_int_t)in->min_benchmarked_ms, "below_ms",
                   (json_int_t)in->below_min_ms, "at_or_above_ppm",
                   share_or_null(in->min_benchmarked_ms - in->below_min_ms, in->min_benchmarked_ms)));
    item(items, "FW-10", "hours_at_living", "Worker-hours paid at or above the living wage",
         status_of(in->living_benchmarked_ms > 0, in->below_living_ms == 0), "100% of benchmarked worker-hours",
         json_pack("{s:I, s:I, s:o}", "benchmarked_ms", (json_int_t)in->living_benchmarked_ms, "below_ms",
                   (json_int_t)in->below_living_ms, "at_or_above_ppm",
                   share_or_null(in->living_benchmarked_ms - in->below_living_ms, in->living_benchmarked_ms)));

    item(items, "FW-6", "topups", "Top-ups to the floor at the measured time paid",
         status_of(in->topups_paid + in->topups_owed > 0, in->topups_owed == 0), "no top-up left owed",
         json_pack("{s:I, s:I}", "paid", (json_int_t)in->topups_paid, "owed", (json_int_t)in->topups_owed));

    v = fairwork_durations_json(&in->payout, FW_PAYOUT_TARGET_MS);
    item(items, "FW-9", "payout_latency", "Payouts confirmed within 7 days of the request",
         status_of(in->payout.n > 0, in->payout.n == 0 || in->payout.v[in->payout.n - 1] <= FW_PAYOUT_TARGET_MS),
         "every confirmed payout within 7 days", v);

    item(items, "FW-14", "terms_notice", "Terms changes with 30 days' notice (or a recorded emergency)",
         status_of(in->terms > 0, in->terms_short == 0), "no terms version with short notice and no emergency reason",
         json_pack("{s:I, s:I, s:I, s:I, s:I}", "versions", (json_int_t)in->terms, "full_notice",
                   (json_int_t)in->terms_full_notice, "emergency", (json_int_t)in->terms_emergency, "short_notice",
                   (json_int_t)in->terms_short, "acknowledgements", (json_int_t)in->terms_acks));

    v = fairwork_durations_json(&in->region_notice, INT64_MAX);
    json_object_del(v, "within_target");
    json_object_del(v, "within_target_ppm");
    json_object_set_new(v, "changes", json_integer(in->regions));
    json_object_set_new(v, "full_notice", json_integer(in->regions_full_notice));
    json_object_set_new(v, "emergency", json_integer(in->regions_emergency));
    json_object_set_new(v, "short_notice", json_integer(in->regions_short));
    item(items, "FW-15", "region_notice", "Region changes with 30 days' notice (or a recorded emergency)",
         status_of(in->regions > 0, in->regions_short == 0), "every change noticed 30 days before its effect", v);

    v = fairwork_durations_json(&in->ticket_response, FW_TICKET_TARGET_MS);
    json_object_set_new(v, "tickets", json_integer(in->tickets));
    json_object_set_new(v, "unanswered_late", json_integer(in->tickets_unanswered_late));
    json_object_set_new(v, "escalated", json_integer(in->tickets_escalated));
    bool tickets_ok = in->tickets_unanswered_late == 0 &&
                      (in->ticket_response.n == 0 || in->ticket_response.v[in->ticket_response.n - 1] <= FW_TICKET_TARGET_MS);
    item(items, "FW-17", "ticket_first_response", "Tickets answered by a person within 72 hours",
         status_of(in->tickets > 0, tickets_ok), "every first response within 72 hours", v);

    item(items, "FW-19", "decisions_without_human", "Decisions and restrictions in effect without a human's id",
         status_of(true, in->decisions_without_human + in->restrictions_without_human == 0), "zero",
         json_pack("{s:I, s:I}", "decisions", (json_int_t)in->decisions_without_human, "restrictions",
                   (json_int_t)in->restrictions_without_human));

    v = fairwork_durations_json(&in->appeal, 14 * FW_DAY_MS);
    json_object_set_new(v, "appeals", json_integer(in->appeals));
    json_object_set_new(v, "open", json_integer(in->appeals_open));
    json_object_set_new(v, "upheld", json_integer(in->appeals_upheld));
    json_object_set_new(v, "overturned", json_integer(in->appeals_overturned));
    json_object_set_new(v, "undecided_in_time", json_integer(in->appeals_late));
    item(items, "FW-20", "appeals", "Appeals decided by a human within 14 days",
         status_of(in->appeals > 0, in->appeals_late == 0), "every appeal decided within 14 days", v);

    item(items, "FW-24", "requesters_flagged", "Requesters put on hold for review",
         in->requesters_flagged > 0 ? "info" : "no_data", "measured; no target",
         json_pack("{s:I, s:I}", "flagged", (json_int_t)in->requesters_flagged, "cleared",
                   (json_int_t)in->requester_flags_cleared));

    json_object_set_new(report, "items", items);
    size_t i;
    json_t *it;
    int64_t pass = 0, fail = 0, none = 0;
    json_array_foreach(items, i, it) {
        const char *s = json_string_value(json_object_get(it, "status"));
        if (!strcmp(s, "pass")) pass++;
        else if (!strcmp(s, "fail")) fail++;
        else if (!strcmp(s, "no_data")) none++;
    }
    json_object_set_new(report, "summary", json_pack("{s:I, s:I, s:I}", "pass", (json_int_t)pass, "fail",
                                                     (json_int_t)fail, "no_data", (json_int_t)none));
    return report;
}

char *fairwork_report_json_text(const json_t *report)
{
    char *t = json_dumps(report, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (!t) return NULL;
    size_t n = strlen(t);
    char *out = realloc(t, n + 2);
    if (!out) {
        free(t);
        return NULL;
    }
    out[n] = '\n';
    out[n + 1] = '\0';
    return out;
}

/* "k=v; k=v" of an item's value, keys sorted, null as "-". */
static void value_text(buf *b, const json_t *value)
{
    char *t = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS);
    json_t *sorted = t ? json_loads(t, JSON_PRESERVE_ORDER, NULL) : NULL;
    free(t);
    const char *k;
    json_t *x;
    bool first = true;
    json_object_foreach(sorted, k, x) {
        if (json_is_integer(x)) buf_printf(b, "%s%s=%lld", first ? "" : "; ", k, (long long)json_integer_value(x));
        else buf_printf(b, "%s%s=-", first ? "" : "; ", k);
        first = false;
    }
    json_decref(sorted);
}

static void csv_field(buf *b, const char *t)
{
    if (!strpbrk(t, ",\"\r\n")) {
        buf_adds(b, t);
        return;
    }
    buf_adds(b, "\"");
    for (; *t; t++) buf_adds(b, *t == '"' ? "\"\"" : (char[]){*t, 0});
    buf_adds(b, "\"");
}

char *fairwork_report_csv(const json_t *report)
{
    buf b, v;
    buf_init(&b, FW_TEXT_MAX);
    buf_adds(&b, "quarter,rule,item,status,target,value\n");
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(report, "items"), i, it) {
        buf_init(&v, 65536);
        value_text(&v, json_object_get(it, "value"));
        buf_printf(&b, "%s,%s,%s,%s,", json_string_value(json_object_get(report, "quarter")),
                   json_string_value(json_object_get(it, "rule")), json_string_value(json_object_get(it, "item")),
                   json_string_value(json_object_get(it, "status")));
        csv_field(&b, json_string_value(json_object_get(it, "target")));
        buf_adds(&b, ",");
        csv_field(&b, v.data ? v.data : "");
        buf_adds(&b, "\n");
        buf_free(&v);
    }
    return b.data;
}

static void html_esc(buf *b, const char *t)
{
    for (; t && *t; t++) {
        switch (*t) {
        case '&': buf_adds(b, "&amp;"); break;
        case '<': buf_adds(b, "&lt;"); break;
        case '>': buf_adds(b, "&gt;"); break;
        case '"': buf_adds(b, "&quot;"); break;
        default: buf_add(b, t, 1);
        }
    }
}

char *fairwork_report_html(const json_t *report)
{
    buf b, v;
    buf_init(&b, FW_TEXT_MAX);
    const char *q = json_string_value(json_object_get(report, "quarter"));
    buf_adds(&b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Fairwork self-assessment ");
    html_esc(&b, q);
    buf_adds(&b, "</title></head><body>\n<h1>Fairwork self-assessment ");
    html_esc(&b, q);
    json_t *s = json_object_get(report, "summary");
    buf_printf(&b, "</h1>\n<p>From %s to %s: %lld pass, %lld fail, %lld without data.</p>\n",
               json_string_value(json_object_get(report, "from")), json_string_value(json_object_get(report, "to")),
               (long long)json_integer_value(json_object_get(s, "pass")),
               (long long)json_integer_value(json_object_get(s, "fail")),
               (long long)json_integer_value(json_object_get(s, "no_data")));
    buf_adds(&b, "<table>\n<thead><tr><th>Rule</th><th>Evidence</th><th>Value</th><th>Target</th><th>Status</th></tr></thead>\n<tbody>\n");
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(report, "items"), i, it) {
        const char *st = json_string_value(json_object_get(it, "status"));
        const char *mark = !strcmp(st, "pass") ? "&#10003; pass" : !strcmp(st, "fail") ? "&#10007; fail"
                           : !strcmp(st, "info")                ? "info" : "no data";
        buf_init(&v, 65536);
        value_text(&v, json_object_get(it, "value"));
        buf_printf(&b, "<tr class=\"%s\"><td>", st);
        html_esc(&b, json_string_value(json_object_get(it, "rule")));
        buf_adds(&b, "</td><td>");
        html_esc(&b, json_string_value(json_object_get(it, "title")));
        buf_adds(&b, "</td><td>");
        html_esc(&b, v.data);
        buf_adds(&b, "</td><td>");
        html_esc(&b, json_string_value(json_object_get(it, "target")));
        buf_printf(&b, "</td><td>%s</td></tr>\n", mark);
        buf_free(&v);
    }
    buf_adds(&b, "</tbody></table>\n</body></html>\n");
    return b.data;
}
