/* Unit tests for core/pay_report.h: quarters, hours-weighted percentiles, shares, the FW-24 rules, and a
 * small report checked by hand (percentiles, shares below the minimum and the living wage, trend,
 * identical bytes when built twice). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/pay_report.h"

static void test_quarters(void **state)
{
    (void)state;
    struct pay_quarter q;
    assert_true(pay_quarter_parse("2026Q3", &q));
    assert_int_equal(q.year, 2026);
    assert_int_equal(q.q, 3);
    assert_int_equal(q.start_ms, 1782864000000LL); /* 2026-07-01T00:00:00Z */
    assert_int_equal(q.end_ms, 1790812800000LL);   /* 2026-10-01T00:00:00Z */
    assert_string_equal(q.label, "2026Q3");
    struct pay_quarter p = pay_quarter_prev(pay_quarter_make(2026, 1));
    assert_string_equal(p.label, "2025Q4");
    assert_int_equal(p.end_ms, pay_quarter_make(2026, 1).start_ms);
    assert_string_equal(pay_quarter_of(q.start_ms).label, "2026Q3");
    assert_string_equal(pay_quarter_of(q.end_ms - 1).label, "2026Q3");
    assert_string_equal(pay_quarter_of(q.end_ms).label, "2026Q4");
    assert_false(pay_quarter_parse("2026Q5", &q));
    assert_false(pay_quarter_parse("2026-3", &q));
    assert_false(pay_quarter_parse("26Q3", &q));
    assert_false(pay_quarter_parse("1969Q4", &q));
}

static void test_weighted_percentiles(void **state)
{
    (void)state;
    /* rates 1, 2, 3 with 3, 3 and 4 hours: 30% of the hours are paid 1, 60% at most 2 */
    struct pay_sample s[] = {{3, 4}, {1, 3}, {2, 3}};
    pay_samples_sort(s, 3);
    assert_int_equal(s[0].rate, 1);
    assert_int_equal(pay_weighted_percentile(s, 3, 10), 1);
    assert_int_equal(pay_weighted_percentile(s, 3, 30), 1); /* reaching exactly 30% counts */
    assert_int_equal(pay_weighted_percentile(s, 3, 31), 2);
    assert_int_equal(pay_weighted_percentile(s, 3, 50), 2);
    assert_int_equal(pay_weighted_percentile(s, 3, 60), 2);
    assert_int_equal(pay_weighted_percentile(s, 3, 90), 3);
    assert_int_equal(pay_weighted_percentile(s, 3, 0), 1);
    assert_int_equal(pay_weighted_percentile(s, 3, 100), 3);
    /* one long answer outweighs four short ones */
    struct pay_sample t[] = {{10, 1}, {20, 1}, {30, 1}, {40, 1}, {50, 6}};
    assert_int_equal(pay_weighted_percentile(t, 5, 10), 10);
    assert_int_equal(pay_weighted_percentile(t, 5, 40), 40);
    assert_int_equal(pay_weighted_percentile(t, 5, 41), 50);
    assert_int_equal(pay_weighted_percentile(t, 5, 50), 50);
    struct pay_sample one[] = {{7, 5}};
    assert_int_equal(pay_weighted_percentile(one, 1, 10), 7);
    assert_int_equal(pay_weighted_percentile(one, 1, 90), 7);
}

static void test_shares_and_median(void **state)
{
    (void)state;
    assert_int_equal(pay_share_ppm(1, 4), 250000);
    assert_int_equal(pay_share_ppm(1, 3), 333333);
    assert_int_equal(pay_share_ppm(2, 3), 666667);
    assert_int_equal(pay_share_ppm(1, 2000000), 0); /* 0.5 ppm → 0 (half-even) */
    assert_int_equal(pay_share_ppm(3, 2000000), 2); /* 1.5 ppm → 2 */
    assert_int_equal(pay_share_ppm(5, 0), 0);
    int64_t v[] = {9, 1, 5, 3};
    assert_int_equal(pay_median_i64(v, 4), 3); /* the lower median */
    int64_t w[] = {9, 1, 5};
    assert_int_equal(pay_median_i64(w, 3), 5);
}

static void test_requester_rules(void **state)
{
    (void)state;
    /* the 20% floor: 5 of 20 is 25% > 20% */
    assert_true(requester_rejects_far_above(20, 5, 0));
    assert_false(requester_rejects_far_above(20, 4, 0)); /* exactly 20% is not above */
    assert_false(requester_rejects_far_above(19, 19, 0)); /* too few decisions */
    /* twice a 15% platform median is 30%: 7 of 20 (35%) is above, 6 of 20 (30%) is not */
    assert_true(requester_rejects_far_above(20, 7, 150000));
    assert_false(requester_rejects_far_above(20, 6, 150000));
    assert_true(requester_underpays(20, 1999999, 2000000));
    assert_false(requester_underpays(20, 2000000, 2000000));
    assert_false(requester_underpays(19, 1, 2000000));
}

/* Kenya with 1 KES = 0.01 USD, a minimum of 100 KES and a living wage of 300 KES an hour. */
static struct wage_country ke = {.country = "KE", .name = "Kenya", .currency = "KES", .usd_per_unit = {1, 2},
                                 .fx_date = {2026, 6, 1}, .weekly_hours_micros = 40000000, .hours_source = "test"};
static struct wage_benchmark bench[] = {
    {.country = "KE", .region = "national", .kind = WAGE_MINIMUM, .amount_micros = 100000000, .currency = "KES",
     .unit = WAGE_PER_HOUR, .ref_date = {2026, 5, 1}, .method = "test", .source = "test minimum"},
    {.country = "KE", .region = "national", .kind = WAGE_LIVING, .amount_micros = 300000000, .currency = "KES",
     .unit = WAGE_PER_HOUR, .ref_date = {2023, 1, 1}, .method = "test", .source = "test living"},
};

static json_t *build_small(char **json_text)
{
    struct pay_quarter q = pay_quarter_make(2026, 3);
    int64_t in_q = q.start_ms + 1000, before = pay_quarter_prev(q).start_ms + 1000;
    static struct pay_report_row rows[] = {
        /* 0.5 USD in 1 h = 50 KES/h: below both */
        {.assignment_id = 1, .worker_id = 11, .project_id = 1, .requester_id = 5, .country = "KE", .currency = "USD",
         .project_name = "=P1", .active_ms = 3600000, .earned_micros = 500000},
        /* 2 USD in 1 h = 200 KES/h: below the living wage only; 0.5 of it a top-up */
        {.assignment_id = 2, .worker_id = 12, .project_id = 1, .requester_id = 5, .country = "KE", .currency = "USD",
         .project_name = "=P1", .active_ms = 3600000, .earned_micros = 2000000, .topup_micros = 500000},
        /* 8 USD in 2 h = 400 KES/h: above both */
        {.assignment_id = 3, .worker_id = 13, .project_id = 2, .requester_id = 5, .country = "KE", .currency = "USD",
         .project_name = "P2, \"quoted\"", .active_ms = 7200000, .earned_micros = 8000000},
        /* a country without benchmarks */
        {.assignment_id = 4, .worker_id = 14, .project_id = 2, .requester_id = 5, .country = "ZZ", .currency = "USD",
         .project_name = "P2, \"quoted\"", .active_ms = 3600000, .earned_micros = 1000000},
        /* the quarter before: 1 h at 50 KES/h, all below both */
        {.assignment_id = 5, .worker_id = 11, .project_id = 1, .requester_id = 5, .country = "KE", .currency = "USD",
         .project_name = "=P1", .active_ms = 3600000, .earned_micros = 500000},
    };
    for (int i = 0; i < 4; i++) rows[i].approved_at = in_q;
    rows[4].approved_at = before;
    struct wage_tables t = {bench, 2, &ke, 1};
    struct pay_report_input in = {.quarter = q, .rows = rows, .n_rows = 5, .tables = &t, .tables_version = 3,
                                  .platform_floor_usd_micros = 2000000};
    json_t *r = pay_report_build(&in);
    assert_non_null(r);
    *json_text = pay_report_json_text(r);
    assert_non_null(*json_text);
    return r;
}

static void test_small_report(void **state)
{
    (void)state;
    char *text;
    json_t *r = build_small(&text);
    assert_string_equal(json_string_value(json_object_get(r, "quarter")), "2026Q3");
    assert_string_equal(json_string_value(json_object_get(r, "from")), "2026-07-01");
    assert_string_equal(json_string_value(json_object_get(r, "to")), "2026-09-30");
    json_t *countries = json_object_get(r, "countries");
    assert_int_equal(json_array_size(countries), 2);
    json_t *k = json_array_get(countries, 0);
    assert_string_equal(json_string_value(json_object_get(k, "country")), "KE");
    assert_int_equal(json_integer_value(json_object_get(k, "answers")), 3);
    assert_int_equal(json_integer_value(json_object_get(k, "workers")), 3);
    assert_int_equal(json_integer_value(json_object_get(k, "active_ms")), 4 * 3600000);
    json_t *usd = json_object_get(k, "hourly_usd_micros"), *loc = json_object_get(k, "hourly_local_micros");
    /* 4 hours: 1 h at 0.5, 1 h at 2, 2 h at 4 USD */
    assert_int_equal(json_integer_value(json_object_get(usd, "p10")), 500000);
    assert_int_equal(json_integer_value(json_object_get(usd, "p50")), 2000000);
    assert_int_equal(json_integer_value(json_object_get(usd, "p90")), 4000000);
    assert_int_equal(json_integer_value(json_object_get(loc, "p10")), 50000000);
    assert_int_equal(json_integer_value(json_object_get(loc, "p50")), 200000000);
    assert_int_equal(json_integer_value(json_object_get(loc, "p90")), 400000000);
    assert_int_equal(json_integer_value(json_object_get(k, "share_below_minimum_ppm")), 250000);
    assert_int_equal(json_integer_value(json_object_get(k, "share_below_living_ppm")), 500000);
    assert_int_equal(json_integer_value(json_object_get(k, "topups_usd_micros")), 500000);
    assert_int_equal(json_integer_value(json_object_get(k, "topups_local_micros")), 50000000);
    assert_int_equal(json_integer_value(json_object_get(k, "earnings_local_micros")), 1050000000);
    json_t *min = json_object_get(k, "minimum");
    assert_int_equal(json_integer_value(json_object_get(min, "hourly_local_micros")), 100000000);
    assert_int_equal(json_integer_value(json_object_get(min, "hourly_usd_micros")), 1000000);
    assert_false(json_is_true(json_object_get(min, "stale")));
    /* the living figure of 2023-01 is more than 24 months before 2026-09-30 */
    assert_true(json_is_true(json_object_get(json_object_get(k, "living"), "stale")));
    assert_true(json_is_true(json_object_get(k, "benchmark_stale")));
    assert_string_equal(json_string_value(json_array_get(json_object_get(r, "stale_benchmarks"), 0)), "KE");
    /* trend, oldest first: 2025Q4 and 2026Q1 empty, 2026Q2 all below, 2026Q3 as above */
    json_t *trend = json_object_get(k, "trend");
    assert_int_equal(json_array_size(trend), 4);
    assert_string_equal(json_string_value(json_object_get(json_array_get(trend, 0), "quarter")), "2025Q4");
    assert_true(json_is_null(json_object_get(json_array_get(trend, 0), "share_below_minimum_ppm")));
    assert_int_equal(json_integer_value(json_object_get(json_array_get(trend, 2), "share_below_minimum_ppm")), 1000000);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(trend, 3), "share_below_living_ppm")), 500000);
    /* no benchmarks: no local figures, no shares */
    json_t *zz = json_array_get(countries, 1);
    assert_string_equal(json_string_value(json_object_get(zz, "country")), "ZZ");
    assert_true(json_is_null(json_object_get(zz, "share_below_minimum_ppm")));
    assert_true(json_is_true(json_object_get(zz, "benchmark_missing")));
    /* projects: P2 has 3 h, 2 of them benchmarked (ZZ's hour is not), none below */
    json_t *p2 = json_array_get(json_object_get(r, "projects"), 1);
    assert_int_equal(json_integer_value(json_object_get(p2, "project_id")), 2);
    assert_int_equal(json_integer_value(json_object_get(p2, "hours_benchmarked_minimum_ms")), 7200000);
    assert_int_equal(json_integer_value(json_object_get(p2, "share_below_minimum_ppm")), 0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(p2, "hourly_micros"), "p10")), 1000000);
    /* totals: 5 h in the quarter, 4 benchmarked, 1 below the minimum */
    json_t *tot = json_object_get(r, "totals");
    assert_int_equal(json_integer_value(json_object_get(tot, "active_ms")), 5 * 3600000);
    assert_int_equal(json_integer_value(json_object_get(tot, "share_below_minimum_ppm")), 250000);

    /* renderings: the same bytes twice, the CSV quoting names, the HTML with both reference lines */
    char *csv = pay_report_csv(r), *html = pay_report_html(r);
    assert_non_null(csv);
    assert_non_null(html);
    assert_non_null(strstr(csv, "country,KE,Kenya,KES,3,3,4,0,1050,10.5,0.5,50,200,400,0.5,2,4,100,1,300,3,0.25,0.5,true\n"));
    assert_non_null(strstr(csv, "project,2,\"P2, \"\"quoted\"\"\",USD,"));
    assert_non_null(strstr(csv, "project,1,'=P1,USD,")); /* never a formula in a spreadsheet */
    assert_non_null(strstr(html, "class=\"ref-minimum\""));
    assert_non_null(strstr(html, "class=\"ref-living\""));
    assert_non_null(strstr(html, "class=\"trend-minimum\""));
    assert_non_null(strstr(html, "P2, &quot;quoted&quot;"));
    char *text2;
    json_t *r2 = build_small(&text2);
    char *csv2 = pay_report_csv(r2), *html2 = pay_report_html(r2);
    assert_string_equal(text, text2);
    assert_string_equal(csv, csv2);
    assert_string_equal(html, html2);
    free(csv);
    free(csv2);
    free(html);
    free(html2);
    free(text);
    free(text2);
    json_decref(r);
    json_decref(r2);
}

static void test_empty_report(void **state)
{
    (void)state;
    struct wage_tables t = {bench, 2, &ke, 1};
    struct pay_report_input in = {.quarter = pay_quarter_make(2026, 1), .tables = &t, .platform_floor_usd_micros = 1};
    json_t *r = pay_report_build(&in);
    assert_non_null(r);
    assert_int_equal(json_array_size(json_object_get(r, "countries")), 0);
    assert_true(json_is_null(json_object_get(json_object_get(r, "totals"), "hourly_usd_micros")));
    char *html = pay_report_html(r), *csv = pay_report_csv(r);
    assert_non_null(html);
    assert_non_null(csv);
    free(html);
    free(csv);
    json_decref(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quarters),       cmocka_unit_test(test_weighted_percentiles),
        cmocka_unit_test(test_shares_and_median), cmocka_unit_test(test_requester_rules),
        cmocka_unit_test(test_small_report),   cmocka_unit_test(test_empty_report),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
