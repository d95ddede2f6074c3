/* Money arithmetic in integer micro-units (1 unit = 1,000,000 micros): exact rounding, fees, hourly rates,
 * wage-floor top-ups, exact decimal strings and currency conversion. No floating point anywhere. */
#ifndef FL_MONEY_H
#define FL_MONEY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MONEY_MICROS 1000000LL   /* micros per currency unit */
#define MONEY_BPS 10000LL        /* basis points per whole */
#define MONEY_DECIMAL_MAX_SCALE 18

/* Every intermediate product of two int64 values fits; GCC and Clang provide it. */
__extension__ typedef __int128 money_i128;

/* ---- exact division; each returns false (and leaves *q alone) when den is 0, an operand is the most negative
 * money_i128, or the quotient does not fit int64 ---- */

/* num / den rounded to the nearest integer, a tie to the even one (2.5 → 2, 3.5 → 4, −2.5 → −2, −3.5 → −4). */
bool money_div_half_even(money_i128 num, money_i128 den, int64_t *q);
/* num / den rounded towards +infinity (7/2 → 4, −7/2 → −3). */
bool money_div_ceil(money_i128 num, money_i128 den, int64_t *q);
/* num / den rounded towards −infinity (7/2 → 3, −7/2 → −4). */
bool money_div_floor(money_i128 num, money_i128 den, int64_t *q);

/* ---- fees and rates ---- */

/* fee = amount × bps / 10000, half-even. bps in [0, 10000]; amount may be negative (a refund's fee is the
 * exact negative of the charge's). False on a bps outside the range. */
bool money_fee(int64_t amount_micros, int64_t bps, int64_t *fee_micros);
/* Splits gross into net + fee with fee = money_fee(gross, bps) and net = gross − fee, so net + fee == gross
 * exactly: the sub-micro residue of rounding the fee stays in the fee account, never in a third place. */
bool money_split(int64_t gross_micros, int64_t worker_fee_bps, int64_t *net_micros, int64_t *fee_micros);
/* rate = amount × 3600 / seconds, half-even, in micros per hour. False when seconds <= 0. */
bool money_rate_per_hour(int64_t amount_micros, int64_t seconds, int64_t *rate_micros_per_hour);
/* Whether amount earned in seconds is at least per_hour, compared exactly (amount × 3600 >= per_hour × seconds)
 * rather than through a rounded rate. False when seconds <= 0. */
bool money_rate_meets(int64_t amount_micros, int64_t seconds, int64_t per_hour_micros);

/* FW-6 top-up per approved submission: the least whole number of micros T >= 0 such that
 *     (net + T) × 3600 >= floor_per_hour × median_seconds          (exactly, as rationals)
 * where net is the worker's net of reward after money_split(reward, worker_fee_bps). That is
 *     T = max(0, ceil(floor_per_hour × median_seconds / 3600) − net),
 * rounded up so the topped-up rate is never under the floor by even a fraction of a micro. The top-up is
 * assumed paid to the worker without a worker-side fee (it makes up a shortfall). False when median_seconds
 * <= 0, a bps outside [0, 10000], a negative reward or floor, or overflow. */
bool money_topup(int64_t reward_micros, int64_t worker_fee_bps, int64_t median_seconds,
                 int64_t floor_micros_per_hour, int64_t *topup_micros);

/* ---- exact decimals ---- */

/* value = units / 10^scale, kept as written ("0.00775" is {775, 5}, "1.0" is {10, 1}). */
struct money_decimal {
    int64_t units;
    int scale; /* 0..MONEY_DECIMAL_MAX_SCALE */
};

/* Parses exactly len bytes of [-]DIGITS[.DIGITS] ("16113.75", "0.00065", "1"): no sign '+', no spaces, no
 * exponent, no bare "." or "1." or ".5", at most 18 digits after the point; false when the digits do not fit
 * int64. */
bool money_decimal_parse(const char *s, size_t len, struct money_decimal *out);
/* The decimal in micros, half-even when it has more than 6 decimals ("0.0000385" → 38, a tie to even). */
bool money_decimal_to_micros(struct money_decimal d, int64_t *micros);
/* Parses an amount that must be exact in micros (at most 6 decimals): "16113.75" → 16113750000. */
bool money_parse_micros(const char *s, size_t len, int64_t *micros);
/* Writes micros as a decimal without trailing zeros ("16113.75", "-0.5", "3"); money_parse_micros reads it
 * back. False when out (n bytes, 22 are always enough) is too small. */
bool money_format_micros(int64_t micros, char *out, size_t n);

/* ---- currency conversion; a rate is the USD value of one unit of a currency ("0.00775" for KES) ---- */

/* micros of currency A (from_usd_per_unit) in currency B (to_usd_per_unit):
 *     micros × from / to, computed as one exact fraction and rounded once, half-even.
 * False when a rate is not positive or the result (or an intermediate after reducing the fraction) does not
 * fit. */
bool money_convert(int64_t micros, struct money_decimal from_usd_per_unit, struct money_decimal to_usd_per_unit,
                   int64_t *out);
/* The same, rounded towards +infinity: for floors, which must never come out under the figure converted. */
bool money_convert_up(int64_t micros, struct money_decimal from_usd_per_unit, struct money_decimal to_usd_per_unit,
                      int64_t *out);
/* The USD rate of USD itself: {1, 0}. */
struct money_decimal money_decimal_one(void);

#endif
