/* Active time of an answer measured from the worker's heartbeats (FW-6, FW-7, FW-8): what one beat
 * credits, what a submit stores, medians and the ISO week a top-up run belongs to. Pure: no I/O. */
#ifndef FL_ACTIVE_TIME_H
#define FL_ACTIVE_TIME_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACTIVE_BEAT_INTERVAL_MS 15000 /* the worker page beats this often while visible and in use */
#define ACTIVE_MAX_GAP_MS 30000       /* one beat credits at most two intervals: a lost beat costs nothing,
                                       * a tab left open costs the requester nothing either */
#define ACTIVE_INPUT_WINDOW_MS 60000  /* "active": input within this long before the beat */
#define ACTIVE_MEDIAN_MIN_ANSWERS 10  /* a median is shown / used once this many answers have a time */

/* Milliseconds one heartbeat credits: the time since the previous beat (or the claim, for the first)
 * when the page was visible and in use, capped at ACTIVE_MAX_GAP_MS and never past the lease's end;
 * 0 otherwise (idle or hidden). */
int64_t active_beat_credit(int64_t prev_ms, int64_t now_ms, int64_t lease_end_ms, bool visible, bool active);

/* The active_ms stored at submit. With beats: what they credited plus the time since the last beat, capped
 * like a beat (the submit itself is input on a visible page). Without any beat: the wall time from claim to
 * submit, so an unmeasured answer never counts less than was spent. Both bounded by the lease. */
int64_t active_at_submit(int64_t leased_at, int64_t lease_end_ms, bool beaten, int64_t last_beat_at,
                         int64_t credited_ms, int64_t now_ms);

/* The median of n values (sorted in place); for an even n the mean of the middle two rounded up.
 * -1 when n is 0. */
int64_t active_median_ms(int64_t *values, size_t n);

/* Whole seconds, rounded up: the time a rate or a floor is computed for never falls short. */
int64_t active_seconds_up(int64_t ms);

#endif
