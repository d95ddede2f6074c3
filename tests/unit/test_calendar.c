/* Unit tests for core/calendar.h: civil dates both ways and ISO 8601 weeks at year boundaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/calendar.h"

static void test_civil_round_trip(void **state)
{
    (void)state;
    assert_int_equal(calendar_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(calendar_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(calendar_days_from_civil(1969, 12, 31), -1);
    for (int64_t d = -800000; d <= 800000; d += 367) {
        int64_t y;
        int m, day;
        calendar_civil_from_days(d, &y, &m, &day);
        assert_int_equal(calendar_days_from_civil(y, m, day), d);
        assert_true(m >= 1 && m <= 12 && day >= 1 && day <= 31);
    }
    int64_t y;
    int m, d;
    calendar_civil_from_days(calendar_days_from_civil(2024, 2, 29), &y, &m, &d);
    assert_int_equal(y * 10000 + m * 100 + d, 20240229);
    assert_int_equal(calendar_day_of_ms(-1), -1); /* the last ms of 1969 */
    assert_int_equal(calendar_day_of_ms(86399999), 0);
}

static void test_iso_week(void **state)
{
    (void)state;
    static const struct {
        int64_t ms;
        const char *week;
    } cases[] = {
        {0, "1970-W01"},                   /* Thursday 1970-01-01 */
        {1795910400000LL, "2026-W48"},     /* Sunday 2026-11-29 */
        {1795996800000LL, "2026-W49"},     /* Monday 2026-11-30 */
        {1795996800000LL - 1, "2026-W48"}, /* the last ms of that Sunday */
        {1609459200000LL, "2020-W53"},     /* Friday 2021-01-01 belongs to 2020 */
        {1609632000000LL, "2020-W53"},     /* Sunday 2021-01-03 too */
        {1735516800000LL, "2025-W01"},     /* Monday 2024-12-30 belongs to 2025 */
        {1735603200000LL, "2025-W01"},     /* Tuesday 2024-12-31 */
        {1704067200000LL, "2024-W01"},     /* Monday 2024-01-01 */
        {1703980800000LL, "2023-W52"},     /* Sunday 2023-12-31 */
        {1798761600000LL, "2026-W53"},     /* Friday 2027-01-01 */
        {951782400000LL, "2000-W09"},      /* 2000-02-29 */
        {-86400000LL, "1970-W01"},         /* Wednesday 1969-12-31 is in the week of 1970-01-01 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char w[16];
        calendar_iso_week(cases[i].ms, w, sizeof w);
        assert_string_equal(w, cases[i].week);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_civil_round_trip),
        cmocka_unit_test(test_iso_week),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
