/* Wall-clock and monotonic time, and ISO 8601 formatting. */
#ifndef FL_CLOCK_H
#define FL_CLOCK_H
#include <stddef.h>
#include <stdint.h>

int64_t clock_now_ms(void);        /* Unix epoch milliseconds (plus the test clock's offset) */
/* Moves every later clock_now_ms forward; returns the total offset. Only the test clock calls it. */
int64_t clock_advance_ms(int64_t ms);
uint64_t clock_mono_ns(void);
/* Writes "2026-11-28T10:00:00.123Z" into out (at least 25 bytes). */
void clock_iso8601(int64_t ms, char *out, size_t n);

#endif
