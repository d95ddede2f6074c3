/* Unit tests for core/active_time.h: heartbeat credit, the time stored at submit, medians, ISO weeks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/active_time.h"

static void test_beat_credit(void **state)
{
    (void)state;
    /* visible and active: the time since the previous beat */
    assert_int_equal(active_beat_credit(1000, 16000, 100000, true, true), 15000);
    /* idle or hidden: nothing, however long */
    assert_int_equal(active_beat_credit(1000, 16000, 100000, true, false), 0);
    assert_int_equal(active_beat_credit(1000, 16000, 100000, false, true), 0);
    /* a long gap (tab asleep, beats lost) is capped at two intervals */
    assert_int_equal(active_beat_credit(0, 600000, 10000000, true, true), ACTIVE_MAX_GAP_MS);
    assert_int_equal(active_beat_credit(0, 30001, 10000000, true, true), 30000);
    assert_int_equal(active_beat_credit(0, 29999, 10000000, true, true), 29999);
    /* never past the lease's end */
    assert_int_equal(active_beat_credit(0, 20000, 12000, true, true), 12000);
    assert_int_equal(active_beat_credit(15000, 20000, 12000, true, true), 0);
    /* a clock going backwards credits nothing */
    assert_int_equal(active_beat_credit(5000, 4000, 12000, true, true), 0);
}

static void test_at_submit(void **state)
{
    (void)state;
    /* no beat: wall time claim → submit */
    assert_int_equal(active_at_submit(1000, 601000, false, 0, 0, 91000), 90000);
    /* no beat, submitted after the lease end would be refused, but the bound holds anyway */
    assert_int_equal(active_at_submit(1000, 601000, false, 0, 0, 900000), 600000);
    /* beats: credited plus the tail since the last beat (the submit is input), capped */
    assert_int_equal(active_at_submit(0, 600000, true, 45000, 40000, 50000), 45000);
    assert_int_equal(active_at_submit(0, 600000, true, 45000, 40000, 500000), 70000);
    /* bounded by the lease */
    assert_int_equal(active_at_submit(0, 60000, true, 59000, 59000, 80000), 60000);
    /* beats that were all idle count only the tail */
    assert_int_equal(active_at_submit(0, 600000, true, 300000, 0, 310000), 10000);
}

static void test_median(void **state)
{
    (void)state;
    int64_t odd[] = {50, 10, 40, 20, 30};
    assert_int_equal(active_median_ms(odd, 5), 30);
    int64_t even[] = {40, 10, 30, 20};
    assert_int_equal(active_median_ms(even, 4), 25);
    int64_t up[] = {1, 2};
    assert_int_equal(active_median_ms(up, 2), 2); /* 1.5 rounds up */
    int64_t big[] = {INT64_MAX - 1, INT64_MAX};
    assert_int_equal(active_median_ms(big, 2), INT64_MAX);
    assert_int_equal(active_median_ms(NULL, 0), -1);
    assert_int_equal(active_seconds_up(0), 0);
    assert_int_equal(active_seconds_up(1), 1);
    assert_int_equal(active_seconds_up(1000), 1);
    assert_int_equal(active_seconds_up(1001), 2);
    assert_int_equal(active_seconds_up(-5), 0);
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_beat_credit),
        cmocka_unit_test(test_at_submit),
        cmocka_unit_test(test_median),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
