/* Unit tests for core/wages.h on the seed files in data/seed: parsing, hourly figures, staleness, the worker's
 * floor per country, a project's check against it, and CSV errors that name the line and column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/wages.h"

/* $MESON_SOURCE_ROOT/data/seed, else the first data/seed above the working directory (meson test runs in the
 * build directory). A missing seed fails: these files are what the tests check. */
static const char *seed_dir(void)
{
    static char path[4096];
    struct stat st;
    const char *root = getenv("MESON_SOURCE_ROOT");
    if (root && snprintf(path, sizeof path, "%s/data/seed/wage_benchmarks.csv", root) < (int)sizeof path &&
        stat(path, &st) == 0) {
        snprintf(path, sizeof path, "%s/data/seed", root);
        return path;
    }
    char cwd[2048];
    if (!getcwd(cwd, sizeof cwd)) fail_msg("getcwd failed");
    for (;;) {
        snprintf(path, sizeof path, "%s/data/seed/wage_benchmarks.csv", cwd);
        if (stat(path, &st) == 0) {
            snprintf(path, sizeof path, "%s/data/seed", cwd);
            return path;
        }
        char *slash = strrchr(cwd, '/');
        if (!slash || slash == cwd) break;
        *slash = 0;
    }
    fail_msg("data/seed/wage_benchmarks.csv not found from MESON_SOURCE_ROOT or above the working directory");
    return NULL;
}

static char *read_seed(const char *name, size_t *len)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", seed_dir(), name);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    assert_true(n > 0);
    char *b = malloc((size_t)n);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

struct seed {
    struct wage_benchmark *b;
    struct wage_country *c;
    struct wage_tables t;
};

static int seed_setup(void **state)
{
    struct seed *s = calloc(1, sizeof *s);
    size_t n;
    char *text = read_seed("wage_benchmarks.csv", &n);
    struct wage_error e;
    char msg[300];
    if (!wage_benchmarks_parse(text, n, &s->b, &s->t.n_benchmarks, &e)) {
        wage_error_format(&e, msg, sizeof msg);
        fail_msg("wage_benchmarks.csv: %s", msg);
    }
    free(text);
    text = read_seed("country_basics.csv", &n);
    if (!wage_countries_parse(text, n, &s->c, &s->t.n_countries, &e)) {
        wage_error_format(&e, msg, sizeof msg);
        fail_msg("country_basics.csv: %s", msg);
    }
    free(text);
    s->t.benchmarks = s->b;
    s->t.countries = s->c;
    *state = s;
    return 0;
}

static int seed_teardown(void **state)
{
    struct seed *s = *state;
    free(s->b);
    free(s->c);
    free(s);
    return 0;
}

static struct wage_date date(const char *s)
{
    struct wage_date d;
    if (!wage_date_parse(s, strlen(s), &d)) fail_msg("bad test date %s", s);
    return d;
}

static const struct wage_benchmark *row_at(const struct seed *s, size_t line)
{
    for (size_t i = 0; i < s->t.n_benchmarks; i++)
        if (s->b[i].line == line) return &s->b[i];
    fail_msg("no benchmark on line %zu", line);
    return NULL;
}

static void test_seed_parses(void **state)
{
    struct seed *s = *state;
    assert_int_equal(s->t.n_benchmarks, 24);
    assert_int_equal(s->t.n_countries, 11);
    struct wage_error e;
    assert_true(wage_tables_check(&s->t, &e));

    const struct wage_benchmark *ke = row_at(s, 2);
    assert_string_equal(ke->country, "KE");
    assert_string_equal(ke->region, "Nairobi/Mombasa/Kisumu");
    assert_int_equal(ke->kind, WAGE_MINIMUM);
    assert_int_equal(ke->amount_micros, 16113750000);
    assert_string_equal(ke->currency, "KES");
    assert_int_equal(ke->unit, WAGE_PER_MONTH);
    assert_int_equal(ke->ref_date.year, 2024);
    assert_int_equal(ke->ref_date.month, 11);
    assert_int_equal(ke->ref_date.day, 1);
    assert_string_equal(ke->method, "statutory(LN163/164 2024)");
    assert_false(ke->low_confidence);
    assert_true(!strncmp(ke->source, "https://www.tuko.co.ke/", 23));
    /* a year-only date, and the quoted method with a comma in it */
    assert_int_equal(row_at(s, 3)->ref_date.month, 0);
    const struct wage_benchmark *ve = row_at(s, 25);
    assert_string_equal(ve->method, "ingreso minimo integral (bonuses, not a living wage)");
    assert_string_equal(ve->currency, "USD");
    assert_true(ve->low_confidence);
    assert_int_equal(row_at(s, 23)->amount_micros, 30500000); /* PL 30.50 an hour */
    assert_int_equal(row_at(s, 23)->unit, WAGE_PER_HOUR);

    const struct wage_country *kc = wage_country_find(&s->t, "KE");
    assert_non_null(kc);
    assert_string_equal(kc->name, "Kenya");
    assert_string_equal(kc->currency, "KES");
    assert_int_equal(kc->usd_per_unit.units, 775);
    assert_int_equal(kc->usd_per_unit.scale, 5);
    assert_int_equal(kc->weekly_hours_micros, 52000000);
    assert_int_equal(kc->fx_date.year, 2025);
    assert_int_equal(kc->fx_date.month, 6);
    assert_null(wage_country_find(&s->t, "FR"));
    /* the one field the copy quotes (data/seed/README.md) */
    assert_string_equal(wage_country_find(&s->t, "PH")->hours_source, "Labor Code: 8 hours a day, 6 days (verify)");
    struct money_decimal r;
    assert_true(wage_usd_per_unit(&s->t, "VND", &r));
    assert_int_equal(r.units, 385);
    assert_int_equal(r.scale, 7);
    assert_true(wage_usd_per_unit(&s->t, "USD", &r));
    assert_false(wage_usd_per_unit(&s->t, "EUR", &r));
}

static int64_t hourly(const struct wage_benchmark *b, int64_t weekly_hours_micros)
{
    int64_t h = -1;
    enum wage_rc rc = wage_hourly(b, weekly_hours_micros, &h);
    if (rc != WAGE_OK) fail_msg("wage_hourly: %s", wage_rc_str(rc));
    return h;
}

static void test_hourly_kenya(void **state)
{
    struct seed *s = *state;
    const int64_t ke_hours = wage_country_find(&s->t, "KE")->weekly_hours_micros; /* 52 h */
    /* KE minimum, 16113.75 KES a month, 52-hour week:
     * 16113.75 × 12 / 52 / 52 = 193365 / 2704 = 71.510724852… KES → 71510725 micros */
    assert_int_equal(hourly(row_at(s, 2), ke_hours), 71510725);
    /* KE living, rural Kericho: 30531 × 12 / 52 / 52 = 366372 / 2704 = 135.492603550… → 135492604 */
    assert_int_equal(hourly(row_at(s, 3), ke_hours), 135492604);
    /* Naivasha: 35518 × 12 / 2704 = 157.624260355… → 157624260 */
    assert_int_equal(hourly(row_at(s, 4), ke_hours), 157624260);

    /* daily, weekly and hourly figures at Kenya's 52 hours (the seed has no such Kenya rows) */
    struct wage_benchmark b = *row_at(s, 2);
    b.unit = WAGE_PER_DAY;
    b.amount_micros = 700000000; /* 700 KES a day; a 6-day week: 700 × 6 / 52 = 80.769230769… → 80769231 */
    assert_int_equal(hourly(&b, ke_hours), 80769231);
    b.unit = WAGE_PER_WEEK;
    b.amount_micros = 2000000000; /* 2000 KES a week: 2000 / 52 = 38.461538461… → 38461538 */
    assert_int_equal(hourly(&b, ke_hours), 38461538);
    b.unit = WAGE_PER_HOUR;
    b.amount_micros = 100000000;
    assert_int_equal(hourly(&b, ke_hours), 100000000);
    /* ties: 1 micro a day at 12 hours a week is 1 × 6 / 12 = 0.5 → 0; 3 micros are 1.5 → 2 */
    b.unit = WAGE_PER_DAY;
    b.amount_micros = 1;
    assert_int_equal(hourly(&b, 12000000), 0);
    b.amount_micros = 3;
    assert_int_equal(hourly(&b, 12000000), 2);

    /* daily seed rows: PH NCR 695 PHP at 48 h = an 8-hour day → 86.875; TH 337 THB → 42.125 */
    assert_int_equal(hourly(row_at(s, 12), 48000000), 86875000);
    assert_int_equal(hourly(row_at(s, 20), 48000000), 42125000);
    int64_t h;
    assert_int_equal(wage_hourly(row_at(s, 2), 0, &h), WAGE_INVALID);
}

static void test_stale(void **state)
{
    struct seed *s = *state;
    /* at 2025-06-15: a year-only 2023 counts from 2023-01-01 (stale since 2025-01-01), "?" is always stale */
    static const size_t stale_lines[] = {3, 4, 6, 8, 10, 11, 13, 17, 18, 19, 24, 25};
    struct wage_date now = date("2025-06-15");
    for (size_t i = 0; i < s->t.n_benchmarks; i++) {
        bool want = false;
        for (size_t k = 0; k < sizeof stale_lines / sizeof *stale_lines; k++) want |= stale_lines[k] == s->b[i].line;
        if (wage_is_stale(&s->b[i], now) != want)
            fail_msg("line %zu: stale %d, want %d", s->b[i].line, !want, want);
    }
    /* exactly 24 months old is not yet stale */
    assert_false(wage_date_older_than(date("2023-06-01"), 24, date("2025-06-01")));
    assert_true(wage_date_older_than(date("2023-06-01"), 24, date("2025-06-02")));
    assert_false(wage_date_older_than(date("2023-06"), 24, date("2025-06")));
    assert_true(wage_date_older_than(date("2023-06"), 24, date("2025-07")));
    assert_false(wage_date_older_than(date("2023"), 24, date("2025")));
    assert_true(wage_date_older_than(date("2023"), 24, date("2025-01-02")));
    assert_false(wage_date_older_than(date("2024-02-29"), 24, date("2026-02-28")));
    assert_true(wage_date_older_than(date("2024-02-29"), 24, date("2026-03-01")));
    assert_false(wage_date_older_than(date("2023-12-31"), 24, date("2025-12-31")));
    assert_true(wage_date_older_than(date("2023-12-31"), 24, date("2026-01-01")));
    /* the KE minimum of 2024-11-01 turns stale after 2026-11-01 */
    assert_false(wage_is_stale(row_at(s, 2), date("2026-11-01")));
    assert_true(wage_is_stale(row_at(s, 2), date("2026-11-02")));

    struct wage_date d;
    static const char *const bad[] = {"2025-13", "2025-00", "2025-02-29", "2024-02-30", "25-06", "2025/06",
                                      "2025-6",  "2025-06-1", "0999",     "",           "2025-06-15T00"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (wage_date_parse(bad[i], strlen(bad[i]), &d)) fail_msg("date \"%s\" accepted", bad[i]);
    d = date("2024-02-29");
    assert_int_equal(d.day, 29);
    d = wage_date_from_unix(0);
    assert_true(d.year == 1970 && d.month == 1 && d.day == 1);
    d = wage_date_from_unix(951782400); /* 2000-02-29T00:00:00Z */
    assert_true(d.year == 2000 && d.month == 2 && d.day == 29);
    d = wage_date_from_unix(-1);
    assert_true(d.year == 1969 && d.month == 12 && d.day == 31);
    d = wage_date_from_unix(1782777599); /* 2026-06-29T23:59:59Z */
    assert_true(d.year == 2026 && d.month == 6 && d.day == 29);
}

static void test_country_figures(void **state)
{
    struct seed *s = *state;
    struct wage_date now = date("2025-06-15");
    struct wage_country_figures f;

    assert_int_equal(wage_country_figures(&s->t, "KE", now, &f), WAGE_OK);
    assert_string_equal(f.country->name, "Kenya");
    assert_true(f.minimum.present);
    assert_int_equal(f.minimum.hourly_micros, 71510725);
    /* in USD as one fraction: 193365 / 2704 × 0.00775 = 0.554208117… → 554208 */
    assert_int_equal(f.minimum.hourly_usd_micros, 554208);
    assert_false(f.minimum.stale);
    assert_true(f.minimum.regional);
    assert_int_equal(f.minimum.n_rows, 1);
    /* the lower of the two living-wage estimates (Kericho); 366372 / 2704 × 0.00775 = 1.050067… → 1050068 */
    assert_true(f.living.present);
    assert_int_equal(f.living.row->line, 3);
    assert_int_equal(f.living.hourly_micros, 135492604);
    assert_int_equal(f.living.hourly_usd_micros, 1050068);
    assert_true(f.living.stale);
    assert_int_equal(f.living.n_rows, 2);

    /* PL: 4666 a month at 40 h (26.919230769… → 26919231) is under the 30.50 civil-law hourly one */
    assert_int_equal(wage_country_figures(&s->t, "PL", now, &f), WAGE_OK);
    assert_int_equal(f.minimum.n_rows, 2);
    assert_int_equal(f.minimum.row->line, 22);
    assert_int_equal(f.minimum.hourly_micros, 26919231);
    assert_false(f.minimum.regional);
    assert_false(f.living.present);

    /* VN: Region IV, 3450000 × 12 / 52 / 48 = 16586.538461538… VND → 16586538462 */
    assert_int_equal(wage_country_figures(&s->t, "VN", now, &f), WAGE_OK);
    assert_int_equal(f.minimum.row->line, 16);
    assert_int_equal(f.minimum.hourly_micros, 16586538462);
    assert_int_equal(f.minimum.hourly_usd_micros, 638582);

    /* TH: the lowest province's 337 a day, not Bangkok's 400 */
    assert_int_equal(wage_country_figures(&s->t, "TH", now, &f), WAGE_OK);
    assert_int_equal(f.minimum.row->line, 20);
    assert_int_equal(f.minimum.hourly_micros, 42125000);
    assert_false(f.minimum.stale);

    /* VE: a living figure in USD, 130 × 12 / 52 / 40 = 0.75 USD = 75.7575… VES at 0.0099 → 75757576 */
    assert_int_equal(wage_country_figures(&s->t, "VE", now, &f), WAGE_OK);
    assert_int_equal(f.living.hourly_usd_micros, 750000);
    assert_int_equal(f.living.hourly_micros, 75757576);
    assert_true(f.living.stale);
    assert_true(f.minimum.stale);
    assert_false(f.minimum.regional);

    /* US: basics but no benchmark rows */
    assert_int_equal(wage_country_figures(&s->t, "US", now, &f), WAGE_OK);
    assert_false(f.minimum.present);
    assert_false(f.living.present);
    assert_int_equal(wage_country_figures(&s->t, "FR", now, &f), WAGE_UNKNOWN_COUNTRY);
}

static struct wage_floor floor_of(const struct seed *s, const char *cc, int64_t platform_usd)
{
    struct wage_floor f;
    enum wage_rc rc = wage_worker_floor(&s->t, cc, platform_usd, date("2025-06-15"), &f);
    if (rc != WAGE_OK) fail_msg("%s: %s", cc, wage_rc_str(rc));
    return f;
}

static void test_worker_floor(void **state)
{
    struct seed *s = *state;
    /* platform floor 2 USD an hour */
    struct wage_floor f = floor_of(s, "KE", 2000000);
    /* 2 / 0.00775 = 258.064516129… KES, rounded up → 258064517; above the 71.51 legal minimum */
    assert_string_equal(f.currency, "KES");
    assert_int_equal(f.platform_micros, 258064517);
    assert_int_equal(f.hourly_micros, 258064517);
    assert_int_equal(f.hourly_usd_micros, 2000000);
    assert_false(f.legal_minimum_applies);
    assert_int_equal(f.minimum.hourly_micros, 71510725);

    /* PL: 2 USD = 7.518796992… PLN → 7518797, under the 26.919231 legal minimum, which applies;
     * in USD 26919231 × 0.266 = 7160515.446 → up 7160516 */
    f = floor_of(s, "PL", 2000000);
    assert_int_equal(f.platform_micros, 7518797);
    assert_true(f.legal_minimum_applies);
    assert_int_equal(f.hourly_micros, 26919231);
    assert_int_equal(f.hourly_usd_micros, 7160516);

    /* VN: 2 / 0.0000385 = 51948.051948… VND → 51948051949, above Region IV's 16586.54 */
    f = floor_of(s, "VN", 2000000);
    assert_false(f.legal_minimum_applies);
    assert_int_equal(f.hourly_micros, 51948051949);

    /* US: no legal minimum in the table, so the platform floor alone */
    f = floor_of(s, "US", 2000000);
    assert_false(f.minimum.present);
    assert_int_equal(f.hourly_micros, 2000000);
    assert_int_equal(f.hourly_usd_micros, 2000000);

    /* a 0.50 USD platform floor (64.516130 KES) is under Kenya's minimum, which applies:
     * 71510725 KES micros, in USD 71510725 × 0.00775 = 554208.11875 → up 554209 */
    f = floor_of(s, "KE", 500000);
    assert_int_equal(f.platform_micros, 64516130);
    assert_true(f.legal_minimum_applies);
    assert_int_equal(f.hourly_micros, 71510725);
    assert_int_equal(f.hourly_usd_micros, 554209);

    /* every seeded country has a floor at 2 USD, never under 2 USD */
    for (size_t i = 0; i < s->t.n_countries; i++) {
        f = floor_of(s, s->c[i].country, 2000000);
        assert_true(f.hourly_usd_micros >= 2000000);
        assert_true(f.hourly_micros >= f.platform_micros);
    }
    struct wage_floor g;
    assert_int_equal(wage_worker_floor(&s->t, "FR", 2000000, date("2025"), &g), WAGE_UNKNOWN_COUNTRY);
    assert_int_equal(wage_worker_floor(&s->t, "KE", -1, date("2025"), &g), WAGE_INVALID);
}

static struct wage_project_check check(const struct seed *s, const char *cc, int64_t reward, const char *currency,
                                       int64_t seconds, int64_t bps)
{
    struct wage_project_check c;
    enum wage_rc rc = wage_project_check(&s->t, cc, reward, currency, seconds, bps, 2000000, date("2025-06-15"), &c);
    if (rc != WAGE_OK) fail_msg("%s: %s", cc, wage_rc_str(rc));
    return c;
}

static void test_project_check(void **state)
{
    struct seed *s = *state;
    /* KE, 0.06 USD in 120 s, no worker fee: 1.80 USD an hour, under the 2 USD floor, over the 1.050068 living wage */
    struct wage_project_check c = check(s, "KE", 60000, "USD", 120, 0);
    assert_int_equal(c.net_reward_micros, 60000);
    assert_int_equal(c.rate_micros_per_hour, 1800000);
    assert_int_equal(c.rate_usd_micros_per_hour, 1800000);
    assert_int_equal(c.rate_local_micros_per_hour, 232258065); /* 1.8 / 0.00775 = 232.258064516… KES */
    assert_int_equal(c.floor_project_micros_per_hour, 2000000);
    assert_false(c.meets_floor);
    assert_int_equal(c.min_reward_micros, 66667); /* 2 × 120 / 3600 = 0.0666… → up */
    assert_true(c.living.present);
    assert_int_equal(c.living_project_micros_per_hour, 1050068); /* 135492604 × 0.00775 = 1050067.681 → up */
    assert_true(c.meets_living);

    /* the same with a 5% worker fee: net 57000; the least gross with net >= 66667 is 70176
     * (70176 − 3509 = 66667, while 70175 − 3509 = 66666) */
    c = check(s, "KE", 60000, "USD", 120, 500);
    assert_int_equal(c.net_reward_micros, 57000);
    assert_int_equal(c.worker_fee_micros, 3000);
    assert_int_equal(c.min_reward_micros, 70176);
    c = check(s, "KE", 70176, "USD", 120, 500);
    assert_true(c.meets_floor);
    c = check(s, "KE", 70175, "USD", 120, 500);
    assert_false(c.meets_floor);
    c = check(s, "KE", 60000, "USD", 120, 10000);
    assert_int_equal(c.net_reward_micros, 0);
    assert_int_equal(c.min_reward_micros, -1);

    /* KE in KES: 10 KES in 120 s = 300 KES an hour over the 258.064517 floor; least 8602151 (258064517 × 120 /
     * 3600 = 8602150.57 → up) */
    c = check(s, "KE", 10000000, "KES", 120, 0);
    assert_int_equal(c.rate_micros_per_hour, 300000000);
    assert_int_equal(c.rate_local_micros_per_hour, 300000000);
    assert_int_equal(c.floor_project_micros_per_hour, 258064517);
    assert_true(c.meets_floor);
    assert_int_equal(c.min_reward_micros, 8602151);

    /* PL in PLN: the legal minimum applies, no conversion; 1 PLN in 120 s = 30 PLN an hour meets it;
     * least 26919231 × 120 / 3600 = 897307.7 → 897308 */
    c = check(s, "PL", 1000000, "PLN", 120, 0);
    assert_true(c.floor.legal_minimum_applies);
    assert_int_equal(c.floor_project_micros_per_hour, 26919231);
    assert_true(c.meets_floor);
    assert_int_equal(c.min_reward_micros, 897308);
    c = check(s, "PL", 897307, "PLN", 120, 0);
    assert_false(c.meets_floor);
    c = check(s, "PL", 897308, "PLN", 120, 0);
    assert_true(c.meets_floor);
    assert_false(c.living.present);
    assert_false(c.meets_living);

    /* the least reward is exact for any fee and estimate: it meets the floor, one micro less does not */
    static const int64_t fees[] = {0, 1, 250, 500, 3333, 9999};
    static const int64_t secs[] = {1, 7, 120, 3601};
    for (size_t i = 0; i < sizeof fees / sizeof *fees; i++)
        for (size_t k = 0; k < sizeof secs / sizeof *secs; k++) {
            int64_t least = check(s, "KE", 1, "USD", secs[k], fees[i]).min_reward_micros;
            if (!check(s, "KE", least, "USD", secs[k], fees[i]).meets_floor ||
                check(s, "KE", least - 1, "USD", secs[k], fees[i]).meets_floor)
                fail_msg("fee %lld bps, %lld s: least reward %lld is not the least", (long long)fees[i],
                         (long long)secs[k], (long long)least);
        }

    struct wage_project_check x;
    struct wage_date now = date("2025-06-15");
    assert_int_equal(wage_project_check(&s->t, "KE", 60000, "EUR", 120, 0, 2000000, now, &x), WAGE_NO_RATE);
    assert_int_equal(wage_project_check(&s->t, "KE", 60000, "USD", 0, 0, 2000000, now, &x), WAGE_INVALID);
    assert_int_equal(wage_project_check(&s->t, "KE", 60000, "USD", 120, 10001, 2000000, now, &x), WAGE_INVALID);
    assert_int_equal(wage_project_check(&s->t, "KE", -1, "USD", 120, 0, 2000000, now, &x), WAGE_INVALID);
    assert_int_equal(wage_project_check(&s->t, "FR", 60000, "USD", 120, 0, 2000000, now, &x), WAGE_UNKNOWN_COUNTRY);
}

/* ---- CSV errors ---- */

#define BH WAGE_BENCHMARK_HEADER "\n"
#define KE_ROW "KE,Nairobi,minimum,16113.75,KES,month,2024-11-01,statutory,V,https://example.org/ke\n"
#define CH WAGE_COUNTRY_HEADER "\n"
#define KE_BASICS "KE,Kenya,KES,0.00775,2025-06,52,Regulation of Wages\n"

static void bench_error(const char *csv, size_t line, int column, const char *column_name, const char *detail)
{
    struct wage_benchmark *rows = (void *)1;
    size_t n = 99;
    struct wage_error e;
    if (wage_benchmarks_parse(csv, strlen(csv), &rows, &n, &e)) fail_msg("accepted:\n%s", csv);
    if (e.line != line || e.column != column || strcmp(e.column_name, column_name) || !strstr(e.detail, detail))
        fail_msg("got line %zu column %d (%s): %s\nwant line %zu column %d (%s): …%s…", e.line, e.column,
                 e.column_name, e.detail, line, column, column_name, detail);
    assert_ptr_equal(rows, (void *)1); /* untouched on failure */
}

static void country_error(const char *csv, size_t line, int column, const char *column_name, const char *detail)
{
    struct wage_country *rows = NULL;
    size_t n = 0;
    struct wage_error e;
    if (wage_countries_parse(csv, strlen(csv), &rows, &n, &e)) fail_msg("accepted:\n%s", csv);
    if (e.line != line || e.column != column || strcmp(e.column_name, column_name) || !strstr(e.detail, detail))
        fail_msg("got line %zu column %d (%s): %s\nwant line %zu column %d (%s): …%s…", e.line, e.column,
                 e.column_name, e.detail, line, column, column_name, detail);
}

static void test_csv_errors(void **state)
{
    (void)state;
    bench_error("", 1, 0, "", "header");
    bench_error("country,region,kind,amount,currency,unit,ref_date,method,confidence\n" KE_ROW, 1, 0, "",
                "header must be exactly");
    bench_error(BH "XX,Nairobi,minimum,1,KES,month,2024,m,V,s\n", 2, 1, "country", "\"XX\" is not an ISO 3166-1");
    bench_error(BH ",Nairobi,minimum,1,KES,month,2024,m,V,s\n", 2, 1, "country", "country code");
    bench_error(BH "KE,,minimum,1,KES,month,2024,m,V,s\n", 2, 2, "region", "region is empty");
    bench_error(BH "KE,Nai\trobi,minimum,1,KES,month,2024,m,V,s\n", 2, 2, "region", "control character");
    bench_error(BH "KE,Nair\xc3obi,minimum,1,KES,month,2024,m,V,s\n", 2, 2, "region", "UTF-8");
    bench_error(BH "KE,\xc0\xaf,minimum,1,KES,month,2024,m,V,s\n", 2, 2, "region", "UTF-8"); /* overlong '/' */
    bench_error(BH "KE,Nairobi,maximum,1,KES,month,2024,m,V,s\n", 2, 3, "kind", "\"maximum\" is not minimum or living");
    bench_error(BH "KE,Nairobi,minimum,abc,KES,month,2024,m,V,s\n", 2, 4, "amount", "\"abc\" is not a positive");
    bench_error(BH "KE,Nairobi,minimum,1.1234567,KES,month,2024,m,V,s\n", 2, 4, "amount", "at most 6 decimals");
    bench_error(BH "KE,Nairobi,minimum,0,KES,month,2024,m,V,s\n", 2, 4, "amount", "positive");
    bench_error(BH "KE,Nairobi,minimum,-5,KES,month,2024,m,V,s\n", 2, 4, "amount", "positive");
    bench_error(BH "KE,Nairobi,minimum,16 113,KES,month,2024,m,V,s\n", 2, 4, "amount", "not a positive");
    bench_error(BH "KE,Nairobi,minimum,1,KSH,month,2024,m,V,s\n", 2, 5, "currency", "\"KSH\" is not an ISO 4217");
    bench_error(BH "KE,Nairobi,minimum,1,KES,year,2024,m,V,s\n", 2, 6, "unit", "not hour, day, week or month");
    bench_error(BH "KE,Nairobi,minimum,1,KES,month,2024-13,m,V,s\n", 2, 7, "ref_date", "\"2024-13\" is not a date");
    bench_error(BH "KE,Nairobi,minimum,1,KES,month,2023-02-29,m,V,s\n", 2, 7, "ref_date", "not a date");
    bench_error(BH "KE,Nairobi,minimum,1,KES,month,2024,,V,s\n", 2, 8, "method", "method is empty");
    bench_error(BH "KE,Nairobi,minimum,1,KES,month,2024,m,X,s\n", 2, 9, "confidence", "\"X\" is not V or ?");
    bench_error(BH "KE,Nairobi,minimum,1,KES,month,2024,m,V,\n", 2, 10, "source", "source is empty");
    /* the bad row after good ones: its own line; an unquoted comma in the amount makes 11 fields */
    bench_error(BH KE_ROW "NG,national,minimum,70000,NGN,month,2024-07-29,m,V,s\n"
                          "KE,rural,living,30,531,KES,month,2023,m,V,s\n",
                4, 11, "", "more than 10 fields");
    bench_error(BH KE_ROW "KE,rural,living,30531,KES,month,2023,m,V\n", 3, 10, "source", "9 fields, want 10");
    bench_error(BH KE_ROW "\n" KE_ROW, 3, 2, "region", "1 field, want 10");
    bench_error(BH KE_ROW "KE,\"Nairobi,minimum,1,KES,month,2024,m,V,s\n", 3, 2, "region", "not closed");
    bench_error(BH KE_ROW "KE,\"Nai\"robi,minimum,1,KES,month,2024,m,V,s\n", 3, 2, "region",
                "closing quote must end");
    bench_error(BH KE_ROW "KE,Nai\"robi,minimum,1,KES,month,2024,m,V,s\n", 3, 2, "region", "quote inside");
    bench_error(BH "KE,Nairobi,minimum,1,KES,month,2024,m,V,s\rKE", 2, 10, "source", "carriage return");
    bench_error(BH KE_ROW "KE,Nairobi,minimum,2,KES,day,2025,m,V,s\n", 3, 2, "region",
                "a second minimum figure for KE Nairobi (first on line 2)");
    /* a quoted field spanning lines is read whole, then refused for its newline */
    bench_error(BH "KE,\"Nai\nrobi\",minimum,1,KES,month,2024,m,V,s\n", 2, 2, "region", "control character");
    {
        const char nul[] = BH "KE,Nai\0robi,minimum,1,KES,month,2024,m,V,s\n";
        struct wage_benchmark *rows;
        size_t n;
        struct wage_error e;
        assert_false(wage_benchmarks_parse(nul, sizeof nul - 1, &rows, &n, &e));
        assert_int_equal(e.line, 2);
        assert_int_equal(e.column, 2);
        assert_non_null(strstr(e.detail, "NUL"));
    }

    /* accepted: CRLF line ends, no final newline, quoted fields with "" escapes, a header alone */
    struct wage_benchmark *rows;
    size_t n;
    struct wage_error e;
    const char *ok = WAGE_BENCHMARK_HEADER "\r\n"
                     "KE,\"Nairobi, \"\"city\"\"\",minimum,16113.75,KES,month,2024-11-01,statutory,V,https://x\r\n"
                     "KE,rural,living,30531,KES,month,2023,\"GLWC/Anker\",?,https://y";
    assert_true(wage_benchmarks_parse(ok, strlen(ok), &rows, &n, &e));
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].region, "Nairobi, \"city\"");
    assert_int_equal(rows[1].line, 3);
    assert_string_equal(rows[1].source, "https://y");
    assert_true(rows[1].low_confidence);
    free(rows);
    assert_true(wage_benchmarks_parse(BH, strlen(BH), &rows, &n, &e));
    assert_int_equal(n, 0);
    free(rows);

    /* the country basics */
    country_error(CH "KE,Kenya,KES,0,2025-06,52,s\n", 2, 4, "usd_per_unit", "\"0\" is not a positive decimal");
    country_error(CH "KE,Kenya,KES,abc,2025-06,52,s\n", 2, 4, "usd_per_unit", "positive decimal");
    country_error(CH "US,United States,USD,1.5,2025-06,40,s\n", 2, 4, "usd_per_unit", "rate of USD must be 1");
    country_error(CH "KE,Kenya,KES,0.00775,June 2025,52,s\n", 2, 5, "fx_date", "not a date");
    country_error(CH "KE,Kenya,KES,0.00775,2025-06,0,s\n", 2, 6, "normal_weekly_hours", "at most 84");
    country_error(CH "KE,Kenya,KES,0.00775,2025-06,200,s\n", 2, 6, "normal_weekly_hours", "at most 84");
    country_error(CH "KE,Kenya,KES,0.00775,2025-06,52h,s\n", 2, 6, "normal_weekly_hours", "\"52h\"");
    country_error(CH "KE,Kenya,KES,0.00775,2025-06,52,\n", 2, 7, "hours_source", "hours_source is empty");
    country_error(CH KE_BASICS "KE,Kenya again,KES,0.00775,2025-06,52,s\n", 3, 1, "country", "KE is already on line 2");
    country_error(CH KE_BASICS "TZ,Tanzania,KES,0.008,2025-06,40,s\n", 3, 4, "usd_per_unit",
                  "KES has another rate on line 2");
    country_error(CH "KE,Kenya,KES,0.00775,2025-06,52\n", 2, 7, "hours_source", "6 fields, want 7");
    /* the PH line as ../shared/data has it, with its comma unquoted */
    country_error(CH KE_BASICS "PH,Philippines,PHP,0.0177,2025-06,48,Labor Code: 8 hours a day, 6 days (verify)\n", 3,
                  8, "", "more than 7 fields");
    struct wage_country *cs;
    const char *two = CH "US,United States,USD,1.0,2025-06,40,s\nDE,Germany,EUR,1.17,2025-06,37.5,s\n";
    assert_true(wage_countries_parse(two, strlen(two), &cs, &n, &e));
    assert_int_equal(n, 2);
    assert_int_equal(cs[1].weekly_hours_micros, 37500000);
    free(cs);

    /* the formatted message, and the cross-table check */
    const char *bad_amount = BH "KE,Nairobi,minimum,abc,KES,month,2024,m,V,s\n";
    assert_false(wage_benchmarks_parse(bad_amount, strlen(bad_amount), &rows, &n, &e));
    char msg[300];
    wage_error_format(&e, msg, sizeof msg);
    assert_string_equal(msg, "line 2, column 4 (amount): \"abc\" is not a positive decimal with at most 6 decimals");

    const char *b2 = BH KE_ROW "NG,national,minimum,70000,NGN,month,2024-07-29,m,V,s\n"
                              "KE,x,living,10,EUR,month,2024,m,V,s\n";
    assert_true(wage_benchmarks_parse(b2, strlen(b2), &rows, &n, &e));
    assert_true(wage_countries_parse(CH KE_BASICS, strlen(CH KE_BASICS), &cs, &n, &e));
    struct wage_tables t = {.benchmarks = rows, .n_benchmarks = 3, .countries = cs, .n_countries = 1};
    assert_false(wage_tables_check(&t, &e));
    assert_int_equal(e.line, 3);
    assert_int_equal(e.column, 1);
    assert_non_null(strstr(e.detail, "NG has no row in the country basics"));
    t.benchmarks = rows + 2; /* the EUR row alone */
    t.n_benchmarks = 1;
    assert_false(wage_tables_check(&t, &e));
    assert_int_equal(e.line, 4);
    assert_int_equal(e.column, 5);
    assert_string_equal(e.column_name, "currency");
    struct wage_country_figures f;
    assert_int_equal(wage_country_figures(&t, "KE", date("2025"), &f), WAGE_NO_RATE);
    free(rows);
    free(cs);
}

static void test_from_fields(void **state)
{
    (void)state;
    const char *const good[WAGE_BENCHMARK_COLUMNS] = {"TH", "Bangkok", "minimum", "400", "THB", "day", "2025-07-01",
                                                      "statutory", "?", "https://example.org"};
    struct wage_benchmark b;
    struct wage_error e;
    assert_true(wage_benchmark_from_fields(good, &b, &e));
    assert_int_equal(b.amount_micros, 400000000);
    assert_int_equal(b.unit, WAGE_PER_DAY);
    assert_true(b.low_confidence);
    assert_int_equal(b.line, 0);
    const char *const bad[WAGE_BENCHMARK_COLUMNS] = {"TH", "Bangkok", "minimum", "400", "THB", "fortnight",
                                                     "2025-07-01", "statutory", "?", "https://example.org"};
    assert_false(wage_benchmark_from_fields(bad, &b, &e));
    assert_int_equal(e.line, 0);
    assert_int_equal(e.column, 6);
    assert_string_equal(e.column_name, "unit");
    char region[WAGE_REGION_MAX + 1];
    memset(region, 'a', WAGE_REGION_MAX);
    region[WAGE_REGION_MAX] = 0;
    const char *const long_region[WAGE_BENCHMARK_COLUMNS] = {"TH", region, "minimum", "400", "THB", "day",
                                                             "2025-07-01", "statutory", "?", "https://example.org"};
    assert_false(wage_benchmark_from_fields(long_region, &b, &e));
    assert_int_equal(e.column, 2);
    assert_non_null(strstr(e.detail, "too long"));
    region[WAGE_REGION_MAX - 1] = 0; /* 95 bytes fit */
    assert_true(wage_benchmark_from_fields(long_region, &b, &e));

    const char *const country[WAGE_COUNTRY_COLUMNS] = {"GH", "Ghana", "GHS", "0.065", "2025-06", "40", "Labour Act"};
    struct wage_country c;
    assert_true(wage_country_from_fields(country, &c, &e));
    assert_int_equal(c.usd_per_unit.units, 65);
    assert_int_equal(c.usd_per_unit.scale, 3);
    assert_int_equal(c.weekly_hours_micros, 40000000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_seed_parses, seed_setup, seed_teardown),
        cmocka_unit_test_setup_teardown(test_hourly_kenya, seed_setup, seed_teardown),
        cmocka_unit_test_setup_teardown(test_stale, seed_setup, seed_teardown),
        cmocka_unit_test_setup_teardown(test_country_figures, seed_setup, seed_teardown),
        cmocka_unit_test_setup_teardown(test_worker_floor, seed_setup, seed_teardown),
        cmocka_unit_test_setup_teardown(test_project_check, seed_setup, seed_teardown),
        cmocka_unit_test(test_csv_errors),
        cmocka_unit_test(test_from_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
