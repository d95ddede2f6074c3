/* Wage benchmarks (legal minimum and living wage per country and region) and the per-country basics
 * (currency, USD rate, normal weekly hours): strict parsing of the seed CSVs, hourly figures, staleness, and
 * the worker's pay floor (FW-5). Pure: the caller reads the files and passes their text. All money is int64
 * micros; every conversion is an exact fraction rounded once (see core/money.h). */
#ifndef FL_WAGES_H
#define FL_WAGES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/money.h"

#define WAGE_REGION_MAX 96        /* bytes including the NUL; longer fields are a parse error */
#define WAGE_METHOD_MAX 128
#define WAGE_SOURCE_MAX 512
#define WAGE_NAME_MAX 96
#define WAGE_STALE_MONTHS 24      /* a figure older than this is stale */
#define WAGE_DAYS_PER_WEEK 6      /* a daily figure covers weekly_hours / 6 hours (see wage_hourly) */
#define WAGE_MAX_WEEKLY_HOURS 84  /* weekly hours are in (0, 84] */

#define WAGE_BENCHMARK_HEADER "country,region,kind,amount,currency,unit,ref_date,method,confidence,source"
#define WAGE_COUNTRY_HEADER "country,name,currency,usd_per_unit,fx_date,normal_weekly_hours,hours_source"
#define WAGE_BENCHMARK_COLUMNS 10
#define WAGE_COUNTRY_COLUMNS 7

enum wage_kind { WAGE_MINIMUM, WAGE_LIVING };
enum wage_unit { WAGE_PER_HOUR, WAGE_PER_DAY, WAGE_PER_WEEK, WAGE_PER_MONTH };

/* YYYY, YYYY-MM or YYYY-MM-DD; month and day are 0 when not given. A partial date stands for the start of its
 * period ("2023" is 2023-01-01, "2023-07" is 2023-07-01), so its age is never understated. */
struct wage_date {
    int year, month, day;
};

/* One row of wage_benchmarks.csv. */
struct wage_benchmark {
    char country[3];  /* ISO 3166-1 alpha-2 */
    char region[WAGE_REGION_MAX];
    enum wage_kind kind;
    int64_t amount_micros; /* exact: the CSV amount may have at most 6 decimals */
    char currency[4];      /* ISO 4217; may differ from the country's (VE's living figure is in USD) */
    enum wage_unit unit;
    struct wage_date ref_date;
    char method[WAGE_METHOD_MAX];
    bool low_confidence; /* confidence "?" (else "V": read in the cited source) */
    char source[WAGE_SOURCE_MAX];
    size_t line; /* physical line in the CSV it came from; 0 when built otherwise */
};

/* One row of country_basics.csv. */
struct wage_country {
    char country[3];
    char name[WAGE_NAME_MAX];
    char currency[4];
    struct money_decimal usd_per_unit; /* exact, as written ("0.00775") */
    struct wage_date fx_date;
    int64_t weekly_hours_micros; /* normal weekly hours in micro-hours (52 h = 52000000) */
    char hours_source[WAGE_SOURCE_MAX];
    size_t line;
};

/* Where a row is wrong. line is the physical line (1 = the header); column is 1-based (0: the whole row). */
struct wage_error {
    size_t line;
    int column;
    const char *column_name; /* static; "" for column 0 and for a field past the last column */
    char detail[200];
};
/* "line 4, column 4 (amount): …" */
void wage_error_format(const struct wage_error *e, char *out, size_t n);

/* ---- parsing ---- */

/* Parses the whole CSV text (RFC 4180: quoted fields with "" escapes, LF or CRLF, optional final newline). The
 * header must be exactly WAGE_BENCHMARK_HEADER / WAGE_COUNTRY_HEADER. Every field is checked; the first bad one
 * fails the whole file with *e naming its line and column. On success *rows is malloc'd (the caller frees it;
 * NULL when *n is 0). Also refused: a duplicate (country, region, kind) or a duplicate country, a USD row
 * whose rate is not 1, and two countries giving one currency different rates. */
bool wage_benchmarks_parse(const char *csv, size_t len, struct wage_benchmark **rows, size_t *n,
                           struct wage_error *e);
bool wage_countries_parse(const char *csv, size_t len, struct wage_country **rows, size_t *n, struct wage_error *e);

/* One row from its fields as NUL-terminated strings in CSV column order (for an admin edit through the API);
 * the same checks as the parsers except the cross-row ones. e->line is 0. */
bool wage_benchmark_from_fields(const char *const fields[WAGE_BENCHMARK_COLUMNS], struct wage_benchmark *out,
                                struct wage_error *e);
bool wage_country_from_fields(const char *const fields[WAGE_COUNTRY_COLUMNS], struct wage_country *out,
                              struct wage_error *e);

bool wage_date_parse(const char *s, size_t len, struct wage_date *out);
/* The UTC calendar date of a Unix time in seconds. */
struct wage_date wage_date_from_unix(int64_t seconds);
const char *wage_kind_name(enum wage_kind k); /* "minimum", "living" */
const char *wage_unit_name(enum wage_unit u); /* "hour", "day", "week", "month" */

/* ---- figures ---- */

enum wage_rc {
    WAGE_OK = 0,
    WAGE_UNKNOWN_COUNTRY, /* no country_basics row for the country */
    WAGE_NO_RATE,         /* a currency with no USD rate (not USD and no country row uses it) */
    WAGE_INVALID,         /* an argument out of range (seconds <= 0, bps outside 0..10000, negative amounts) */
    WAGE_OVERFLOW,
};
const char *wage_rc_str(enum wage_rc rc);

struct wage_tables {
    const struct wage_benchmark *benchmarks;
    size_t n_benchmarks;
    const struct wage_country *countries;
    size_t n_countries;
};

/* Every benchmark's country has a basics row and its currency a USD rate; else *e names the row's line and the
 * country or currency column. */
bool wage_tables_check(const struct wage_tables *t, struct wage_error *e);
const struct wage_country *wage_country_find(const struct wage_tables *t, const char *country);
/* USD per unit of currency: 1 for USD, else the rate of a country using it. */
bool wage_usd_per_unit(const struct wage_tables *t, const char *currency, struct money_decimal *rate);

/* A benchmark per hour, in the benchmark's currency, from the country's normal weekly hours H:
 *     hour  → amount
 *     day   → amount × 6 / H          (a 6-day week: 48 h gives the 8-hour day of PH and TH law)
 *     week  → amount / H
 *     month → amount × 12 / 52 / H
 * as one exact fraction rounded half-even to the micro. */
enum wage_rc wage_hourly(const struct wage_benchmark *b, int64_t weekly_hours_micros, int64_t *hourly_micros);
/* Stale: low confidence, or ref_date + 24 months is before now (a figure exactly 24 months old is not stale). */
bool wage_is_stale(const struct wage_benchmark *b, struct wage_date now);
bool wage_date_older_than(struct wage_date ref, int months, struct wage_date now);

/* The one figure of a kind for a country. */
struct wage_figure {
    bool present;                     /* false: no row of this kind for the country (the rest is 0) */
    const struct wage_benchmark *row; /* the chosen row */
    int64_t hourly_micros;            /* in the country's currency (converted half-even if the row's differs) */
    int64_t hourly_usd_micros;        /* half-even */
    bool stale;                       /* of the chosen row (wage_is_stale) */
    bool regional;                    /* the chosen row's region is not "national" */
    size_t n_rows;                    /* rows of this kind for the country */
};

struct wage_country_figures {
    const struct wage_country *country;
    struct wage_figure minimum, living;
};

/* The country's legal minimum and living wage per hour. Of several rows of a kind, the one lowest per hour
 * (compared in the country's currency; the first in table order on a tie) is chosen:
 *   - minimum: the lowest regional statutory minimum is the one that binds everywhere in the country, and a
 *     worker's region is not known;
 *   - living: the lowest regional estimate is the cheapest place a family can live on it, so a rate below it
 *     is below every living-wage estimate; `regional` flags that it is not a national figure. */
enum wage_rc wage_country_figures(const struct wage_tables *t, const char *country, struct wage_date now,
                                  struct wage_country_figures *out);

/* The worker's floor (FW-5): max(platform floor, the country's hourly legal minimum). */
struct wage_floor {
    char currency[4];                  /* the country's */
    int64_t hourly_micros;             /* the floor in the country's currency */
    int64_t hourly_usd_micros;         /* the floor in USD */
    int64_t platform_micros;           /* the platform floor in the country's currency, rounded up */
    bool legal_minimum_applies;        /* the legal minimum is strictly above the platform floor */
    struct wage_figure minimum;        /* the country's legal minimum (present false: none in the table) */
};
/* Conversions of a floor round up (money_convert_up), so a floor never comes out under the figure it converts:
 * the platform floor into local currency, and, when the legal minimum applies, its local figure into USD. */
enum wage_rc wage_worker_floor(const struct wage_tables *t, const char *country,
                               int64_t platform_floor_usd_micros_per_hour, struct wage_date now,
                               struct wage_floor *out);

/* Whether a project's pay meets the floor and the living wage of a country (FW-5), with the numbers. */
struct wage_project_check {
    int64_t net_reward_micros;            /* project currency: reward minus the worker-side fee */
    int64_t worker_fee_micros;
    int64_t rate_micros_per_hour;         /* net ÷ estimate, project currency, half-even */
    int64_t rate_local_micros_per_hour;   /* the same in the country's currency, half-even */
    int64_t rate_usd_micros_per_hour;     /* and in USD, half-even */
    struct wage_floor floor;
    int64_t floor_project_micros_per_hour; /* the floor in the project's currency, rounded up */
    bool meets_floor;                      /* net × 3600 >= floor_project × seconds, exactly */
    int64_t min_reward_micros; /* the least gross reward meeting the floor at this estimate and fee; -1: none
                                * can (a 100% worker fee with a positive floor) */
    struct wage_figure living; /* the country's living wage (present false: none in the table) */
    int64_t living_project_micros_per_hour; /* in the project's currency, rounded up; 0 when absent */
    bool meets_living;                      /* false when absent */
};
enum wage_rc wage_project_check(const struct wage_tables *t, const char *country, int64_t reward_micros,
                                const char *currency, int64_t estimated_seconds, int64_t worker_fee_bps,
                                int64_t platform_floor_usd_micros_per_hour, struct wage_date now,
                                struct wage_project_check *out);

#endif
