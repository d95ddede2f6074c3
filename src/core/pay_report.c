/* The quarterly pay report (FW-10) and the FW-24 rules: see core/pay_report.h. */
#include "core/pay_report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/calendar.h"
#include "core/money.h"

#define DAY_MS 86400000LL
#define HOUR_MS 3600000LL

/* ---- quarters ---- */


struct pay_quarter pay_quarter_make(int year, int q)
{
    struct pay_quarter out = {.year = year, .q = q};
    out.start_ms = calendar_days_from_civil(year, 3 * (q - 1) + 1, 1) * DAY_MS;
    out.end_ms = q == 4 ? calendar_days_from_civil(year + 1, 1, 1) * DAY_MS : calendar_days_from_civil(year, 3 * q + 1, 1) * DAY_MS;
    snprintf(out.label, sizeof out.label, "%04dQ%d", year % 10000, q);
    return out;
}

bool pay_quarter_parse(const char *s, struct pay_quarter *out)
{
    if (!s || strlen(s) != 6 || (s[4] != 'Q' && s[4] != 'q') || s[5] < '1' || s[5] > '4') return false;
    int year = 0;
    for (int i = 0; i < 4; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        year = year * 10 + (s[i] - '0');
    }
    if (year < 1970) return false;
    *out = pay_quarter_make(year, s[5] - '0');
    return true;
}

struct pay_quarter pay_quarter_prev(struct pay_quarter q)
{
    return q.q == 1 ? pay_quarter_make(q.year - 1, 4) : pay_quarter_make(q.year, q.q - 1);
}

struct pay_quarter pay_quarter_of(int64_t ms)
{
    struct wage_date d = wage_date_from_unix(ms / 1000);
    return pay_quarter_make(d.year, (d.month - 1) / 3 + 1);
}

/* ---- percentiles and shares ---- */

static int sample_cmp(const void *a, const void *b)
{
    const struct pay_sample *x = a, *y = b;
    if (x->rate != y->rate) return x->rate < y->rate ? -1 : 1;
    return x->weight < y->weight ? -1 : x->weight > y->weight;
}

void pay_samples_sort(struct pay_sample *s, size_t n)
{
    if (n > 1) qsort(s, n, sizeof *s, sample_cmp);
}

int64_t pay_weighted_percentile(const struct pay_sample *sorted, size_t n, int pct)
{
    money_i128 total = 0, cum = 0;
    for (size_t i = 0; i < n; i++) total += sorted[i].weight;
    for (size_t i = 0; i < n; i++) {
        cum += sorted[i].weight;
        if (cum * 100 >= total * pct) return sorted[i].rate;
    }
    return n ? sorted[n - 1].rate : 0;
}

int64_t pay_share_ppm(int64_t part, int64_t whole)
{
    int64_t q;
    if (whole <= 0 || !money_div_half_even((money_i128)part * 1000000, whole, &q)) return 0;
    return q;
}

static int i64_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int64_t pay_median_i64(int64_t *v, size_t n)
{
    qsort(v, n, sizeof *v, i64_cmp);
    return v[(n - 1) / 2];
}

/* ---- FW-24 rules ---- */

bool requester_rejects_far_above(int64_t decisions, int64_t rejections, int64_t platform_median_ppm)
{
    if (decisions < REQUESTER_MIN_DECISIONS) return false;
    int64_t bound = 2 * platform_median_ppm > REQUESTER_REJECT_FLOOR_PPM ? 2 * platform_median_ppm
                                                                           : REQUESTER_REJECT_FLOOR_PPM;
    return (money_i128)rejections * 1000000 > (money_i128)bound * decisions;
}

bool requester_underpays(int64_t paid_answers, int64_t median_hourly_usd_micros, int64_t platform_floor_usd_micros)
{
    return paid_answers >= REQUESTER_MIN_PAID_ANSWERS && median_hourly_usd_micros < platform_floor_usd_micros;
}

/* ---- building the report ---- */

struct country_calc {
    char code[3];
    const struct wage_country *basics; /* NULL: not in the tables */
    struct wage_country_figures fig;
    bool fig_ok;
};

struct row_calc {
    const struct pay_report_row *row;
    int quarter; /* 0 the report's, 1.. the ones before; -1 outside */
    int country; /* index in the countries, -1 unknown */
    bool converted, has_local, measured;
    int64_t earned_usd, earned_local, topup_usd, topup_local;
    int64_t rate_usd, rate_local, rate_project;
    bool has_min, has_living, below_min, below_living;
};

struct build {
    const struct pay_report_input *in;
    struct country_calc *countries;
    size_t n_countries;
    struct row_calc *rows;
    struct pay_quarter quarters[PAY_REPORT_TREND]; /* [0] the report's */
};

static int country_find(const struct build *b, const char *code)
{
    size_t lo = 0, hi = b->n_countries;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(b->countries[mid].code, code);
        if (!c) return (int)mid;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

static int code_cmp(const void *a, const void *b)
{
    return strcmp(((const struct country_calc *)a)->code, ((const struct country_calc *)b)->code);
}

/* rate = amount × 3600000 / ms, half-even */
static bool hourly(int64_t amount, int64_t ms, int64_t *rate)
{
    return money_div_half_even((money_i128)amount * HOUR_MS, ms, rate);
}

static bool below(int64_t amount, int64_t ms, int64_t per_hour)
{
    return (money_i128)amount * HOUR_MS < (money_i128)per_hour * ms;
}

static void calc_row(struct build *b, struct row_calc *c, const struct pay_report_row *r)
{
    memset(c, 0, sizeof *c);
    c->row = r;
    c->quarter = -1;
    for (int q = 0; q < PAY_REPORT_TREND; q++)
        if (r->approved_at >= b->quarters[q].start_ms && r->approved_at < b->quarters[q].end_ms) c->quarter = q;
    c->country = country_find(b, r->country);
    struct money_decimal cur, one = money_decimal_one();
    if (!wage_usd_per_unit(b->in->tables, r->currency, &cur) || !money_convert(r->earned_micros, cur, one, &c->earned_usd) ||
        !money_convert(r->topup_micros, cur, one, &c->topup_usd))
        return; /* counted as unconverted */
    c->converted = true;
    c->measured = r->active_ms > 0;
    if (c->measured && (!hourly(c->earned_usd, r->active_ms, &c->rate_usd) ||
                        !hourly(r->earned_micros, r->active_ms, &c->rate_project)))
        c->measured = false;
    const struct country_calc *cc = c->country >= 0 ? &b->countries[c->country] : NULL;
    if (!cc || !cc->basics) return;
    c->has_local = money_convert(r->earned_micros, cur, cc->basics->usd_per_unit, &c->earned_local) &&
                   money_convert(r->topup_micros, cur, cc->basics->usd_per_unit, &c->topup_local);
    if (!c->has_local || !c->measured) return;
    if (!hourly(c->earned_local, r->active_ms, &c->rate_local)) {
        c->has_local = false;
        return;
    }
    if (cc->fig_ok && cc->fig.minimum.present) {
        c->has_min = true;
        c->below_min = below(c->earned_local, r->active_ms, cc->fig.minimum.hourly_micros);
    }
    if (cc->fig_ok && cc->fig.living.present) {
        c->has_living = true;
        c->below_living = below(c->earned_local, r->active_ms, cc->fig.living.hourly_micros);
    }
}

/* Sums over a set of rows. */
struct acc {
    int64_t answers, unmeasured, unconverted, active_ms;
    int64_t earned, earned_usd, earned_local, topup, topup_usd, topup_local;
    int64_t min_ms, below_min_ms, living_ms, below_living_ms;
    struct pay_sample *usd, *local, *project;
    size_t n_samples, n_local;
    int64_t *workers;
    size_t n_workers;
    bool local_ok; /* every converted row had a local amount */
};

static bool acc_init(struct acc *a, size_t cap)
{
    memset(a, 0, sizeof *a);
    a->local_ok = true;
    size_t n = cap ? cap : 1;
    a->usd = malloc(n * sizeof *a->usd);
    a->local = malloc(n * sizeof *a->local);
    a->project = malloc(n * sizeof *a->project);
    a->workers = malloc(n * sizeof *a->workers);
    return a->usd && a->local && a->project && a->workers;
}

static void acc_free(struct acc *a)
{
    free(a->usd);
    free(a->local);
    free(a->project);
    free(a->workers);
}

static void acc_add(struct acc *a, const struct row_calc *c)
{
    a->answers++;
    a->workers[a->n_workers++] = c->row->worker_id;
    if (!c->converted) {
        a->unconverted++;
        return;
    }
    a->earned += c->row->earned_micros;
    a->topup += c->row->topup_micros;
    a->earned_usd += c->earned_usd;
    a->topup_usd += c->topup_usd;
    if (c->has_local) {
        a->earned_local += c->earned_local;
        a->topup_local += c->topup_local;
    } else a->local_ok = false;
    if (!c->measured) {
        a->unmeasured++;
        return;
    }
    int64_t ms = c->row->active_ms;
    a->active_ms += ms;
    a->usd[a->n_samples] = (struct pay_sample){c->rate_usd, ms};
    a->project[a->n_samples++] = (struct pay_sample){c->rate_project, ms};
    if (c->has_local) a->local[a->n_local++] = (struct pay_sample){c->rate_local, ms};
    if (c->has_min) {
        a->min_ms += ms;
        if (c->below_min) a->below_min_ms += ms;
    }
    if (c->has_living) {
        a->living_ms += ms;
        if (c->below_living) a->below_living_ms += ms;
    }
}

static size_t distinct(int64_t *v, size_t n)
{
    if (!n) return 0;
    qsort(v, n, sizeof *v, i64_cmp);
    size_t k = 1;
    for (size_t i = 1; i < n; i++)
        if (v[i] != v[i - 1]) k++;
    return k;
}

static json_t *pct_json(struct pay_sample *s, size_t n)
{
    if (!n) return json_null();
    pay_samples_sort(s, n);
    return json_pack("{s:I, s:I, s:I}", "p10", (json_int_t)pay_weighted_percentile(s, n, 10), "p50",
                     (json_int_t)pay_weighted_percentile(s, n, 50), "p90",
                     (json_int_t)pay_weighted_percentile(s, n, 90));
}

/* p5, p10, …, p95 of sorted samples: the strip drawn in the distribution chart */
static json_t *ventiles_json(const struct pay_sample *s, size_t n)
{
    json_t *a = json_array();
    for (int p = 5; n && p <= 95; p += 5) json_array_append_new(a, json_integer(pay_weighted_percentile(s, n, p)));
    return a;
}

static json_t *share_json(int64_t part, int64_t whole)
{
    return whole > 0 ? json_integer(pay_share_ppm(part, whole)) : json_null();
}

static json_t *figure_json(const struct wage_figure *f, bool present)
{
    if (!present || !f->present) return json_null();
    char date[16];
    const struct wage_date *d = &f->row->ref_date;
    if (d->day) snprintf(date, sizeof date, "%04d-%02d-%02d", d->year % 10000, d->month % 100, d->day % 100);
    else if (d->month) snprintf(date, sizeof date, "%04d-%02d", d->year % 10000, d->month % 100);
    else snprintf(date, sizeof date, "%04d", d->year % 10000);
    return json_pack("{s:I, s:I, s:b, s:b, s:s, s:s}", "hourly_local_micros", (json_int_t)f->hourly_micros,
                     "hourly_usd_micros", (json_int_t)f->hourly_usd_micros, "stale", f->stale, "regional", f->regional,
                     "ref_date", date, "source", f->row->source);
}

/* The members every group shares. */
static void acc_common(json_t *o, struct acc *a)
{
    json_object_set_new(o, "answers", json_integer(a->answers));
    json_object_set_new(o, "workers", json_integer((json_int_t)distinct(a->workers, a->n_workers)));
    json_object_set_new(o, "active_ms", json_integer(a->active_ms));
    json_object_set_new(o, "unmeasured_answers", json_integer(a->unmeasured));
    json_object_set_new(o, "unconverted_answers", json_integer(a->unconverted));
    json_object_set_new(o, "earnings_usd_micros", json_integer(a->earned_usd));
    json_object_set_new(o, "topups_usd_micros", json_integer(a->topup_usd));
    json_object_set_new(o, "hourly_usd_micros", pct_json(a->usd, a->n_samples));
    json_object_set_new(o, "hours_benchmarked_minimum_ms", json_integer(a->min_ms));
    json_object_set_new(o, "hours_below_minimum_ms", json_integer(a->below_min_ms));
    json_object_set_new(o, "share_below_minimum_ppm", share_json(a->below_min_ms, a->min_ms));
    json_object_set_new(o, "hours_benchmarked_living_ms", json_integer(a->living_ms));
    json_object_set_new(o, "hours_below_living_ms", json_integer(a->below_living_ms));
    json_object_set_new(o, "share_below_living_ppm", share_json(a->below_living_ms, a->living_ms));
}

/* qsort has no context argument: the rows being sorted are reached through this. */
static const struct row_calc *sort_rows;

static int idx_by_country(const void *x, const void *y)
{
    const struct row_calc *a = &sort_rows[*(const size_t *)x], *b = &sort_rows[*(const size_t *)y];
    if (a->country != b->country) return a->country < b->country ? -1 : 1;
    return *(const size_t *)x < *(const size_t *)y ? -1 : 1;
}

static int idx_by_project(const void *x, const void *y)
{
    const struct row_calc *a = &sort_rows[*(const size_t *)x], *b = &sort_rows[*(const size_t *)y];
    if (a->row->project_id != b->row->project_id) return a->row->project_id < b->row->project_id ? -1 : 1;
    return *(const size_t *)x < *(const size_t *)y ? -1 : 1;
}

static json_t *country_json(struct build *b, int ci, const size_t *idx, size_t n)
{
    const struct country_calc *cc = &b->countries[ci];
    struct acc a, trend[PAY_REPORT_TREND];
    json_t *o = NULL;
    bool ok = acc_init(&a, n);
    for (int q = 0; q < PAY_REPORT_TREND; q++) ok = acc_init(&trend[q], n) && ok;
    if (!ok) goto out;
    for (size_t i = 0; i < n; i++) {
        const struct row_calc *c = &b->rows[idx[i]];
        if (c->quarter == 0) acc_add(&a, c);
        if (c->quarter >= 0) acc_add(&trend[c->quarter], c);
    }
    o = json_object();
    json_object_set_new(o, "country", json_string(cc->code));
    json_object_set_new(o, "name", cc->basics ? json_string(cc->basics->name) : json_null());
    json_object_set_new(o, "currency", cc->basics ? json_string(cc->basics->currency) : json_null());
    acc_common(o, &a);
    bool local = cc->basics && a.local_ok;
    json_object_set_new(o, "earnings_local_micros", local ? json_integer(a.earned_local) : json_null());
    json_object_set_new(o, "topups_local_micros", local ? json_integer(a.topup_local) : json_null());
    json_object_set_new(o, "hourly_local_micros", local ? pct_json(a.local, a.n_local) : json_null());
    json_object_set_new(o, "percentiles_usd_micros", ventiles_json(a.usd, a.n_samples)); /* sorted by pct_json */
    json_object_set_new(o, "minimum", figure_json(&cc->fig.minimum, cc->fig_ok));
    json_object_set_new(o, "living", figure_json(&cc->fig.living, cc->fig_ok));
    bool stale = cc->fig_ok && ((cc->fig.minimum.present && cc->fig.minimum.stale) ||
                                (cc->fig.living.present && cc->fig.living.stale));
    json_object_set_new(o, "benchmark_stale", json_boolean(stale));
    json_object_set_new(o, "benchmark_missing",
                        json_boolean(!cc->fig_ok || !cc->fig.minimum.present || !cc->fig.living.present));
    json_t *t = json_array();
    for (int q = PAY_REPORT_TREND - 1; q >= 0; q--)
        json_array_append_new(t, json_pack("{s:s, s:I, s:o, s:o}", "quarter", b->quarters[q].label, "active_ms",
                                           (json_int_t)trend[q].active_ms, "share_below_minimum_ppm",
                                           share_json(trend[q].below_min_ms, trend[q].min_ms),
                                           "share_below_living_ppm",
                                           share_json(trend[q].below_living_ms, trend[q].living_ms)));
    json_object_set_new(o, "trend", t);
out:
    acc_free(&a);
    for (int q = 0; q < PAY_REPORT_TREND; q++) acc_free(&trend[q]);
    return o;
}

static json_t *project_json(struct build *b, const size_t *idx, size_t n)
{
    struct acc a;
    json_t *o = NULL;
    if (!acc_init(&a, n)) goto out;
    const struct pay_report_row *first = b->rows[idx[0]].row;
    for (size_t i = 0; i < n; i++) acc_add(&a, &b->rows[idx[i]]);
    o = json_object();
    json_object_set_new(o, "project_id", json_integer(first->project_id));
    json_object_set_new(o, "name", json_string(first->project_name ? first->project_name : ""));
    json_object_set_new(o, "requester_id", json_integer(first->requester_id));
    json_object_set_new(o, "currency", json_string(first->currency));
    acc_common(o, &a);
    json_object_set_new(o, "earnings_micros", json_integer(a.earned));
    json_object_set_new(o, "topups_micros", json_integer(a.topup));
    json_object_set_new(o, "hourly_micros", pct_json(a.project, a.n_samples));
    /* the countries of its workers */
    json_t *cs = json_array();
    struct country_calc *codes = malloc(n * sizeof *codes);
    if (codes) {
        for (size_t i = 0; i < n; i++) {
            memcpy(codes[i].code, b->rows[idx[i]].row->country, 3);
            codes[i].code[2] = '\0';
        }
        qsort(codes, n, sizeof *codes, code_cmp);
        for (size_t i = 0; i < n; i++)
            if (!i || strcmp(codes[i].code, codes[i - 1].code)) json_array_append_new(cs, json_string(codes[i].code));
        free(codes);
    }
    json_object_set_new(o, "countries", cs);
out:
    acc_free(&a);
    return o;
}

json_t *pay_report_build(const struct pay_report_input *in)
{
    struct build b = {.in = in};
    json_t *report = NULL;
    size_t *idx = NULL;
    b.quarters[0] = in->quarter;
    for (int q = 1; q < PAY_REPORT_TREND; q++) b.quarters[q] = pay_quarter_prev(b.quarters[q - 1]);
    /* staleness as of the quarter's last day, so the report does not change with the day it is built */
    struct wage_date as_of = wage_date_from_unix((in->quarter.end_ms - 1) / 1000);
    b.countries = calloc(in->n_rows ? in->n_rows : 1, sizeof *b.countries);
    b.rows = calloc(in->n_rows ? in->n_rows : 1, sizeof *b.rows);
    idx = malloc((in->n_rows ? in->n_rows : 1) * sizeof *idx);
    if (!b.countries || !b.rows || !idx) goto out;
    for (size_t i = 0; i < in->n_rows; i++) {
        memcpy(b.countries[b.n_countries].code, in->rows[i].country, 3);
        b.countries[b.n_countries].code[2] = '\0';
        b.n_countries++;
    }
    qsort(b.countries, b.n_countries, sizeof *b.countries, code_cmp);
    size_t k = 0;
    for (size_t i = 0; i < b.n_countries; i++)
        if (!k || strcmp(b.countries[i].code, b.countries[k - 1].code)) b.countries[k++] = b.countries[i];
    b.n_countries = k;
    for (size_t i = 0; i < b.n_countries; i++) {
        struct country_calc *cc = &b.countries[i];
        cc->basics = wage_country_find(in->tables, cc->code);
        cc->fig_ok = cc->basics && wage_country_figures(in->tables, cc->code, as_of, &cc->fig) == WAGE_OK;
    }
    for (size_t i = 0; i < in->n_rows; i++) calc_row(&b, &b.rows[i], &in->rows[i]);

    report = json_object();
    char date[16];
    json_object_set_new(report, "report", json_string("pay"));
    json_object_set_new(report, "quarter", json_string(in->quarter.label));
    struct wage_date d0 = wage_date_from_unix(in->quarter.start_ms / 1000);
    snprintf(date, sizeof date, "%04d-%02d-%02d", d0.year % 10000, d0.month % 100, d0.day % 100);
    json_object_set_new(report, "from", json_string(date));
    snprintf(date, sizeof date, "%04d-%02d-%02d", as_of.year % 10000, as_of.month % 100, as_of.day % 100);
    json_object_set_new(report, "to", json_string(date));
    json_object_set_new(report, "basis", json_string("answers approved in the quarter (approved_at, UTC)"));
    json_object_set_new(report, "benchmarks",
                        json_pack("{s:s, s:I}", "as_of", date, "version", (json_int_t)in->tables_version));
    json_object_set_new(report, "platform_floor_usd_micros_per_hour", json_integer(in->platform_floor_usd_micros));

    /* the whole quarter */
    struct acc all;
    if (!acc_init(&all, in->n_rows)) {
        acc_free(&all);
        json_decref(report);
        report = NULL;
        goto out;
    }
    for (size_t i = 0; i < in->n_rows; i++)
        if (b.rows[i].quarter == 0) acc_add(&all, &b.rows[i]);
    json_t *totals = json_object();
    acc_common(totals, &all);
    acc_free(&all);
    json_object_set_new(report, "totals", totals);

    /* by country: rows grouped by country index, then each group's rows in input order */
    sort_rows = b.rows;
    for (size_t i = 0; i < in->n_rows; i++) idx[i] = i;
    qsort(idx, in->n_rows, sizeof *idx, idx_by_country);
    json_t *countries = json_array(), *stale = json_array();
    for (size_t i = 0; i < in->n_rows;) {
        size_t j = i;
        bool current = false;
        while (j < in->n_rows && b.rows[idx[j]].country == b.rows[idx[i]].country) current |= b.rows[idx[j++]].quarter == 0;
        int ci = b.rows[idx[i]].country;
        if (current && ci >= 0) {
            json_t *c = country_json(&b, ci, idx + i, j - i);
            if (!c) {
                json_decref(countries);
                json_decref(stale);
                json_decref(report);
                report = NULL;
                goto out;
            }
            if (json_is_true(json_object_get(c, "benchmark_stale"))) json_array_append_new(stale, json_string(b.countries[ci].code));
            json_array_append_new(countries, c);
        }
        i = j;
    }
    json_object_set_new(report, "stale_benchmarks", stale);
    json_object_set_new(report, "countries", countries);

    /* by project: the quarter's rows only */
    size_t n = 0;
    for (size_t i = 0; i < in->n_rows; i++)
        if (b.rows[i].quarter == 0) idx[n++] = i;
    qsort(idx, n, sizeof *idx, idx_by_project);
    json_t *projects = json_array();
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && b.rows[idx[j]].row->project_id == b.rows[idx[i]].row->project_id) j++;
        json_t *p = project_json(&b, idx + i, j - i);
        if (!p) {
            json_decref(projects);
            json_decref(report);
            report = NULL;
            goto out;
        }
        json_array_append_new(projects, p);
        i = j;
    }
    json_object_set_new(report, "projects", projects);
out:
    sort_rows = NULL;
    free(b.countries);
    free(b.rows);
    free(idx);
    return report;
}

/* ---- rendering ---- */

/* A growable string; once memory runs out it stays failed and the result is NULL. */
struct sb {
    char *p;
    size_t len, cap;
    bool failed;
};

static void sb_add(struct sb *s, const char *t, size_t n)
{
    if (s->failed) return;
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n + 1) cap *= 2;
        char *p = realloc(s->p, cap);
        if (!p) {
            s->failed = true;
            return;
        }
        s->p = p;
        s->cap = cap;
    }
    memcpy(s->p + s->len, t, n);
    s->len += n;
    s->p[s->len] = '\0';
}

static void sb_puts(struct sb *s, const char *t) { sb_add(s, t, strlen(t)); }

static void __attribute__((format(printf, 2, 3))) sb_printf(struct sb *s, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) {
        s->failed = true;
        return;
    }
    if ((size_t)n < sizeof tmp) {
        sb_add(s, tmp, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        s->failed = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb_add(s, big, (size_t)n);
    free(big);
}

static char *sb_done(struct sb *s)
{
    if (s->failed || !s->p) {
        free(s->p);
        return NULL;
    }
    return s->p;
}

/* HTML text (also safe in attributes). */
static void sb_esc(struct sb *s, const char *t)
{
    for (; t && *t; t++) {
        switch (*t) {
        case '&': sb_puts(s, "&amp;"); break;
        case '<': sb_puts(s, "&lt;"); break;
        case '>': sb_puts(s, "&gt;"); break;
        case '"': sb_puts(s, "&quot;"); break;
        case '\'': sb_puts(s, "&#39;"); break;
        default: sb_add(s, t, 1);
        }
    }
}

/* A CSV text field, quoted when it needs to be. Text a spreadsheet would run as a formula (a requester's
 * project name "=HYPERLINK(…)") gets a leading apostrophe. */
static void sb_csv(struct sb *s, const char *t)
{
    if (!t) return;
    if (strchr("=+-@\t\r", t[0]) && t[0]) sb_puts(s, "'");
    if (!strpbrk(t, ",\"\r\n")) {
        sb_puts(s, t);
        return;
    }
    sb_puts(s, "\"");
    for (; *t; t++) {
        if (*t == '"') sb_puts(s, "\"");
        sb_add(s, t, 1);
    }
    sb_puts(s, "\"");
}

static int64_t geti(const json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }
static const char *gets(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* micros as an exact decimal, "" for a null member */
static const char *dec(char *out, size_t n, const json_t *v)
{
    if (!json_is_integer(v) || !money_format_micros(json_integer_value(v), out, n)) out[0] = '\0';
    return out;
}

/* milliseconds as hours, rounded half-even to the micro-hour */
static const char *hours(char *out, size_t n, int64_t ms)
{
    int64_t micro_hours;
    if (!money_div_half_even((money_i128)ms * 5, 18, &micro_hours) || !money_format_micros(micro_hours, out, n))
        out[0] = '\0';
    return out;
}

/* parts per million as a fraction ("0.25"), "" for null */
static const char *frac(char *out, size_t n, const json_t *v) { return dec(out, n, v); }

/* parts per million as a percentage ("25", "12.5"), "–" for null */
static const char *percent(char *out, size_t n, const json_t *v)
{
    if (!json_is_integer(v) || !money_format_micros(json_integer_value(v) * 100, out, n)) snprintf(out, n, "–");
    return out;
}

char *pay_report_json_text(const json_t *report)
{
    char *s = json_dumps(report, JSON_INDENT(2));
    if (!s) return NULL;
    size_t n = strlen(s);
    char *out = realloc(s, n + 2);
    if (!out) {
        free(s);
        return NULL;
    }
    out[n] = '\n';
    out[n + 1] = '\0';
    return out;
}

static const char *const csv_header =
    "section,key,name,currency,answers,workers,worker_hours,unmeasured_answers,earnings,earnings_usd,topups_usd,"
    "hourly_p10,hourly_p50,hourly_p90,hourly_usd_p10,hourly_usd_p50,hourly_usd_p90,minimum_hourly,minimum_hourly_usd,"
    "living_hourly,living_hourly_usd,share_hours_below_minimum,share_hours_below_living,benchmark_stale\n";

static void csv_row(struct sb *s, const char *section, const char *key, const char *name, const char *currency,
                    const json_t *g, const json_t *earnings, const json_t *hourly, const json_t *minimum,
                    const json_t *living, const char *stale)
{
    char a[32], b[32], c[32];
    const json_t *usd = json_object_get(g, "hourly_usd_micros");
    sb_printf(s, "%s,", section);
    sb_csv(s, key);
    sb_puts(s, ",");
    sb_csv(s, name);
    sb_printf(s, ",%s,%lld,%lld,%s,%lld,", currency ? currency : "", (long long)geti(g, "answers"),
              (long long)geti(g, "workers"), hours(a, sizeof a, geti(g, "active_ms")),
              (long long)geti(g, "unmeasured_answers"));
    sb_printf(s, "%s,%s,%s,", dec(a, sizeof a, earnings), dec(b, sizeof b, json_object_get(g, "earnings_usd_micros")),
              dec(c, sizeof c, json_object_get(g, "topups_usd_micros")));
    sb_printf(s, "%s,%s,%s,", dec(a, sizeof a, json_object_get(hourly, "p10")),
              dec(b, sizeof b, json_object_get(hourly, "p50")), dec(c, sizeof c, json_object_get(hourly, "p90")));
    sb_printf(s, "%s,%s,%s,", dec(a, sizeof a, json_object_get(usd, "p10")), dec(b, sizeof b, json_object_get(usd, "p50")),
              dec(c, sizeof c, json_object_get(usd, "p90")));
    sb_printf(s, "%s,%s,", dec(a, sizeof a, json_object_get(minimum, "hourly_local_micros")),
              dec(b, sizeof b, json_object_get(minimum, "hourly_usd_micros")));
    sb_printf(s, "%s,%s,", dec(a, sizeof a, json_object_get(living, "hourly_local_micros")),
              dec(b, sizeof b, json_object_get(living, "hourly_usd_micros")));
    sb_printf(s, "%s,%s,%s\n", frac(a, sizeof a, json_object_get(g, "share_below_minimum_ppm")),
              frac(b, sizeof b, json_object_get(g, "share_below_living_ppm")), stale);
}

char *pay_report_csv(const json_t *report)
{
    struct sb s = {0};
    sb_puts(&s, csv_header);
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(report, "countries"), i, g) {
        csv_row(&s, "country", gets(g, "country"), gets(g, "name"), gets(g, "currency"), g,
                json_object_get(g, "earnings_local_micros"), json_object_get(g, "hourly_local_micros"),
                json_object_get(g, "minimum"), json_object_get(g, "living"),
                json_is_true(json_object_get(g, "benchmark_stale")) ? "true" : "false");
    }
    json_array_foreach(json_object_get(report, "projects"), i, g) {
        char key[24];
        snprintf(key, sizeof key, "%lld", (long long)geti(g, "project_id"));
        csv_row(&s, "project", key, gets(g, "name"), gets(g, "currency"), g, json_object_get(g, "earnings_micros"),
                json_object_get(g, "hourly_micros"), NULL, NULL, "");
    }
    const json_t *t = json_object_get(report, "totals");
    csv_row(&s, "total", gets(report, "quarter"), "all answers", "USD", t, json_object_get(t, "earnings_usd_micros"),
            json_object_get(t, "hourly_usd_micros"), NULL, NULL, "");
    return sb_done(&s);
}

/* ---- HTML with inline SVG ---- */

#define CH_W 760
#define CH_LEFT 70
#define CH_RIGHT 740
#define ROW_H 34

static int64_t xpos(int64_t v, int64_t max)
{
    if (v < 0) v = 0;
    if (v > max) v = max;
    return CH_LEFT + (int64_t)((money_i128)v * (CH_RIGHT - CH_LEFT) / max);
}

/* Per country: the p10–p90 box with the median, a strip of the ventiles, and the minimum (solid red) and
 * living wage (dashed green) lines, all in USD per hour. */
static void svg_distribution(struct sb *s, const json_t *countries)
{
    int64_t max = 1000000; /* at least 1 USD */
    size_t i, n = json_array_size(countries);
    json_t *c;
    json_array_foreach(countries, i, c) {
        const json_t *v = json_object_get(c, "percentiles_usd_micros");
        if (json_array_size(v)) {
            int64_t top = json_integer_value(json_array_get(v, json_array_size(v) - 1));
            if (top > max) max = top;
        }
        int64_t p90 = json_integer_value(json_object_get(json_object_get(c, "hourly_usd_micros"), "p90"));
        if (p90 > max) max = p90;
        int64_t m = json_integer_value(json_object_get(json_object_get(c, "minimum"), "hourly_usd_micros"));
        int64_t l = json_integer_value(json_object_get(json_object_get(c, "living"), "hourly_usd_micros"));
        if (m > max) max = m;
        if (l > max) max = l;
    }
    /* a round axis: 4 ticks of the least step in 0.25, 0.5, 1, 2, 5, 10, 25, 50, … USD that leaves 10% room */
    max += max / 10;
    static const int64_t mantissa[] = {1, 2, 5};
    int64_t step = max <= 1000000 ? 250000 : 500000;
    for (int64_t base = 1000000; step * 4 < max && base <= INT64_MAX / 40; base *= 10)
        for (int m = 0; m < 3 && step * 4 < max; m++) step = base * mantissa[m];
    max = step * 4;
    int64_t h = 40 + (int64_t)n * ROW_H + 40;
    sb_printf(s, "<svg id=\"chart-distribution\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%lld\" "
                 "viewBox=\"0 0 %d %lld\" role=\"img\" aria-labelledby=\"chart-distribution-title\">\n",
              CH_W, (long long)h, CH_W, (long long)h);
    sb_puts(s, "<title id=\"chart-distribution-title\">Effective hourly pay per country (USD): p10–p90 box, median, "
               "5th–95th percentile strip, legal minimum (red) and living wage (green dashed)</title>\n");
    /* axis with five ticks */
    int64_t axis_y = 40 + (int64_t)n * ROW_H;
    sb_printf(s, "<line class=\"axis\" x1=\"%d\" y1=\"%lld\" x2=\"%d\" y2=\"%lld\" stroke=\"#555\"/>\n", CH_LEFT,
              (long long)axis_y, CH_RIGHT, (long long)axis_y);
    for (int t = 0; t <= 4; t++) {
        int64_t v = max * t / 4, x = xpos(v, max);
        char a[32];
        money_format_micros(v, a, sizeof a);
        sb_printf(s, "<line class=\"tick\" x1=\"%lld\" y1=\"30\" x2=\"%lld\" y2=\"%lld\" stroke=\"#ddd\"/>"
                     "<text x=\"%lld\" y=\"%lld\" font-size=\"11\" text-anchor=\"middle\" fill=\"#333\">%s</text>\n",
                  (long long)x, (long long)x, (long long)axis_y, (long long)x, (long long)axis_y + 16, a);
    }
    sb_printf(s, "<text x=\"%d\" y=\"%lld\" font-size=\"11\" text-anchor=\"end\" fill=\"#333\">USD per hour</text>\n",
              CH_RIGHT, (long long)axis_y + 32);
    sb_puts(s, "<g class=\"legend\" font-size=\"11\" fill=\"#333\">"
               "<line x1=\"70\" y1=\"14\" x2=\"90\" y2=\"14\" stroke=\"#c62828\" stroke-width=\"2\"/>"
               "<text x=\"95\" y=\"18\">legal minimum</text>"
               "<line x1=\"200\" y1=\"14\" x2=\"220\" y2=\"14\" stroke=\"#2e7d32\" stroke-width=\"2\" "
               "stroke-dasharray=\"4 3\"/><text x=\"225\" y=\"18\">living wage</text>"
               "<rect x=\"320\" y=\"8\" width=\"20\" height=\"12\" fill=\"#bbdefb\" stroke=\"#1565c0\"/>"
               "<text x=\"345\" y=\"18\">p10–p90, median</text></g>\n");
    json_array_foreach(countries, i, c) {
        int64_t cy = 40 + (int64_t)i * ROW_H + ROW_H / 2;
        sb_puts(s, "<g class=\"country\" data-country=\"");
        sb_esc(s, gets(c, "country"));
        sb_printf(s, "\">\n<text x=\"8\" y=\"%lld\" font-size=\"12\" fill=\"#111\">", (long long)cy + 4);
        sb_esc(s, gets(c, "country"));
        sb_puts(s, "</text>\n");
        const json_t *hu = json_object_get(c, "hourly_usd_micros");
        if (json_is_object(hu)) {
            int64_t x10 = xpos(geti(hu, "p10"), max), x50 = xpos(geti(hu, "p50"), max), x90 = xpos(geti(hu, "p90"), max);
            sb_printf(s, "<rect class=\"box\" x=\"%lld\" y=\"%lld\" width=\"%lld\" height=\"14\" fill=\"#bbdefb\" "
                         "stroke=\"#1565c0\"/>\n",
                      (long long)x10, (long long)cy - 7, (long long)(x90 - x10 > 1 ? x90 - x10 : 1));
            sb_printf(s, "<line class=\"median\" x1=\"%lld\" y1=\"%lld\" x2=\"%lld\" y2=\"%lld\" stroke=\"#0d47a1\" "
                         "stroke-width=\"3\"/>\n",
                      (long long)x50, (long long)cy - 9, (long long)x50, (long long)cy + 9);
        }
        size_t k;
        json_t *v;
        json_array_foreach(json_object_get(c, "percentiles_usd_micros"), k, v)
            sb_printf(s, "<circle class=\"strip\" cx=\"%lld\" cy=\"%lld\" r=\"2\" fill=\"#37474f\"/>\n",
                      (long long)xpos(json_integer_value(v), max), (long long)cy + 12);
        const json_t *m = json_object_get(c, "minimum"), *l = json_object_get(c, "living");
        if (json_is_object(m)) {
            int64_t x = xpos(geti(m, "hourly_usd_micros"), max);
            sb_printf(s, "<line class=\"ref-minimum\" x1=\"%lld\" y1=\"%lld\" x2=\"%lld\" y2=\"%lld\" stroke=\"#c62828\" "
                         "stroke-width=\"2\"><title>legal minimum</title></line>\n",
                      (long long)x, (long long)cy - 15, (long long)x, (long long)cy + 15);
        }
        if (json_is_object(l)) {
            int64_t x = xpos(geti(l, "hourly_usd_micros"), max);
            sb_printf(s, "<line class=\"ref-living\" x1=\"%lld\" y1=\"%lld\" x2=\"%lld\" y2=\"%lld\" stroke=\"#2e7d32\" "
                         "stroke-width=\"2\" stroke-dasharray=\"4 3\"><title>living wage</title></line>\n",
                      (long long)x, (long long)cy - 15, (long long)x, (long long)cy + 15);
        }
        sb_puts(s, "</g>\n");
    }
    sb_puts(s, "</svg>\n");
}

/* Per country, a small chart of the share of worker-hours below the minimum (red) and the living wage
 * (green dashed) over the trend's quarters. */
static void svg_trend(struct sb *s, const json_t *countries)
{
    enum { W = 180, H = 120, PL = 34, PR = 10, PT = 22, PB = 24, PER_ROW = 4 };
    size_t n = json_array_size(countries);
    size_t rows = (n + PER_ROW - 1) / PER_ROW;
    sb_printf(s, "<svg id=\"chart-trend\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                 "viewBox=\"0 0 %d %d\" role=\"img\" aria-labelledby=\"chart-trend-title\">\n",
              W * PER_ROW, (int)(rows ? rows : 1) * H, W * PER_ROW, (int)(rows ? rows : 1) * H);
    sb_puts(s, "<title id=\"chart-trend-title\">Share of worker-hours below the legal minimum (red) and the living "
               "wage (green dashed) over the last quarters, per country</title>\n");
    size_t i;
    json_t *c;
    json_array_foreach(countries, i, c) {
        int ox = (int)(i % PER_ROW) * W, oy = (int)(i / PER_ROW) * H;
        const json_t *t = json_object_get(c, "trend");
        size_t nq = json_array_size(t);
        sb_puts(s, "<g class=\"trend\" data-country=\"");
        sb_esc(s, gets(c, "country"));
        sb_printf(s, "\" transform=\"translate(%d %d)\">\n<text x=\"%d\" y=\"14\" font-size=\"12\" fill=\"#111\">", ox,
                  oy, PL);
        sb_esc(s, gets(c, "country"));
        sb_puts(s, "</text>\n");
        sb_printf(s, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#ccc\"/>\n", PL, PT,
                  W - PL - PR, H - PT - PB);
        sb_printf(s, "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\" fill=\"#333\">100%%</text>"
                     "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\" fill=\"#333\">0%%</text>\n",
                  PL - 3, PT + 4, PL - 3, H - PB);
        for (int series = 0; series < 2; series++) {
            const char *key = series ? "share_below_living_ppm" : "share_below_minimum_ppm";
            sb_printf(s, "<polyline class=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"",
                      series ? "trend-living" : "trend-minimum", series ? "#2e7d32" : "#c62828",
                      series ? " stroke-dasharray=\"4 3\"" : "");
            size_t k;
            json_t *q;
            bool first = true;
            json_array_foreach(t, k, q) {
                const json_t *v = json_object_get(q, key);
                if (!json_is_integer(v)) continue;
                int x = PL + (int)((W - PL - PR) * (2 * (int)k + 1) / (2 * (int)(nq ? nq : 1)));
                int y = H - PB - (int)((int64_t)(H - PT - PB) * json_integer_value(v) / 1000000);
                sb_printf(s, "%s%d,%d", first ? "" : " ", x, y);
                first = false;
            }
            sb_puts(s, "\"/>\n");
            /* the points themselves, so a single quarter shows */
            json_array_foreach(t, k, q) {
                const json_t *v = json_object_get(q, key);
                if (!json_is_integer(v)) continue;
                int x = PL + (int)((W - PL - PR) * (2 * (int)k + 1) / (2 * (int)(nq ? nq : 1)));
                int y = H - PB - (int)((int64_t)(H - PT - PB) * json_integer_value(v) / 1000000);
                sb_printf(s, "<circle class=\"%s-point\" cx=\"%d\" cy=\"%d\" r=\"3\" fill=\"%s\"/>\n",
                          series ? "trend-living" : "trend-minimum", x, y, series ? "#2e7d32" : "#c62828");
            }
        }
        size_t k;
        json_t *q;
        json_array_foreach(t, k, q) {
            int x = PL + (int)((W - PL - PR) * (2 * (int)k + 1) / (2 * (int)(nq ? nq : 1)));
            const char *label = gets(q, "quarter");
            sb_printf(s, "<text x=\"%d\" y=\"%d\" font-size=\"9\" text-anchor=\"middle\" fill=\"#333\">%s</text>\n", x,
                      H - PB + 12, label && strlen(label) == 6 ? label + 2 : "");
        }
        sb_puts(s, "</g>\n");
    }
    sb_puts(s, "</svg>\n");
}

static void html_pct_cells(struct sb *s, const json_t *p)
{
    char a[32];
    for (int k = 0; k < 3; k++) {
        const char *key = k == 0 ? "p10" : k == 1 ? "p50" : "p90";
        sb_printf(s, "<td class=\"num\">%s</td>", json_is_object(p) ? dec(a, sizeof a, json_object_get(p, key)) : "–");
    }
}

char *pay_report_html(const json_t *report)
{
    struct sb s = {0};
    char a[32], b[32], c3[32];
    const char *quarter = gets(report, "quarter");
    sb_puts(&s, "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
    sb_printf(&s, "fairlabel pay report %s", quarter);
    sb_puts(&s, "</title>\n<style>body{font-family:system-ui,sans-serif;margin:1.5rem;color:#111}"
                "table{border-collapse:collapse;margin:0.5rem 0 1.5rem}th,td{border:1px solid #ccc;padding:0.2rem "
                "0.45rem;font-size:0.85rem}td.num{text-align:right;font-variant-numeric:tabular-nums}"
                "caption{text-align:left;font-weight:600}</style>\n</head>\n<body>\n");
    sb_printf(&s, "<h1>Quarterly pay report %s</h1>\n", quarter);
    sb_printf(&s, "<p class=\"basis\">Answers approved from %s to %s (UTC). Effective hourly pay = the worker's "
                  "earnings on an answer (approval net + top-ups) ÷ its active time; percentiles are weighted by "
                  "worker-hours. Benchmarks as of %s (version %lld); platform floor %s USD an hour.</p>\n",
              gets(report, "from"), gets(report, "to"), gets(json_object_get(report, "benchmarks"), "as_of"),
              (long long)geti(json_object_get(report, "benchmarks"), "version"),
              dec(a, sizeof a, json_object_get(report, "platform_floor_usd_micros_per_hour")));
    const json_t *t = json_object_get(report, "totals");
    sb_printf(&s, "<p class=\"totals\">%lld answers by %lld workers, %s worker-hours; %s%% of benchmarked hours "
                  "below the legal minimum, %s%% below the living wage.</p>\n",
              (long long)geti(t, "answers"), (long long)geti(t, "workers"), hours(a, sizeof a, geti(t, "active_ms")),
              percent(b, sizeof b, json_object_get(t, "share_below_minimum_ppm")),
              percent(c3, sizeof c3, json_object_get(t, "share_below_living_ppm")));
    const json_t *stale = json_object_get(report, "stale_benchmarks");
    if (json_array_size(stale)) {
        sb_puts(&s, "<p class=\"stale\">Stale or low-confidence benchmarks: ");
        size_t i;
        json_t *v;
        json_array_foreach(stale, i, v) {
            if (i) sb_puts(&s, ", ");
            sb_esc(&s, json_string_value(v));
        }
        sb_puts(&s, ".</p>\n");
    }
    const json_t *countries = json_object_get(report, "countries");
    sb_puts(&s, "<section id=\"by-country\">\n<h2>By country</h2>\n");
    svg_distribution(&s, countries);
    svg_trend(&s, countries);
    sb_puts(&s, "<table class=\"countries\">\n<caption>Per country (hourly figures in local currency)</caption>\n"
                "<tr><th>country</th><th>currency</th><th>workers</th><th>answers</th><th>worker-hours</th>"
                "<th>p10</th><th>p50</th><th>p90</th><th>minimum</th><th>living</th><th>hours below minimum</th>"
                "<th>hours below living</th><th>top-ups</th><th>benchmark</th></tr>\n");
    size_t i;
    json_t *c;
    json_array_foreach(countries, i, c) {
        sb_puts(&s, "<tr><td>");
        sb_esc(&s, gets(c, "country"));
        sb_puts(&s, " ");
        sb_esc(&s, gets(c, "name"));
        sb_puts(&s, "</td><td>");
        sb_esc(&s, gets(c, "currency"));
        sb_printf(&s, "</td><td class=\"num\">%lld</td><td class=\"num\">%lld</td><td class=\"num\">%s</td>",
                  (long long)geti(c, "workers"), (long long)geti(c, "answers"), hours(a, sizeof a, geti(c, "active_ms")));
        html_pct_cells(&s, json_object_get(c, "hourly_local_micros"));
        const json_t *m = json_object_get(c, "minimum"), *l = json_object_get(c, "living");
        sb_printf(&s, "<td class=\"num\">%s</td>", json_is_object(m) ? dec(a, sizeof a, json_object_get(m, "hourly_local_micros")) : "–");
        sb_printf(&s, "<td class=\"num\">%s</td>", json_is_object(l) ? dec(a, sizeof a, json_object_get(l, "hourly_local_micros")) : "–");
        sb_printf(&s, "<td class=\"num\">%s%%</td><td class=\"num\">%s%%</td>",
                  percent(a, sizeof a, json_object_get(c, "share_below_minimum_ppm")),
                  percent(b, sizeof b, json_object_get(c, "share_below_living_ppm")));
        sb_printf(&s, "<td class=\"num\">%s</td><td>%s</td></tr>\n", dec(a, sizeof a, json_object_get(c, "topups_local_micros")),
                  json_is_true(json_object_get(c, "benchmark_missing")) ? "missing"
                  : json_is_true(json_object_get(c, "benchmark_stale")) ? "stale"
                                                                        : "current");
    }
    sb_puts(&s, "</table>\n</section>\n<section id=\"by-project\">\n<h2>By project</h2>\n"
                "<table class=\"projects\">\n<caption>Per project (hourly figures in the project's currency)</caption>\n"
                "<tr><th>project</th><th>currency</th><th>workers</th><th>answers</th><th>worker-hours</th><th>p10</th>"
                "<th>p50</th><th>p90</th><th>p50 USD</th><th>hours below minimum</th><th>hours below living</th>"
                "<th>top-ups</th></tr>\n");
    json_array_foreach(json_object_get(report, "projects"), i, c) {
        sb_printf(&s, "<tr><td>%lld ", (long long)geti(c, "project_id"));
        sb_esc(&s, gets(c, "name"));
        sb_puts(&s, "</td><td>");
        sb_esc(&s, gets(c, "currency"));
        sb_printf(&s, "</td><td class=\"num\">%lld</td><td class=\"num\">%lld</td><td class=\"num\">%s</td>",
                  (long long)geti(c, "workers"), (long long)geti(c, "answers"), hours(a, sizeof a, geti(c, "active_ms")));
        html_pct_cells(&s, json_object_get(c, "hourly_micros"));
        const json_t *hu = json_object_get(c, "hourly_usd_micros");
        sb_printf(&s, "<td class=\"num\">%s</td>", json_is_object(hu) ? dec(a, sizeof a, json_object_get(hu, "p50")) : "–");
        sb_printf(&s, "<td class=\"num\">%s%%</td><td class=\"num\">%s%%</td><td class=\"num\">%s</td></tr>\n",
                  percent(a, sizeof a, json_object_get(c, "share_below_minimum_ppm")),
                  percent(b, sizeof b, json_object_get(c, "share_below_living_ppm")),
                  dec(c3, sizeof c3, json_object_get(c, "topups_micros")));
    }
    sb_puts(&s, "</table>\n</section>\n</body>\n</html>\n");
    return sb_done(&s);
}
