/* The quarterly pay report (FW-10) and requester accountability figures (FW-24): effective hourly pay
 * from approved answers' earnings and active time, weighted by worker-hours, against each country's
 * legal minimum and living wage. Pure: the caller reads the rows and the wage tables; the report is
 * built as JSON and rendered to CSV and HTML (with inline SVG charts) from that JSON alone, so the
 * same rows give the same bytes. All money is int64 micros, converted exactly (core/money.h). */
#ifndef FL_PAY_REPORT_H
#define FL_PAY_REPORT_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/wages.h"

#define PAY_REPORT_TREND 4 /* quarters in the trend: the report's and the three before */

/* A calendar quarter in UTC: [start_ms, end_ms). */
struct pay_quarter {
    int year, q; /* q 1..4 */
    int64_t start_ms, end_ms;
    char label[8]; /* "2026Q3" */
};
/* "2026Q3" (year 1970..9999, Q1..Q4; "q" accepted) */
bool pay_quarter_parse(const char *s, struct pay_quarter *out);
struct pay_quarter pay_quarter_make(int year, int q);
struct pay_quarter pay_quarter_prev(struct pay_quarter q);
/* The quarter holding a time (ms since the epoch, >= 0). */
struct pay_quarter pay_quarter_of(int64_t ms);

/* ---- weighted percentiles and shares ---- */

struct pay_sample {
    int64_t rate;   /* micros per hour */
    int64_t weight; /* active ms (> 0) */
};
/* Sorts by rate, ties by weight, so the order is total and the result deterministic. */
void pay_samples_sort(struct pay_sample *s, size_t n);
/* The hours-weighted lower percentile of sorted samples: the rate of the first sample (in rate order)
 * at which the cumulative weight reaches pct% of the total weight, i.e. the least k with
 *     100 × (w_1 + … + w_k) >= pct × (w_1 + … + w_n).
 * No interpolation: always a rate some answer was paid at. pct 0..100; n > 0 and weights > 0. */
int64_t pay_weighted_percentile(const struct pay_sample *sorted, size_t n, int pct);
/* part / whole in parts per million, half-even; 0 when whole <= 0. */
int64_t pay_share_ppm(int64_t part, int64_t whole);
/* The lower median of v (sorted in place): v[(n - 1) / 2]; n > 0. */
int64_t pay_median_i64(int64_t *v, size_t n);

/* ---- the report ---- */

/* One approved answer. */
struct pay_report_row {
    int64_t assignment_id, worker_id, project_id, requester_id;
    char country[3];  /* the worker's */
    char currency[4]; /* the project's */
    const char *project_name;
    int64_t active_ms;     /* measured active time; <= 0: unmeasured (no rate, no hours) */
    int64_t earned_micros; /* approval net + top-ups, in the project's currency */
    int64_t topup_micros;  /* the top-ups alone */
    int64_t approved_at;
};

struct pay_report_input {
    struct pay_quarter quarter;
    const struct pay_report_row *rows; /* approved in the report's quarter or the PAY_REPORT_TREND-1 before */
    size_t n_rows;
    const struct wage_tables *tables;
    int64_t tables_version;
    int64_t platform_floor_usd_micros; /* per hour */
};

/* The report as JSON (see docs/pay.md for every member); NULL when memory runs out. Countries are
 * sorted by code, projects by id; nothing in it depends on when it is built. */
json_t *pay_report_build(const struct pay_report_input *in);
/* Renderings of a built report; malloc'd, NUL-terminated; NULL when memory runs out. */
char *pay_report_json_text(const json_t *report);
char *pay_report_csv(const json_t *report);
char *pay_report_html(const json_t *report);

/* ---- FW-24: requesters far outside the norm ---- */

#define REQUESTER_MIN_DECISIONS 20       /* fewer decisions than this never flag the rejection rate */
#define REQUESTER_MIN_PAID_ANSWERS 20    /* fewer measured approved answers never flag the pay */
#define REQUESTER_REJECT_FLOOR_PPM 200000 /* 20%: a rate at or under this is never "far above the norm" */

/* Whether a rejection rate is far above the platform's: with at least REQUESTER_MIN_DECISIONS decisions,
 * rejections / decisions > max(2 × platform median rate, 20%), compared exactly. */
bool requester_rejects_far_above(int64_t decisions, int64_t rejections, int64_t platform_median_ppm);
/* Whether the median effective hourly pay is under the platform floor, with at least
 * REQUESTER_MIN_PAID_ANSWERS measured approved answers. */
bool requester_underpays(int64_t paid_answers, int64_t median_hourly_usd_micros, int64_t platform_floor_usd_micros);

#endif
