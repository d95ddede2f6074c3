/* Civil dates (proleptic Gregorian, UTC) to and from day numbers, and ISO 8601 weeks. Pure; after Howard
 * Hinnant's date algorithms, valid far beyond any date fairlabel stores. */
#ifndef FL_CALENDAR_H
#define FL_CALENDAR_H
#include <stddef.h>
#include <stdint.h>

#define CALENDAR_DAY_MS 86400000LL

/* Days since 1970-01-01 of year-month-day (month 1..12, day 1..31). */
int64_t calendar_days_from_civil(int64_t year, int month, int day);
/* The civil date of a day number. */
void calendar_civil_from_days(int64_t days, int64_t *year, int *month, int *day);
/* The day number of a Unix time in ms, floored (a time before 1970 lands on its own day). */
int64_t calendar_day_of_ms(int64_t ms);
/* The UTC ISO 8601 week of a Unix time in ms, "2026-W48" (the week-numbering year: the year of the week's
 * Thursday). out needs 9 bytes. */
void calendar_iso_week(int64_t ms, char *out, size_t n);

#endif
