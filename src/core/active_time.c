/* Heartbeat accounting, medians and ISO weeks for active time (see active_time.h). */
#include "core/active_time.h"

#include <stdio.h>
#include <stdlib.h>

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

int64_t active_beat_credit(int64_t prev_ms, int64_t now_ms, int64_t lease_end_ms, bool visible, bool active)
{
    if (!visible || !active) return 0;
    int64_t gap = min64(now_ms, lease_end_ms) - prev_ms;
    if (gap <= 0) return 0;
    return min64(gap, ACTIVE_MAX_GAP_MS);
}

int64_t active_at_submit(int64_t leased_at, int64_t lease_end_ms, bool beaten, int64_t last_beat_at,
                         int64_t credited_ms, int64_t now_ms)
{
    int64_t lease_ms = lease_end_ms - leased_at;
    if (lease_ms < 0) lease_ms = 0;
    int64_t t;
    if (!beaten) {
        t = min64(now_ms, lease_end_ms) - leased_at;
    } else {
        t = credited_ms + active_beat_credit(last_beat_at, now_ms, lease_end_ms, true, true);
    }
    if (t < 0) t = 0;
    return min64(t, lease_ms);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int64_t active_median_ms(int64_t *values, size_t n)
{
    if (n == 0) return -1;
    qsort(values, n, sizeof *values, cmp_i64);
    if (n % 2) return values[n / 2];
    int64_t a = values[n / 2 - 1], b = values[n / 2];
    return a + (b - a + 1) / 2; /* the mean, rounded up, without overflow for non-negative values */
}

int64_t active_seconds_up(int64_t ms)
{
    if (ms <= 0) return 0;
    return (ms + 999) / 1000;
}

/* Days since 1970-01-01 to the civil year and day of the year (0-based); Howard Hinnant's algorithm. */
static void civil_year_yday(int64_t days, int64_t *year, int64_t *yday)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) y++;
    /* day of the civil year: days since 1 January of y */
    int64_t jan1;
    {
        int64_t yy = y - 1; /* January is month 13 of the previous March-based year */
        int64_t era2 = (yy >= 0 ? yy : yy - 399) / 400;
        int64_t yoe2 = yy - era2 * 400;
        int64_t doe2 = yoe2 * 365 + yoe2 / 4 - yoe2 / 100 + 306; /* 1 January = day 306 of the March year */
        jan1 = era2 * 146097 + doe2 - 719468;
    }
    *year = y;
    *yday = days - jan1;
}

void active_iso_week(int64_t ms, char *out, size_t n)
{
    int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
    int64_t wd = ((days + 3) % 7 + 7) % 7; /* Monday 0; 1970-01-01 was a Thursday */
    int64_t thursday = days - wd + 3;      /* the week belongs to the year of its Thursday */
    int64_t year, yday;
    civil_year_yday(thursday, &year, &yday);
    snprintf(out, n, "%04lld-W%02lld", (long long)year, (long long)(yday / 7 + 1));
}
