/* Unit tests for core/fairwork_report.h: duration percentiles and targets, pass / fail / no data per
 * item, CSV quoting, HTML escaping, identical bytes when built twice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/fairwork_report.h"

#define H 3600000LL

static const json_t *item_of(const json_t *r, const char *id)
{
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(r, "items"), i, it)
        if (!strcmp(json_string_value(json_object_get(it, "item")), id)) return it;
    fail_msg("no item %s", id);
    return NULL;
}

static const char *status(const json_t *r, const char *id)
{
    return json_string_value(json_object_get(item_of(r, id), "status"));
}

static int64_t val(const json_t *r, const char *id, const char *k)
{
    const json_t *v = json_object_get(json_object_get(item_of(r, id), "value"), k);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

static void test_durations(void **state)
{
    (void)state;
    /* 10 values, unsorted: p50 is the 5th smallest, p90 the 9th */
    int64_t v[] = {10, 1, 9, 2, 8, 3, 7, 4, 6, 5};
    struct fw_durations d = {v, 10};
    json_t *o = fairwork_durations_json(&d, 6);
    assert_int_equal(json_integer_value(json_object_get(o, "count")), 10);
    assert_int_equal(json_integer_value(json_object_get(o, "p50_ms")), 5);
    assert_int_equal(json_integer_value(json_object_get(o, "p90_ms")), 9);
    assert_int_equal(json_integer_value(json_object_get(o, "max_ms")), 10);
    assert_int_equal(json_integer_value(json_object_get(o, "within_target")), 6);
    assert_int_equal(json_integer_value(json_object_get(o, "within_target_ppm")), 600000);
    json_decref(o);
    struct fw_durations none = {NULL, 0};
    o = fairwork_durations_json(&none, 6);
    assert_true(json_is_null(json_object_get(o, "p50_ms")));
    assert_true(json_is_null(json_object_get(o, "within_target_ppm")));
    json_decref(o);
    int64_t one[] = {42};
    struct fw_durations d1 = {one, 1};
    o = fairwork_durations_json(&d1, 6);
    assert_int_equal(json_integer_value(json_object_get(o, "p50_ms")), 42);
    assert_int_equal(json_integer_value(json_object_get(o, "p90_ms")), 42);
    assert_int_equal(json_integer_value(json_object_get(o, "within_target")), 0);
    json_decref(o);
}

static void test_empty_quarter(void **state)
{
    (void)state;
    struct fairwork_input in = {.quarter = pay_quarter_make(2026, 3)};
    json_t *r = fairwork_report_build(&in);
    assert_non_null(r);
    assert_string_equal(json_string_value(json_object_get(r, "from")), "2026-07-01");
    assert_string_equal(json_string_value(json_object_get(r, "to")), "2026-09-30");
    /* everything without data except FW-19, which passes with nothing in effect */
    assert_string_equal(status(r, "payout_latency"), "no_data");
    assert_string_equal(status(r, "decisions_without_human"), "pass");
    json_t *s = json_object_get(r, "summary");
    assert_int_equal(json_integer_value(json_object_get(s, "pass")), 1);
    assert_int_equal(json_integer_value(json_object_get(s, "fail")), 0);
    assert_int_equal(json_integer_value(json_object_get(s, "no_data")), 11);
    json_decref(r);
}

static struct fairwork_input sample(int64_t *pay, int64_t *tix, int64_t *appeal, int64_t *region)
{
    pay[0] = 50 * H, pay[1] = 8 * 24 * H;       /* one in 2 days and change, one after 8 days */
    tix[0] = 2 * H, tix[1] = 80 * H;           /* one answered late */
    appeal[0] = 3 * 24 * H;
    region[0] = 31 * 24 * H;
    struct fairwork_input in = {
        .quarter = pay_quarter_make(2026, 3),
        .payout = {pay, 2},
        .ticket_response = {tix, 2},
        .tickets = 2,
        .tickets_escalated = 1,
        .appeal = {appeal, 1},
        .appeals = 1,
        .appeals_upheld = 1,
        .region_notice = {region, 1},
        .regions = 1,
        .regions_full_notice = 1,
        .min_benchmarked_ms = 10 * H,
        .below_min_ms = 0,
        .living_benchmarked_ms = 10 * H,
        .below_living_ms = 4 * H,
        .decisions_without_human = 1,
    };
    return in;
}

static void test_small_quarter(void **state)
{
    (void)state;
    int64_t pay[2], tix[2], appeal[1], region[1];
    struct fairwork_input in = sample(pay, tix, appeal, region);
    json_t *r = fairwork_report_build(&in);
    assert_string_equal(status(r, "payout_latency"), "fail");
    assert_int_equal(val(r, "payout_latency", "within_target"), 1);
    assert_int_equal(val(r, "payout_latency", "within_target_ppm"), 500000);
    assert_int_equal(val(r, "payout_latency", "max_ms"), 8 * 24 * H);
    assert_string_equal(status(r, "ticket_first_response"), "fail");
    assert_int_equal(val(r, "ticket_first_response", "p50_ms"), 2 * H);
    assert_int_equal(val(r, "ticket_first_response", "p90_ms"), 80 * H);
    assert_int_equal(val(r, "ticket_first_response", "escalated"), 1);
    assert_string_equal(status(r, "appeals"), "pass");
    assert_string_equal(status(r, "region_notice"), "pass");
    assert_int_equal(val(r, "region_notice", "p50_ms"), 31 * 24 * H);
    assert_string_equal(status(r, "hours_at_minimum"), "pass");
    assert_int_equal(val(r, "hours_at_minimum", "at_or_above_ppm"), 1000000);
    assert_string_equal(status(r, "hours_at_living"), "fail");
    assert_int_equal(val(r, "hours_at_living", "at_or_above_ppm"), 600000);
    assert_string_equal(status(r, "decisions_without_human"), "fail");
    assert_string_equal(status(r, "requesters_flagged"), "no_data");

    /* same figures, same bytes */
    int64_t pay2[2], tix2[2], appeal2[1], region2[1];
    struct fairwork_input in2 = sample(pay2, tix2, appeal2, region2);
    json_t *r2 = fairwork_report_build(&in2);
    char *a[3] = {fairwork_report_json_text(r), fairwork_report_csv(r), fairwork_report_html(r)};
    char *b[3] = {fairwork_report_json_text(r2), fairwork_report_csv(r2), fairwork_report_html(r2)};
    for (int i = 0; i < 3; i++) {
        assert_non_null(a[i]);
        assert_string_equal(a[i], b[i]);
    }
    /* CSV: the header, one line per item, the value quoted (it holds no comma but ';' is fine unquoted) */
    assert_non_null(strstr(a[1], "quarter,rule,item,status,target,value\n"));
    assert_non_null(strstr(a[1], "2026Q3,FW-9,payout_latency,fail,every confirmed payout within 7 days,count=2; "
                                 "max_ms=691200000; p50_ms=180000000; p90_ms=691200000; within_target=1; "
                                 "within_target_ppm=500000\n"));
    assert_non_null(strstr(a[2], "<tr class=\"fail\"><td>FW-9</td>"));
    assert_non_null(strstr(a[2], "&#10003; pass"));
    for (int i = 0; i < 3; i++) {
        free(a[i]);
        free(b[i]);
    }
    json_decref(r);
    json_decref(r2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_empty_quarter),
        cmocka_unit_test(test_small_quarter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
