/* Unit tests for core/money.h: half-even rounding, fee splits, hourly rates, top-ups, decimals, conversion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/money.h"

static int64_t he(money_i128 num, money_i128 den)
{
    int64_t q = 0x5a5a;
    if (!money_div_half_even(num, den, &q)) fail_msg("money_div_half_even refused %lld/%lld", (long long)num,
                                                     (long long)den);
    return q;
}

static void test_half_even_hand_cases(void **state)
{
    (void)state;
    /* 2.5 → 2, 3.5 → 4, −2.5 → −2, −3.5 → −4: a tie goes to the even neighbour, symmetric around zero */
    assert_int_equal(he(5, 2), 2);
    assert_int_equal(he(7, 2), 4);
    assert_int_equal(he(-5, 2), -2);
    assert_int_equal(he(-7, 2), -4);
    assert_int_equal(he(5, -2), -2);
    assert_int_equal(he(-5, -2), 2);
    assert_int_equal(he(1, 2), 0);
    assert_int_equal(he(-1, 2), 0);
    assert_int_equal(he(3, 2), 2);
    /* not ties: nearest */
    assert_int_equal(he(1, 3), 0);
    assert_int_equal(he(2, 3), 1);
    assert_int_equal(he(-2, 3), -1);
    assert_int_equal(he(26, 10), 3);
    assert_int_equal(he(24, 10), 2);
    assert_int_equal(he(0, 7), 0);
    /* ties at the micro scale: 2.5 and 3.5 micros expressed in tenths of a micro */
    assert_int_equal(he(25, 10), 2);
    assert_int_equal(he(35, 10), 4);
    assert_int_equal(he(-25, 10), -2);
    /* a unit with half a micro above it: 1.0000005 units → 1000000 micros, 1.0000015 → 1000002 */
    assert_int_equal(he(10000005, 10), 1000000);
    assert_int_equal(he(10000015, 10), 1000002);
    /* the extremes still fit */
    assert_int_equal(he(INT64_MIN, 1), INT64_MIN);
    assert_int_equal(he(INT64_MAX, 1), INT64_MAX);
    assert_int_equal(he((money_i128)INT64_MAX * 3, 3), INT64_MAX);
}

static void test_division_refusals(void **state)
{
    (void)state;
    int64_t q = 42;
    assert_false(money_div_half_even(1, 0, &q));
    assert_false(money_div_half_even((money_i128)INT64_MAX + 1, 1, &q));
    assert_false(money_div_half_even((money_i128)INT64_MIN - 1, 1, &q));
    /* INT64_MAX + 0.5 is a tie; INT64_MAX is odd, so it would round up past the range */
    assert_false(money_div_half_even((money_i128)INT64_MAX * 2 + 1, 2, &q));
    /* INT64_MIN − 0.5: INT64_MIN is even, so the tie stays inside */
    assert_true(money_div_half_even((money_i128)INT64_MIN * 2 - 1, 2, &q));
    assert_int_equal(q, INT64_MIN);
    assert_false(money_div_ceil(1, 0, &q));
    assert_false(money_div_floor(1, 0, &q));
    assert_int_equal(q, INT64_MIN); /* untouched by the refusals */
}

static void test_ceil_floor(void **state)
{
    (void)state;
    int64_t q;
    assert_true(money_div_ceil(7, 2, &q));
    assert_int_equal(q, 4);
    assert_true(money_div_ceil(-7, 2, &q));
    assert_int_equal(q, -3);
    assert_true(money_div_ceil(6, 2, &q));
    assert_int_equal(q, 3);
    assert_true(money_div_ceil(7, -2, &q));
    assert_int_equal(q, -3);
    assert_true(money_div_floor(7, 2, &q));
    assert_int_equal(q, 3);
    assert_true(money_div_floor(-7, 2, &q));
    assert_int_equal(q, -4);
    assert_true(money_div_floor(-6, 2, &q));
    assert_int_equal(q, -3);
}

static void test_fee(void **state)
{
    (void)state;
    int64_t fee;
    /* 10% of 1 USD */
    assert_true(money_fee(1000000, 1000, &fee));
    assert_int_equal(fee, 100000);
    /* 333333 × 2.5% = 8333.325 → 8333 */
    assert_true(money_fee(333333, 250, &fee));
    assert_int_equal(fee, 8333);
    /* ties at the micro: 50% of 1, 3, 5, 7 micros = 0.5, 1.5, 2.5, 3.5 → 0, 2, 2, 4 */
    assert_true(money_fee(1, 5000, &fee));
    assert_int_equal(fee, 0);
    assert_true(money_fee(3, 5000, &fee));
    assert_int_equal(fee, 2);
    assert_true(money_fee(5, 5000, &fee));
    assert_int_equal(fee, 2);
    assert_true(money_fee(7, 5000, &fee));
    assert_int_equal(fee, 4);
    /* a refund's fee is the exact negative */
    assert_true(money_fee(-5, 5000, &fee));
    assert_int_equal(fee, -2);
    assert_true(money_fee(-333333, 250, &fee));
    assert_int_equal(fee, -8333);
    assert_true(money_fee(INT64_MAX, 10000, &fee));
    assert_int_equal(fee, INT64_MAX);
    assert_true(money_fee(123, 0, &fee));
    assert_int_equal(fee, 0);
    assert_false(money_fee(100, -1, &fee));
    assert_false(money_fee(100, 10001, &fee));
}

static void test_split_sums_exactly(void **state)
{
    (void)state;
    static const int64_t bps[] = {0, 1, 3, 250, 333, 500, 999, 1000, 2500, 3333, 5000, 6667, 9999, 10000};
    for (size_t b = 0; b < sizeof bps / sizeof *bps; b++)
        for (int64_t g = -2000; g <= 200000; g += (g < 20000 ? 1 : 97)) {
            int64_t net, fee;
            assert_true(money_split(g, bps[b], &net, &fee));
            if (net + fee != g) fail_msg("gross %lld at %lld bps: net %lld + fee %lld", (long long)g,
                                         (long long)bps[b], (long long)net, (long long)fee);
            /* the fee is the exact fee rounded: within half a micro, i.e. |2 × 10000 × fee − 2 × g × bps| <= 10000 */
            money_i128 d = (money_i128)fee * 20000 - (money_i128)g * bps[b] * 2;
            if (d < 0) d = -d;
            if (d > 10000) fail_msg("gross %lld at %lld bps: fee %lld is not the rounded fee", (long long)g,
                                    (long long)bps[b], (long long)fee);
        }
    int64_t net, fee;
    /* 5% worker fee on 0.5 USD */
    assert_true(money_split(500000, 500, &net, &fee));
    assert_int_equal(net, 475000);
    assert_int_equal(fee, 25000);
    /* 333333 at 2.5%: fee 8333 (8333.325 rounded), net gets the rest */
    assert_true(money_split(333333, 250, &net, &fee));
    assert_int_equal(fee, 8333);
    assert_int_equal(net, 325000);
    assert_true(money_split(INT64_MIN, 10000, &net, &fee));
    assert_int_equal(net, 0);
    assert_false(money_split(1, 10001, &net, &fee));
}

static void test_rate_per_hour(void **state)
{
    (void)state;
    int64_t r;
    /* 0.50 over 15 minutes = 2.00 an hour */
    assert_true(money_rate_per_hour(500000, 900, &r));
    assert_int_equal(r, 2000000);
    /* 0.10 over 7 s = 51.428571428… → 51428571 */
    assert_true(money_rate_per_hour(100000, 7, &r));
    assert_int_equal(r, 51428571);
    /* 1 micro over 2 h = 0.5 → 0; 3 micros = 1.5 → 2 */
    assert_true(money_rate_per_hour(1, 7200, &r));
    assert_int_equal(r, 0);
    assert_true(money_rate_per_hour(3, 7200, &r));
    assert_int_equal(r, 2);
    assert_false(money_rate_per_hour(1, 0, &r));
    assert_false(money_rate_per_hour(1, -5, &r));
    assert_false(money_rate_per_hour(INT64_MAX, 1, &r));
    /* exact comparison: 2224444 µ in 1001 s is 7999998.4 µ/h, under 8 per hour; one micro more is over */
    assert_false(money_rate_meets(2224444, 1001, 8000000));
    assert_true(money_rate_meets(2224445, 1001, 8000000));
    assert_true(money_rate_meets(2000000, 900, 8000000)); /* exactly at the floor */
    assert_false(money_rate_meets(1, 0, 0));
}

static int64_t topup(int64_t reward, int64_t bps, int64_t median, int64_t floor)
{
    int64_t t = -1;
    if (!money_topup(reward, bps, median, floor, &t)) fail_msg("money_topup refused");
    return t;
}

static void test_topup(void **state)
{
    (void)state;
    /* reward 0.50, 5% worker fee → net 0.475; median 900 s; floor 8.00/h.
     * Needed: 8 × 900 / 3600 = 2.00 → top-up 2.000000 − 0.475000 = 1.525000 */
    assert_int_equal(topup(500000, 500, 900, 8000000), 1525000);
    /* median 1001 s: needed 8000000 × 1001 / 3600 = 2224444.44… → 2224445 (up, never under the floor);
     * top-up 2224445 − 475000 = 1749445 */
    assert_int_equal(topup(500000, 500, 1001, 8000000), 1749445);
    int64_t r;
    assert_true(money_rate_per_hour(475000 + 1749445, 1001, &r));
    assert_true(r >= 8000000);
    assert_true(money_rate_meets(475000 + 1749445, 1001, 8000000));
    assert_false(money_rate_meets(475000 + 1749445 - 1, 1001, 8000000));
    /* no fee: reward 0.01, median 60 s, floor 2.00 → needed 33333.33… → 33334; top-up 33334 − 10000 = 23334 */
    assert_int_equal(topup(10000, 0, 60, 2000000), 23334);
    /* already at or above the floor: nothing */
    assert_int_equal(topup(2000000, 0, 900, 8000000), 0);
    assert_int_equal(topup(5000000, 500, 900, 8000000), 0);
    /* a 100% worker fee leaves a net of 0: the whole floor amount is topped up */
    assert_int_equal(topup(500000, 10000, 900, 8000000), 2000000);
    assert_false(money_topup(500000, 500, 0, 8000000, &r));
    assert_false(money_topup(-1, 500, 900, 8000000, &r));
    assert_false(money_topup(500000, 500, 900, -1, &r));
    assert_false(money_topup(500000, 10001, 900, 8000000, &r));
    assert_false(money_topup(0, 0, INT64_MAX, INT64_MAX, &r));
}

static struct money_decimal dec(const char *s)
{
    struct money_decimal d = {-1, -1};
    if (!money_decimal_parse(s, strlen(s), &d)) fail_msg("\"%s\" refused", s);
    return d;
}

static void test_decimal_parse(void **state)
{
    (void)state;
    struct money_decimal d = dec("0.00065");
    assert_int_equal(d.units, 65);
    assert_int_equal(d.scale, 5);
    d = dec("1");
    assert_int_equal(d.units, 1);
    assert_int_equal(d.scale, 0);
    d = dec("16113.75");
    assert_int_equal(d.units, 1611375);
    assert_int_equal(d.scale, 2);
    d = dec("1.0");
    assert_int_equal(d.units, 10);
    assert_int_equal(d.scale, 1);
    d = dec("0.0000385");
    assert_int_equal(d.units, 385);
    assert_int_equal(d.scale, 7);
    d = dec("-2.5");
    assert_int_equal(d.units, -25);
    assert_int_equal(d.scale, 1);
    d = dec("9223372036854775807");
    assert_int_equal(d.units, INT64_MAX);
    d = dec("-9223372036854775808");
    assert_int_equal(d.units, INT64_MIN);
    d = dec("0.000000000000000001");
    assert_int_equal(d.units, 1);
    assert_int_equal(d.scale, 18);

    static const char *const bad[] = {"", "-", ".5", "1.", "1e3", "+1", " 1", "1 ", "01", "00.5", "1.2.3", "1,5",
                                      "0x10", "1..2", "-.5", "9223372036854775808", "-9223372036854775809",
                                      "0.0000000000000000001", "NaN", "١"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (money_decimal_parse(bad[i], strlen(bad[i]), &d)) fail_msg("\"%s\" accepted", bad[i]);
    /* exactly len bytes are read: "12" of "123" */
    assert_true(money_decimal_parse("123", 2, &d));
    assert_int_equal(d.units, 12);
    assert_false(money_decimal_parse(NULL, 0, &d));
}

static void test_decimal_micros(void **state)
{
    (void)state;
    int64_t m;
    assert_true(money_parse_micros("16113.75", 8, &m));
    assert_int_equal(m, 16113750000);
    assert_true(money_parse_micros("0.00065", 7, &m));
    assert_int_equal(m, 650);
    assert_true(money_parse_micros("1", 1, &m));
    assert_int_equal(m, 1000000);
    assert_true(money_parse_micros("0.000001", 8, &m));
    assert_int_equal(m, 1);
    assert_false(money_parse_micros("0.0000001", 9, &m)); /* not exact in micros */
    assert_false(money_parse_micros("9223372036854.775808", 20, &m));
    assert_true(money_parse_micros("9223372036854.775807", 20, &m));
    assert_int_equal(m, INT64_MAX);
    /* rounding of a finer decimal: 38.5 micros → 38, 39.5 → 40 */
    assert_true(money_decimal_to_micros(dec("0.0000385"), &m));
    assert_int_equal(m, 38);
    assert_true(money_decimal_to_micros(dec("0.0000395"), &m));
    assert_int_equal(m, 40);
    assert_true(money_decimal_to_micros(dec("-0.0000385"), &m));
    assert_int_equal(m, -38);

    char out[32];
    static const struct {
        int64_t micros;
        const char *text;
    } fmt[] = {{16113750000, "16113.75"}, {-500000, "-0.5"},     {3000000, "3"}, {0, "0"}, {1, "0.000001"},
               {650, "0.00065"},          {INT64_MIN, "-9223372036854.775808"}, {INT64_MAX, "9223372036854.775807"}};
    for (size_t i = 0; i < sizeof fmt / sizeof *fmt; i++) {
        assert_true(money_format_micros(fmt[i].micros, out, sizeof out));
        assert_string_equal(out, fmt[i].text);
        assert_true(money_parse_micros(out, strlen(out), &m));
        assert_int_equal(m, fmt[i].micros);
    }
    assert_false(money_format_micros(16113750000, out, 8)); /* "16113.75" needs 9 bytes */
    assert_true(money_format_micros(16113750000, out, 9));
}

static void test_convert(void **state)
{
    (void)state;
    struct money_decimal usd = money_decimal_one(), kes = dec("0.00775"), vnd = dec("0.0000385"), half = dec("0.5");
    int64_t m;
    /* 1000 KES × 0.00775 = 7.75 USD */
    assert_true(money_convert(1000000000, kes, usd, &m));
    assert_int_equal(m, 7750000);
    /* 1 USD / 0.00775 = 129.0322580645… KES → 129032258 */
    assert_true(money_convert(1000000, usd, kes, &m));
    assert_int_equal(m, 129032258);
    assert_true(money_convert_up(1000000, usd, kes, &m));
    assert_int_equal(m, 129032259);
    /* 1,000,000 VND × 0.0000385 / 0.00775 = 4967.7419354838… KES → 4967741935 */
    assert_true(money_convert(1000000000000, vnd, kes, &m));
    assert_int_equal(m, 4967741935);
    /* ties: 1, 3, −3 micros at half the value → 0.5, 1.5, −1.5 → 0, 2, −2; up: 1, 2, −1 */
    assert_true(money_convert(1, half, usd, &m));
    assert_int_equal(m, 0);
    assert_true(money_convert(3, half, usd, &m));
    assert_int_equal(m, 2);
    assert_true(money_convert(-3, half, usd, &m));
    assert_int_equal(m, -2);
    assert_true(money_convert_up(1, half, usd, &m));
    assert_int_equal(m, 1);
    assert_true(money_convert_up(-3, half, usd, &m));
    assert_int_equal(m, -1);
    /* "1.0" and "1" are the same rate: USD to USD is the identity */
    assert_true(money_convert(123456789, dec("1.0"), usd, &m));
    assert_int_equal(m, 123456789);
    /* refusals: a zero or negative rate, overflow */
    assert_false(money_convert(1, dec("0"), usd, &m));
    assert_false(money_convert(1, usd, dec("-1"), &m));
    assert_false(money_convert(INT64_MAX, usd, kes, &m));
    /* the largest rates still make one fraction without overflow: far under a micro → 0 */
    assert_true(money_convert(INT64_MAX, dec("0.000000000000000001"), dec("9223372036854775807"), &m));
    assert_int_equal(m, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_half_even_hand_cases), cmocka_unit_test(test_division_refusals),
        cmocka_unit_test(test_ceil_floor),           cmocka_unit_test(test_fee),
        cmocka_unit_test(test_split_sums_exactly),   cmocka_unit_test(test_rate_per_hour),
        cmocka_unit_test(test_topup),                cmocka_unit_test(test_decimal_parse),
        cmocka_unit_test(test_decimal_micros),       cmocka_unit_test(test_convert),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
