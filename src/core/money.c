/* Integer money arithmetic (see money.h): every result is an exact fraction rounded once, in one stated way. */
#include "core/money.h"

#include <stdio.h>

#define I128_MAX ((money_i128)(((unsigned __int128)1 << 127) - 1))
#define I128_MIN (-I128_MAX - 1)

enum rounding { HALF_EVEN, CEIL, FLOOR };

static bool div_round(money_i128 num, money_i128 den, enum rounding mode, int64_t *q)
{
    if (den == 0 || den == I128_MIN || num == I128_MIN) return false;
    if (den < 0) {
        num = -num;
        den = -den;
    }
    money_i128 t = num / den, r = num % den; /* truncated: r has num's sign */
    if (r != 0) {
        int sign = num < 0 ? -1 : 1;
        money_i128 ar = r < 0 ? -r : r;
        switch (mode) {
        case HALF_EVEN:
            /* ar > den/2, or exactly half with an odd truncated quotient: away from zero */
            if (ar > den - ar || (ar == den - ar && (t & 1))) t += sign;
            break;
        case CEIL:
            if (r > 0) t += 1;
            break;
        case FLOOR:
            if (r < 0) t -= 1;
            break;
        }
    }
    if (t > INT64_MAX || t < INT64_MIN) return false;
    *q = (int64_t)t;
    return true;
}

bool money_div_half_even(money_i128 num, money_i128 den, int64_t *q) { return div_round(num, den, HALF_EVEN, q); }
bool money_div_ceil(money_i128 num, money_i128 den, int64_t *q) { return div_round(num, den, CEIL, q); }
bool money_div_floor(money_i128 num, money_i128 den, int64_t *q) { return div_round(num, den, FLOOR, q); }

bool money_fee(int64_t amount_micros, int64_t bps, int64_t *fee_micros)
{
    if (bps < 0 || bps > MONEY_BPS) return false;
    return money_div_half_even((money_i128)amount_micros * bps, MONEY_BPS, fee_micros);
}

bool money_split(int64_t gross_micros, int64_t worker_fee_bps, int64_t *net_micros, int64_t *fee_micros)
{
    int64_t fee;
    if (!money_fee(gross_micros, worker_fee_bps, &fee)) return false;
    /* |fee| <= |gross| with the same sign, so the difference cannot overflow */
    *fee_micros = fee;
    *net_micros = gross_micros - fee;
    return true;
}

bool money_rate_per_hour(int64_t amount_micros, int64_t seconds, int64_t *rate_micros_per_hour)
{
    if (seconds <= 0) return false;
    return money_div_half_even((money_i128)amount_micros * 3600, seconds, rate_micros_per_hour);
}

bool money_rate_meets(int64_t amount_micros, int64_t seconds, int64_t per_hour_micros)
{
    if (seconds <= 0) return false;
    return (money_i128)amount_micros * 3600 >= (money_i128)per_hour_micros * seconds;
}

bool money_topup(int64_t reward_micros, int64_t worker_fee_bps, int64_t median_seconds,
                 int64_t floor_micros_per_hour, int64_t *topup_micros)
{
    int64_t net, fee, needed;
    if (median_seconds <= 0 || reward_micros < 0 || floor_micros_per_hour < 0) return false;
    if (!money_split(reward_micros, worker_fee_bps, &net, &fee)) return false;
    if (!money_div_ceil((money_i128)floor_micros_per_hour * median_seconds, 3600, &needed)) return false;
    *topup_micros = needed > net ? needed - net : 0;
    return true;
}

/* ---- decimals ---- */

static const int64_t pow10_table[MONEY_DECIMAL_MAX_SCALE + 1] = {
    1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL, 100000000LL, 1000000000LL,
    10000000000LL, 100000000000LL, 1000000000000LL, 10000000000000LL, 100000000000000LL, 1000000000000000LL,
    10000000000000000LL, 100000000000000000LL, 1000000000000000000LL};

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool money_decimal_parse(const char *s, size_t len, struct money_decimal *out)
{
    size_t i = 0;
    bool neg = false;
    if (!s || len == 0) return false;
    if (s[0] == '-') {
        neg = true;
        i = 1;
    }
    size_t int_start = i;
    while (i < len && is_digit(s[i])) i++;
    size_t int_digits = i - int_start;
    if (int_digits == 0) return false;
    if (int_digits > 1 && s[int_start] == '0') return false; /* "007": a typo, not a number */
    int scale = 0;
    if (i < len) {
        if (s[i] != '.') return false;
        i++;
        size_t frac_start = i;
        while (i < len && is_digit(s[i])) i++;
        if (i != len || i == frac_start) return false;
        if (i - frac_start > MONEY_DECIMAL_MAX_SCALE) return false;
        scale = (int)(i - frac_start);
    }
    int64_t units = 0;
    for (size_t k = int_start; k < len; k++) {
        if (s[k] == '.') continue;
        /* accumulate negatively so INT64_MIN's digits fit too */
        if (__builtin_mul_overflow(units, 10, &units) || __builtin_sub_overflow(units, s[k] - '0', &units))
            return false;
    }
    if (!neg) {
        if (units == INT64_MIN) return false;
        units = -units;
    }
    out->units = units;
    out->scale = scale;
    return true;
}

bool money_decimal_to_micros(struct money_decimal d, int64_t *micros)
{
    if (d.scale < 0 || d.scale > MONEY_DECIMAL_MAX_SCALE) return false;
    if (d.scale <= 6) {
        int64_t r;
        if (__builtin_mul_overflow(d.units, pow10_table[6 - d.scale], &r)) return false;
        *micros = r;
        return true;
    }
    return money_div_half_even(d.units, pow10_table[d.scale - 6], micros);
}

bool money_parse_micros(const char *s, size_t len, int64_t *micros)
{
    struct money_decimal d;
    return money_decimal_parse(s, len, &d) && d.scale <= 6 && money_decimal_to_micros(d, micros);
}

bool money_format_micros(int64_t micros, char *out, size_t n)
{
    uint64_t a = micros < 0 ? (uint64_t)0 - (uint64_t)micros : (uint64_t)micros;
    uint64_t whole = a / MONEY_MICROS, frac = a % MONEY_MICROS;
    char f[8];
    int w = 0;
    if (frac) {
        snprintf(f, sizeof f, "%06llu", (unsigned long long)frac);
        w = 6;
        while (f[w - 1] == '0') w--;
    }
    int len = snprintf(out, n, "%s%llu%s%.*s", micros < 0 ? "-" : "", (unsigned long long)whole, frac ? "." : "", w,
                       frac ? f : "");
    return len >= 0 && (size_t)len < n;
}

/* ---- conversion ---- */

static money_i128 gcd128(money_i128 a, money_i128 b)
{
    while (b) {
        money_i128 t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static bool convert(int64_t micros, struct money_decimal from, struct money_decimal to, enum rounding mode,
                    int64_t *out)
{
    if (from.units <= 0 || to.units <= 0 || from.scale < 0 || from.scale > MONEY_DECIMAL_MAX_SCALE ||
        to.scale < 0 || to.scale > MONEY_DECIMAL_MAX_SCALE)
        return false;
    /* micros × (from.units / 10^from.scale) / (to.units / 10^to.scale); each side < 2^63 × 10^18 < 2^127 */
    money_i128 rn = (money_i128)from.units * pow10_table[to.scale];
    money_i128 rd = (money_i128)to.units * pow10_table[from.scale];
    money_i128 g = gcd128(rn, rd);
    rn /= g;
    rd /= g;
    money_i128 num;
    if (__builtin_mul_overflow((money_i128)micros, rn, &num)) return false;
    return div_round(num, rd, mode, out);
}

bool money_convert(int64_t micros, struct money_decimal from_usd_per_unit, struct money_decimal to_usd_per_unit,
                   int64_t *out)
{
    return convert(micros, from_usd_per_unit, to_usd_per_unit, HALF_EVEN, out);
}

bool money_convert_up(int64_t micros, struct money_decimal from_usd_per_unit, struct money_decimal to_usd_per_unit,
                      int64_t *out)
{
    return convert(micros, from_usd_per_unit, to_usd_per_unit, CEIL, out);
}

struct money_decimal money_decimal_one(void) { return (struct money_decimal){1, 0}; }
