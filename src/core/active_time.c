/* Heartbeat accounting, medians and ISO weeks for active time (see active_time.h). */
#include "core/active_time.h"

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

