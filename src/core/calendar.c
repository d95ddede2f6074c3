/* Civil dates and ISO weeks (H. Hinnant's days_from_civil / civil_from_days). */
#include "core/calendar.h"

#include <stdio.h>

int64_t calendar_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void calendar_civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)m;
    *year = yoe + era * 400 + (m <= 2);
}

int64_t calendar_day_of_ms(int64_t ms)
{
    return ms / CALENDAR_DAY_MS - (ms % CALENDAR_DAY_MS < 0);
}

void calendar_iso_week(int64_t ms, char *out, size_t n)
{
    int64_t days = calendar_day_of_ms(ms);
    int64_t wd = ((days + 3) % 7 + 7) % 7; /* Monday 0; 1970-01-01 was a Thursday */
    int64_t thursday = days - wd + 3;      /* the week belongs to the year of its Thursday */
    int64_t year;
    int month, day;
    calendar_civil_from_days(thursday, &year, &month, &day);
    int64_t week = (thursday - calendar_days_from_civil(year, 1, 1)) / 7 + 1;
    snprintf(out, n, "%04lld-W%02lld", (long long)year, (long long)week);
}
