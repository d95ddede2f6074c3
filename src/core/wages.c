/* Wage benchmarks and country basics (see wages.h): strict CSV parsing, hourly figures as exact fractions,
 * staleness, and the worker's floor. */
#include "core/wages.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/calendar.h"
#include "core/country.h"

static const char *const benchmark_columns[WAGE_BENCHMARK_COLUMNS] = {
    "country", "region", "kind", "amount", "currency", "unit", "ref_date", "method", "confidence", "source"};
static const char *const country_columns[WAGE_COUNTRY_COLUMNS] = {
    "country", "name", "currency", "usd_per_unit", "fx_date", "normal_weekly_hours", "hours_source"};

#define FIELD_MAX 512 /* longest field any column accepts, including the NUL */

__attribute__((format(printf, 5, 6))) static bool fail(struct wage_error *e, size_t line, int column,
                                                       const char *const *names, const char *fmt, ...)
{
    e->line = line;
    e->column = column;
    e->column_name = column > 0 && names ? names[column - 1] : ""; /* NULL names: past the last column */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->detail, sizeof e->detail, fmt, ap);
    va_end(ap);
    return false;
}

void wage_error_format(const struct wage_error *e, char *out, size_t n)
{
    if (e->column > 0)
        snprintf(out, n, "line %zu, column %d (%s): %s", e->line, e->column, e->column_name, e->detail);
    else
        snprintf(out, n, "line %zu: %s", e->line, e->detail);
}

const char *wage_kind_name(enum wage_kind k) { return k == WAGE_MINIMUM ? "minimum" : "living"; }

const char *wage_unit_name(enum wage_unit u)
{
    switch (u) {
    case WAGE_PER_HOUR: return "hour";
    case WAGE_PER_DAY: return "day";
    case WAGE_PER_WEEK: return "week";
    case WAGE_PER_MONTH: return "month";
    }
    return "?";
}

const char *wage_rc_str(enum wage_rc rc)
{
    switch (rc) {
    case WAGE_OK: return "ok";
    case WAGE_UNKNOWN_COUNTRY: return "no country basics for the country";
    case WAGE_NO_RATE: return "no USD rate for the currency";
    case WAGE_INVALID: return "an argument is out of range";
    case WAGE_OVERFLOW: return "the amount is too large";
    }
    return "?";
}

/* ---- dates ---- */

static bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int y, int m)
{
    static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : d[m - 1];
}

static bool digits(const char *s, size_t n, int *v)
{
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        *v = *v * 10 + (s[i] - '0');
    }
    return true;
}

bool wage_date_parse(const char *s, size_t len, struct wage_date *out)
{
    struct wage_date d = {0, 0, 0};
    if (len != 4 && len != 7 && len != 10) return false;
    if (!digits(s, 4, &d.year) || d.year < 1000) return false;
    if (len >= 7 && (s[4] != '-' || !digits(s + 5, 2, &d.month) || d.month < 1 || d.month > 12)) return false;
    if (len == 10 &&
        (s[7] != '-' || !digits(s + 8, 2, &d.day) || d.day < 1 || d.day > days_in_month(d.year, d.month)))
        return false;
    *out = d;
    return true;
}

struct wage_date wage_date_from_unix(int64_t seconds)
{
    int64_t y;
    int m, d;
    calendar_civil_from_days(calendar_day_of_ms(seconds * 1000), &y, &m, &d); /* floored: before 1970 too */
    return (struct wage_date){(int)y, m, d};
}

bool wage_date_older_than(struct wage_date ref, int months, struct wage_date now)
{
    /* a partial date is the start of its period */
    int rm = ref.month ? ref.month : 1, rd = ref.day ? ref.day : 1;
    int nm = now.month ? now.month : 1, nd = now.day ? now.day : 1;
    int64_t shifted = (int64_t)ref.year * 12 + (rm - 1) + months; /* months since year 0 */
    int64_t sy = shifted / 12, sm = shifted % 12 + 1;
    /* compared as (year, month, day) tuples; a 29 February + 24 months is passed from 1 March on */
    if (now.year != sy) return now.year > sy;
    if (nm != sm) return nm > sm;
    return nd > rd;
}

bool wage_is_stale(const struct wage_benchmark *b, struct wage_date now)
{
    return b->low_confidence || wage_date_older_than(b->ref_date, WAGE_STALE_MONTHS, now);
}

/* ---- fields ---- */

/* Printable UTF-8 text without control characters, 1..max-1 bytes. */
static const char *text_problem(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0) return "is empty";
    if (n >= max) return "is too long";
    const unsigned char *p = (const unsigned char *)s;
    static const uint32_t min_cp[4] = {0, 0x80, 0x800, 0x10000};
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        if (c < 0x20 || c == 0x7F) return "contains a control character";
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k = (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : 0;
        if (k == 0 || n - i <= k) return "is not valid UTF-8";
        uint32_t cp = c & (0x7F >> (k + 1));
        for (size_t j = 1; j <= k; j++) {
            if ((p[i + j] & 0xC0) != 0x80) return "is not valid UTF-8";
            cp = cp << 6 | (p[i + j] & 0x3F);
        }
        /* overlong forms, surrogates and beyond U+10FFFF */
        if (cp < min_cp[k] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return "is not valid UTF-8";
        i += k + 1;
    }
    return NULL;
}

static bool decimals_equal(struct money_decimal a, struct money_decimal b)
{
    static const int64_t p10[MONEY_DECIMAL_MAX_SCALE + 1] = {
        1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL, 100000000LL, 1000000000LL,
        10000000000LL, 100000000000LL, 1000000000000LL, 10000000000000LL, 100000000000000LL,
        1000000000000000LL, 10000000000000000LL, 100000000000000000LL, 1000000000000000000LL};
    return (money_i128)a.units * p10[b.scale] == (money_i128)b.units * p10[a.scale];
}

#define CHECK_TEXT(col, dst, max)                                                                                 \
    do {                                                                                                          \
        const char *why_ = text_problem(f[(col) - 1], (max));                                                     \
        if (why_) return fail(e, line, (col), names, "%s %s", names[(col) - 1], why_);                            \
        memcpy((dst), f[(col) - 1], strlen(f[(col) - 1]) + 1);                                                    \
    } while (0)

static bool benchmark_fields(const char *const f[WAGE_BENCHMARK_COLUMNS], size_t line, struct wage_benchmark *b,
                             struct wage_error *e)
{
    const char *const *names = benchmark_columns;
    memset(b, 0, sizeof *b);
    b->line = line;
    if (!country_code_valid(f[0]))
        return fail(e, line, 1, names, "\"%s\" is not an ISO 3166-1 alpha-2 country code", f[0]);
    memcpy(b->country, f[0], 3);
    CHECK_TEXT(2, b->region, sizeof b->region);
    if (!strcmp(f[2], "minimum")) b->kind = WAGE_MINIMUM;
    else if (!strcmp(f[2], "living")) b->kind = WAGE_LIVING;
    else return fail(e, line, 3, names, "\"%s\" is not minimum or living", f[2]);
    if (!money_parse_micros(f[3], strlen(f[3]), &b->amount_micros) || b->amount_micros <= 0)
        return fail(e, line, 4, names, "\"%s\" is not a positive decimal with at most 6 decimals", f[3]);
    if (!currency_code_valid(f[4]))
        return fail(e, line, 5, names, "\"%s\" is not an ISO 4217 currency code", f[4]);
    memcpy(b->currency, f[4], 4);
    if (!strcmp(f[5], "hour")) b->unit = WAGE_PER_HOUR;
    else if (!strcmp(f[5], "day")) b->unit = WAGE_PER_DAY;
    else if (!strcmp(f[5], "week")) b->unit = WAGE_PER_WEEK;
    else if (!strcmp(f[5], "month")) b->unit = WAGE_PER_MONTH;
    else return fail(e, line, 6, names, "\"%s\" is not hour, day, week or month", f[5]);
    if (!wage_date_parse(f[6], strlen(f[6]), &b->ref_date))
        return fail(e, line, 7, names, "\"%s\" is not a date YYYY, YYYY-MM or YYYY-MM-DD", f[6]);
    CHECK_TEXT(8, b->method, sizeof b->method);
    if (!strcmp(f[8], "?")) b->low_confidence = true;
    else if (strcmp(f[8], "V")) return fail(e, line, 9, names, "\"%s\" is not V or ?", f[8]);
    CHECK_TEXT(10, b->source, sizeof b->source);
    return true;
}

static bool country_fields(const char *const f[WAGE_COUNTRY_COLUMNS], size_t line, struct wage_country *c,
                           struct wage_error *e)
{
    const char *const *names = country_columns;
    memset(c, 0, sizeof *c);
    c->line = line;
    if (!country_code_valid(f[0]))
        return fail(e, line, 1, names, "\"%s\" is not an ISO 3166-1 alpha-2 country code", f[0]);
    memcpy(c->country, f[0], 3);
    CHECK_TEXT(2, c->name, sizeof c->name);
    if (!currency_code_valid(f[2]))
        return fail(e, line, 3, names, "\"%s\" is not an ISO 4217 currency code", f[2]);
    memcpy(c->currency, f[2], 4);
    if (!money_decimal_parse(f[3], strlen(f[3]), &c->usd_per_unit) || c->usd_per_unit.units <= 0)
        return fail(e, line, 4, names, "\"%s\" is not a positive decimal with at most 18 digits", f[3]);
    if (!strcmp(c->currency, "USD") && !decimals_equal(c->usd_per_unit, money_decimal_one()))
        return fail(e, line, 4, names, "the rate of USD must be 1, not %s", f[3]);
    if (!wage_date_parse(f[4], strlen(f[4]), &c->fx_date))
        return fail(e, line, 5, names, "\"%s\" is not a date YYYY, YYYY-MM or YYYY-MM-DD", f[4]);
    if (!money_parse_micros(f[5], strlen(f[5]), &c->weekly_hours_micros) || c->weekly_hours_micros <= 0 ||
        c->weekly_hours_micros > WAGE_MAX_WEEKLY_HOURS * MONEY_MICROS)
        return fail(e, line, 6, names, "\"%s\" is not a number of hours above 0 and at most %d", f[5],
                    WAGE_MAX_WEEKLY_HOURS);
    CHECK_TEXT(7, c->hours_source, sizeof c->hours_source);
    return true;
}

bool wage_benchmark_from_fields(const char *const fields[WAGE_BENCHMARK_COLUMNS], struct wage_benchmark *out,
                                struct wage_error *e)
{
    return benchmark_fields(fields, 0, out, e);
}

bool wage_country_from_fields(const char *const fields[WAGE_COUNTRY_COLUMNS], struct wage_country *out,
                              struct wage_error *e)
{
    return country_fields(fields, 0, out, e);
}

/* ---- CSV ---- */

struct csv {
    const char *p;
    size_t n, pos, line; /* line: the physical line pos is on */
};

static bool too_few(struct wage_error *e, size_t line, int got, int want, const char *const *names)
{
    return fail(e, line, got + 1, names, "%d field%s, want %d", got, got == 1 ? "" : "s", want);
}

/* One record into f (ncols buffers of FIELD_MAX). 1: a record with exactly ncols fields, starting on *start;
 * 0: end of input; -1: *e says why. */
static int csv_record(struct csv *c, char f[][FIELD_MAX], int ncols, const char *const *names, size_t *start,
                      struct wage_error *e)
{
    if (c->pos >= c->n) return 0;
    *start = c->line;
    for (int col = 1;; col++) {
        if (col > ncols)
            return fail(e, *start, ncols + 1, NULL, "more than %d fields (a comma outside quotes?)", ncols), -1;
        size_t len = 0;
        char *dst = f[col - 1];
        bool quoted = c->pos < c->n && c->p[c->pos] == '"';
        if (quoted) c->pos++;
        for (;;) {
            if (c->pos >= c->n) {
                if (quoted) return fail(e, *start, col, names, "a quoted field is not closed"), -1;
                break;
            }
            char ch = c->p[c->pos];
            if (ch == '\0') return fail(e, c->line, col, names, "a NUL byte"), -1;
            if (quoted) {
                c->pos++;
                if (ch == '"') {
                    if (c->pos < c->n && c->p[c->pos] == '"') c->pos++;
                    else {
                        if (c->pos < c->n && !strchr(",\r\n", c->p[c->pos]))
                            return fail(e, c->line, col, names, "a closing quote must end the field"), -1;
                        break;
                    }
                } else if (ch == '\n') {
                    c->line++;
                }
            } else {
                if (ch == ',' || ch == '\n' || ch == '\r') break;
                if (ch == '"') return fail(e, c->line, col, names, "a quote inside an unquoted field"), -1;
                c->pos++;
            }
            if (len + 1 >= FIELD_MAX) return fail(e, *start, col, names, "the field is too long"), -1;
            dst[len++] = ch;
        }
        dst[len] = 0;
        if (c->pos >= c->n) {
            if (col != ncols) return too_few(e, *start, col, ncols, names), -1;
            return 1;
        }
        char ch = c->p[c->pos++];
        if (ch == ',') continue;
        if (ch == '\r') {
            if (c->pos >= c->n || c->p[c->pos] != '\n')
                return fail(e, c->line, col, names, "a carriage return without a line feed"), -1;
            c->pos++;
        }
        c->line++;
        if (col != ncols) return too_few(e, *start, col, ncols, names), -1;
        return 1;
    }
}

/* Checks the header, then hands each record to row(). */
static bool csv_parse(const char *csv, size_t len, const char *header, int ncols, const char *const *names,
                      bool (*row)(void *ctx, const char *const *f, size_t line, struct wage_error *e), void *ctx,
                      struct wage_error *e)
{
    struct csv c = {.p = csv, .n = len, .pos = 0, .line = 1};
    size_t hl = strlen(header);
    size_t end = 0;
    while (end < len && csv[end] != '\n' && csv[end] != '\r') end++;
    if (end != hl || memcmp(csv, header, hl))
        return fail(e, 1, 0, names, "the header must be exactly %s", header);
    char(*f)[FIELD_MAX] = malloc((size_t)ncols * FIELD_MAX);
    if (!f) return fail(e, 0, 0, names, "out of memory");
    const char *ptrs[WAGE_BENCHMARK_COLUMNS > WAGE_COUNTRY_COLUMNS ? WAGE_BENCHMARK_COLUMNS : WAGE_COUNTRY_COLUMNS];
    for (int i = 0; i < ncols; i++) ptrs[i] = f[i];
    size_t start;
    int r = csv_record(&c, f, ncols, names, &start, e); /* the header, already compared */
    bool ok = r == 1;
    while (ok && (r = csv_record(&c, f, ncols, names, &start, e)) == 1) ok = row(ctx, ptrs, start, e);
    if (r < 0) ok = false;
    free(f);
    return ok;
}

struct collect {
    void *rows;
    size_t n, cap, size;
};

static void *collect_slot(struct collect *c)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 32;
        void *p = realloc(c->rows, cap * c->size);
        if (!p) return NULL;
        c->rows = p;
        c->cap = cap;
    }
    return (char *)c->rows + c->n * c->size;
}

static bool benchmark_row(void *ctx, const char *const *f, size_t line, struct wage_error *e)
{
    struct collect *c = ctx;
    struct wage_benchmark *b = collect_slot(c);
    if (!b) return fail(e, line, 0, NULL, "out of memory");
    if (!benchmark_fields(f, line, b, e)) return false;
    const struct wage_benchmark *all = c->rows;
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(all[i].country, b->country) && !strcmp(all[i].region, b->region) && all[i].kind == b->kind)
            return fail(e, line, 2, benchmark_columns, "a second %s figure for %s %s (first on line %zu)",
                        wage_kind_name(b->kind), b->country, b->region, all[i].line);
    c->n++;
    return true;
}

static bool country_row(void *ctx, const char *const *f, size_t line, struct wage_error *e)
{
    struct collect *c = ctx;
    struct wage_country *r = collect_slot(c);
    if (!r) return fail(e, line, 0, NULL, "out of memory");
    if (!country_fields(f, line, r, e)) return false;
    const struct wage_country *all = c->rows;
    for (size_t i = 0; i < c->n; i++) {
        if (!strcmp(all[i].country, r->country))
            return fail(e, line, 1, country_columns, "%s is already on line %zu", r->country, all[i].line);
        if (!strcmp(all[i].currency, r->currency) && !decimals_equal(all[i].usd_per_unit, r->usd_per_unit))
            return fail(e, line, 4, country_columns, "%s has another rate on line %zu", r->currency, all[i].line);
    }
    c->n++;
    return true;
}

bool wage_benchmarks_parse(const char *csv, size_t len, struct wage_benchmark **rows, size_t *n,
                           struct wage_error *e)
{
    struct collect c = {.size = sizeof(struct wage_benchmark)};
    if (!csv_parse(csv, len, WAGE_BENCHMARK_HEADER, WAGE_BENCHMARK_COLUMNS, benchmark_columns, benchmark_row, &c,
                   e)) {
        free(c.rows);
        return false;
    }
    *rows = c.rows;
    *n = c.n;
    return true;
}

bool wage_countries_parse(const char *csv, size_t len, struct wage_country **rows, size_t *n, struct wage_error *e)
{
    struct collect c = {.size = sizeof(struct wage_country)};
    if (!csv_parse(csv, len, WAGE_COUNTRY_HEADER, WAGE_COUNTRY_COLUMNS, country_columns, country_row, &c, e)) {
        free(c.rows);
        return false;
    }
    *rows = c.rows;
    *n = c.n;
    return true;
}

/* ---- lookups ---- */

const struct wage_country *wage_country_find(const struct wage_tables *t, const char *country)
{
    for (size_t i = 0; country && i < t->n_countries; i++)
        if (!strcmp(t->countries[i].country, country)) return &t->countries[i];
    return NULL;
}

bool wage_usd_per_unit(const struct wage_tables *t, const char *currency, struct money_decimal *rate)
{
    if (currency && !strcmp(currency, "USD")) {
        *rate = money_decimal_one();
        return true;
    }
    for (size_t i = 0; currency && i < t->n_countries; i++)
        if (!strcmp(t->countries[i].currency, currency)) {
            *rate = t->countries[i].usd_per_unit;
            return true;
        }
    return false;
}

bool wage_tables_check(const struct wage_tables *t, struct wage_error *e)
{
    struct money_decimal rate;
    for (size_t i = 0; i < t->n_benchmarks; i++) {
        const struct wage_benchmark *b = &t->benchmarks[i];
        if (!wage_country_find(t, b->country))
            return fail(e, b->line, 1, benchmark_columns, "%s has no row in the country basics", b->country);
        if (!wage_usd_per_unit(t, b->currency, &rate))
            return fail(e, b->line, 5, benchmark_columns, "%s has no USD rate in the country basics", b->currency);
    }
    return true;
}

/* ---- exact fractions ---- */

struct frac {
    money_i128 num, den; /* den > 0 */
};

static money_i128 gcd(money_i128 a, money_i128 b)
{
    if (a < 0) a = -a;
    while (b) {
        money_i128 t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* f × n / d (n, d > 0), reduced first so intermediates stay small; false on overflow. */
static bool frac_mul(struct frac *f, money_i128 n, money_i128 d)
{
    money_i128 g1 = gcd(f->num, d), g2 = gcd(n, f->den);
    if (g1 > 1) {
        f->num /= g1;
        d /= g1;
    }
    if (g2 > 1) {
        n /= g2;
        f->den /= g2;
    }
    return !__builtin_mul_overflow(f->num, n, &f->num) && !__builtin_mul_overflow(f->den, d, &f->den);
}

static int64_t pow10i(int k)
{
    int64_t p = 1;
    while (k-- > 0) p *= 10;
    return p;
}

/* f × (from USD per unit) / (to USD per unit) */
static bool frac_convert(struct frac *f, struct money_decimal from, struct money_decimal to)
{
    return frac_mul(f, from.units, pow10i(from.scale)) && frac_mul(f, pow10i(to.scale), to.units);
}

static enum wage_rc frac_round(struct frac f, int64_t *out)
{
    return money_div_half_even(f.num, f.den, out) ? WAGE_OK : WAGE_OVERFLOW;
}

/* A benchmark per hour as an exact fraction of micros in its own currency. */
static enum wage_rc hourly_frac(const struct wage_benchmark *b, int64_t weekly_hours_micros, struct frac *f)
{
    if (weekly_hours_micros <= 0 || b->amount_micros < 0) return WAGE_INVALID;
    *f = (struct frac){b->amount_micros, 1};
    bool ok = true;
    switch (b->unit) {
    case WAGE_PER_HOUR: break;
    case WAGE_PER_DAY: ok = frac_mul(f, WAGE_DAYS_PER_WEEK * MONEY_MICROS, weekly_hours_micros); break;
    case WAGE_PER_WEEK: ok = frac_mul(f, MONEY_MICROS, weekly_hours_micros); break;
    case WAGE_PER_MONTH: ok = frac_mul(f, 12 * MONEY_MICROS, (money_i128)52 * weekly_hours_micros); break;
    }
    return ok ? WAGE_OK : WAGE_OVERFLOW;
}

enum wage_rc wage_hourly(const struct wage_benchmark *b, int64_t weekly_hours_micros, int64_t *hourly_micros)
{
    struct frac f;
    enum wage_rc rc = hourly_frac(b, weekly_hours_micros, &f);
    return rc != WAGE_OK ? rc : frac_round(f, hourly_micros);
}

/* ---- per country ---- */

static enum wage_rc figure(const struct wage_tables *t, const struct wage_country *c, enum wage_kind kind,
                           struct wage_date now, struct wage_figure *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < t->n_benchmarks; i++) {
        const struct wage_benchmark *b = &t->benchmarks[i];
        if (b->kind != kind || strcmp(b->country, c->country)) continue;
        out->n_rows++;
        struct money_decimal rate;
        if (!wage_usd_per_unit(t, b->currency, &rate)) return WAGE_NO_RATE;
        struct frac local, usd;
        enum wage_rc rc = hourly_frac(b, c->weekly_hours_micros, &local);
        if (rc != WAGE_OK) return rc;
        usd = local;
        if (!frac_convert(&local, rate, c->usd_per_unit) || !frac_convert(&usd, rate, money_decimal_one()))
            return WAGE_OVERFLOW;
        int64_t h, h_usd;
        if ((rc = frac_round(local, &h)) != WAGE_OK || (rc = frac_round(usd, &h_usd)) != WAGE_OK) return rc;
        if (out->row && h >= out->hourly_micros) continue;
        out->present = true;
        out->row = b;
        out->hourly_micros = h;
        out->hourly_usd_micros = h_usd;
        out->stale = wage_is_stale(b, now);
        out->regional = strcmp(b->region, "national") != 0;
    }
    return WAGE_OK;
}

enum wage_rc wage_country_figures(const struct wage_tables *t, const char *country, struct wage_date now,
                                  struct wage_country_figures *out)
{
    memset(out, 0, sizeof *out);
    const struct wage_country *c = wage_country_find(t, country);
    if (!c) return WAGE_UNKNOWN_COUNTRY;
    out->country = c;
    enum wage_rc rc = figure(t, c, WAGE_MINIMUM, now, &out->minimum);
    return rc != WAGE_OK ? rc : figure(t, c, WAGE_LIVING, now, &out->living);
}

enum wage_rc wage_worker_floor(const struct wage_tables *t, const char *country,
                               int64_t platform_floor_usd_micros_per_hour, struct wage_date now,
                               struct wage_floor *out)
{
    memset(out, 0, sizeof *out);
    if (platform_floor_usd_micros_per_hour < 0) return WAGE_INVALID;
    struct wage_country_figures fig;
    enum wage_rc rc = wage_country_figures(t, country, now, &fig);
    if (rc != WAGE_OK) return rc;
    const struct wage_country *c = fig.country;
    memcpy(out->currency, c->currency, sizeof out->currency);
    out->minimum = fig.minimum;
    if (!money_convert_up(platform_floor_usd_micros_per_hour, money_decimal_one(), c->usd_per_unit,
                          &out->platform_micros))
        return WAGE_OVERFLOW;
    if (fig.minimum.present && fig.minimum.hourly_micros > out->platform_micros) {
        out->legal_minimum_applies = true;
        out->hourly_micros = fig.minimum.hourly_micros;
        if (!money_convert_up(out->hourly_micros, c->usd_per_unit, money_decimal_one(), &out->hourly_usd_micros))
            return WAGE_OVERFLOW;
    } else {
        out->hourly_micros = out->platform_micros;
        out->hourly_usd_micros = platform_floor_usd_micros_per_hour;
    }
    return WAGE_OK;
}

/* The least gross g whose net after the worker fee is at least need; -1 when none is. */
static enum wage_rc min_gross(int64_t need, int64_t bps, int64_t *out)
{
    if (need <= 0) return *out = 0, WAGE_OK;
    if (bps >= MONEY_BPS) return *out = -1, WAGE_OK;
    int64_t hi, lo = 0, net, fee;
    /* net(hi) >= hi × (1 − bps) − ½ and is whole, so hi suffices; net never falls as g grows, so bisect */
    if (!money_div_ceil((money_i128)need * MONEY_BPS, MONEY_BPS - bps, &hi)) return WAGE_OVERFLOW;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (money_split(mid, bps, &net, &fee) && net >= need) hi = mid;
        else lo = mid + 1;
    }
    *out = hi;
    return WAGE_OK;
}

enum wage_rc wage_project_check(const struct wage_tables *t, const char *country, int64_t reward_micros,
                                const char *currency, int64_t estimated_seconds, int64_t worker_fee_bps,
                                int64_t platform_floor_usd_micros_per_hour, struct wage_date now,
                                struct wage_project_check *out)
{
    memset(out, 0, sizeof *out);
    if (reward_micros < 0 || estimated_seconds <= 0 || platform_floor_usd_micros_per_hour < 0) return WAGE_INVALID;
    if (!money_split(reward_micros, worker_fee_bps, &out->net_reward_micros, &out->worker_fee_micros))
        return WAGE_INVALID;
    struct money_decimal proj_rate;
    if (!wage_usd_per_unit(t, currency, &proj_rate)) return WAGE_NO_RATE;
    enum wage_rc rc = wage_worker_floor(t, country, platform_floor_usd_micros_per_hour, now, &out->floor);
    if (rc != WAGE_OK) return rc;
    const struct wage_country *c = wage_country_find(t, country);

    int64_t net = out->net_reward_micros;
    if (!money_rate_per_hour(net, estimated_seconds, &out->rate_micros_per_hour)) return WAGE_OVERFLOW;
    struct frac local = {(money_i128)net * 3600, estimated_seconds}, usd = local;
    if (!frac_convert(&local, proj_rate, c->usd_per_unit) || !frac_convert(&usd, proj_rate, money_decimal_one()))
        return WAGE_OVERFLOW;
    if ((rc = frac_round(local, &out->rate_local_micros_per_hour)) != WAGE_OK ||
        (rc = frac_round(usd, &out->rate_usd_micros_per_hour)) != WAGE_OK)
        return rc;

    /* the floor from its own source, so a USD project meets a USD platform floor without a rounding step */
    bool ok = out->floor.legal_minimum_applies
                  ? money_convert_up(out->floor.hourly_micros, c->usd_per_unit, proj_rate,
                                     &out->floor_project_micros_per_hour)
                  : money_convert_up(platform_floor_usd_micros_per_hour, money_decimal_one(), proj_rate,
                                     &out->floor_project_micros_per_hour);
    if (!ok) return WAGE_OVERFLOW;
    out->meets_floor = money_rate_meets(net, estimated_seconds, out->floor_project_micros_per_hour);
    int64_t need;
    if (!money_div_ceil((money_i128)out->floor_project_micros_per_hour * estimated_seconds, 3600, &need))
        return WAGE_OVERFLOW;
    if ((rc = min_gross(need, worker_fee_bps, &out->min_reward_micros)) != WAGE_OK) return rc;

    struct wage_country_figures fig;
    if ((rc = wage_country_figures(t, country, now, &fig)) != WAGE_OK) return rc;
    out->living = fig.living;
    if (fig.living.present) {
        if (!money_convert_up(fig.living.hourly_micros, c->usd_per_unit, proj_rate,
                              &out->living_project_micros_per_hour))
            return WAGE_OVERFLOW;
        out->meets_living = money_rate_meets(net, estimated_seconds, out->living_project_micros_per_hour);
    }
    return WAGE_OK;
}
