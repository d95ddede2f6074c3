/* The wage benchmark tables in the database: conversions between rows and the core structs (a stored row is
 * parsed again with the core checks on every read), the version row and the change history. */
#include "store/wages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void date_text(struct wage_date d, char *out, size_t n)
{
    if (!d.month) snprintf(out, n, "%04d", d.year);
    else if (!d.day) snprintf(out, n, "%04d-%02d", d.year, d.month);
    else snprintf(out, n, "%04d-%02d-%02d", d.year, d.month, d.day);
}

/* units / 10^scale as written ("0.00775", "1.0"). */
static void decimal_text(struct money_decimal v, char *out, size_t n)
{
    long long units = (long long)v.units, p10 = 1;
    for (int k = 0; k < v.scale; k++) p10 *= 10;
    if (v.scale) snprintf(out, n, "%lld.%0*lld", units / p10, v.scale, units % p10);
    else snprintf(out, n, "%lld", units);
}

void store_wage_benchmark_text(const struct wage_benchmark *b, struct wage_benchmark_text *t)
{
    const size_t n = sizeof t->f[0];
    snprintf(t->f[0], n, "%s", b->country);
    snprintf(t->f[1], n, "%s", b->region);
    snprintf(t->f[2], n, "%s", wage_kind_name(b->kind));
    money_format_micros(b->amount_micros, t->f[3], n);
    snprintf(t->f[4], n, "%s", b->currency);
    snprintf(t->f[5], n, "%s", wage_unit_name(b->unit));
    date_text(b->ref_date, t->f[6], n);
    snprintf(t->f[7], n, "%s", b->method);
    snprintf(t->f[8], n, "%s", b->low_confidence ? "?" : "V");
    snprintf(t->f[9], n, "%s", b->source);
}

void store_wage_country_text(const struct wage_country *c, struct wage_country_text *t)
{
    const size_t n = sizeof t->f[0];
    snprintf(t->f[0], n, "%s", c->country);
    snprintf(t->f[1], n, "%s", c->name);
    snprintf(t->f[2], n, "%s", c->currency);
    decimal_text(c->usd_per_unit, t->f[3], n);
    date_text(c->fx_date, t->f[4], n);
    money_format_micros(c->weekly_hours_micros, t->f[5], n);
    snprintf(t->f[6], n, "%s", c->hours_source);
}

static json_t *fields_json(const char *header, char (*f)[WAGE_SOURCE_MAX], int ncols)
{
    json_t *o = json_object();
    char names[128];
    snprintf(names, sizeof names, "%s", header);
    char *save = NULL, *name = strtok_r(names, ",", &save);
    for (int i = 0; i < ncols && name; i++, name = strtok_r(NULL, ",", &save))
        json_object_set_new(o, name, json_string(f[i]));
    return o;
}

json_t *store_wage_benchmark_json(const struct wage_benchmark *b)
{
    struct wage_benchmark_text *t = malloc(sizeof *t);
    if (!t) return NULL;
    store_wage_benchmark_text(b, t);
    json_t *o = fields_json(WAGE_BENCHMARK_HEADER, t->f, WAGE_BENCHMARK_COLUMNS);
    free(t);
    return o;
}

json_t *store_wage_country_json(const struct wage_country *c)
{
    struct wage_country_text *t = malloc(sizeof *t);
    if (!t) return NULL;
    store_wage_country_text(c, t);
    json_t *o = fields_json(WAGE_COUNTRY_HEADER, t->f, WAGE_COUNTRY_COLUMNS);
    free(t);
    return o;
}

db_rc store_wage_version(db *d, int64_t *version)
{
    int64_t v[1] = {0};
    db_rc rc = store_row_i64(d, Q_WAGE_VERSION_GET, NULL, 0, v, 1);
    *version = v[0];
    return rc == DB_ROW ? DB_OK : rc == DB_DONE ? DB_ERROR : rc;
}

db_rc store_wage_version_bump(db *d, int64_t now, int64_t *version)
{
    int64_t v[1] = {0};
    db_rc rc = store_row_i64(d, Q_WAGE_VERSION_BUMP, (struct sql_arg[]){{.i = now}}, 1, v, 1);
    *version = v[0];
    return rc == DB_ROW ? DB_OK : rc == DB_DONE ? DB_ERROR : rc;
}

/* The current row of s as a benchmark (columns in WAGE_BENCHMARK_COLS order). */
static bool benchmark_of_row(db_stmt *s, size_t line, struct wage_benchmark *out)
{
    char amount[32];
    money_format_micros(db_col_i64(s, 3), amount, sizeof amount);
    /* copies: the column texts stay valid until the next step, from_fields copies what it keeps */
    const char *f[WAGE_BENCHMARK_COLUMNS];
    for (int i = 0; i < WAGE_BENCHMARK_COLUMNS; i++) f[i] = i == 3 ? amount : db_col_text(s, i);
    struct wage_error e;
    if (!wage_benchmark_from_fields(f, out, &e)) return false;
    out->line = line;
    return true;
}

static bool country_of_row(db_stmt *s, size_t line, struct wage_country *out)
{
    char hours[32];
    money_format_micros(db_col_i64(s, 5), hours, sizeof hours);
    const char *f[WAGE_COUNTRY_COLUMNS];
    for (int i = 0; i < WAGE_COUNTRY_COLUMNS; i++) f[i] = i == 5 ? hours : db_col_text(s, i);
    struct wage_error e;
    if (!wage_country_from_fields(f, out, &e)) return false;
    out->line = line;
    return true;
}

/* Reads every row of q into a growing malloc'd array of size-byte elements. */
static db_rc read_all(db *d, query_id q, size_t size, bool (*of_row)(db_stmt *, size_t, void *), void **items,
                      size_t *n)
{
    *items = NULL;
    *n = 0;
    size_t cap = 0;
    db_stmt *s = db_q(d, q);
    if (!s) return DB_ERROR;
    db_rc rc;
    while ((rc = db_step(s)) == DB_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 32;
            void *grown = realloc(*items, cap * size);
            if (!grown) break;
            *items = grown;
        }
        if (!of_row(s, *n + 1, (char *)*items + *n * size)) break;
        (*n)++;
    }
    if (rc != DB_DONE) {
        db_reset(s);
        free(*items);
        *items = NULL;
        *n = 0;
        return rc == DB_ROW ? DB_ERROR : rc;
    }
    return DB_OK;
}

static bool benchmark_row_cb(db_stmt *s, size_t line, void *out) { return benchmark_of_row(s, line, out); }
static bool country_row_cb(db_stmt *s, size_t line, void *out) { return country_of_row(s, line, out); }

db_rc store_wage_tables_read(db *d, struct wage_benchmark **b, size_t *nb, struct wage_country **c, size_t *nc)
{
    db_rc rc = read_all(d, Q_WAGE_BENCHMARKS_ALL, sizeof **b, benchmark_row_cb, (void **)b, nb);
    if (rc != DB_OK) return rc;
    rc = read_all(d, Q_WAGE_COUNTRIES_ALL, sizeof **c, country_row_cb, (void **)c, nc);
    if (rc != DB_OK) {
        free(*b);
        *b = NULL;
        *nb = 0;
    }
    return rc;
}

db_rc store_wage_benchmark_get(db *d, const char *country, const char *region, enum wage_kind kind,
                               struct wage_benchmark *out)
{
    db_stmt *s = db_q(d, Q_WAGE_BENCHMARK_GET);
    if (!s) return DB_ERROR;
    db_bind_text(s, 1, country);
    db_bind_text(s, 2, region);
    db_bind_text(s, 3, wage_kind_name(kind));
    db_rc rc = db_step(s);
    if (rc == DB_ROW && !benchmark_of_row(s, 0, out)) rc = DB_ERROR;
    db_reset(s);
    return rc;
}

db_rc store_wage_country_get(db *d, const char *country, struct wage_country *out)
{
    db_stmt *s = db_q(d, Q_WAGE_COUNTRY_GET);
    if (!s) return DB_ERROR;
    db_bind_text(s, 1, country);
    db_rc rc = db_step(s);
    if (rc == DB_ROW && !country_of_row(s, 0, out)) rc = DB_ERROR;
    db_reset(s);
    return rc;
}

db_rc store_wage_benchmark_put(db *d, const struct wage_benchmark *b, int64_t now)
{
    struct wage_benchmark_text *t = malloc(sizeof *t);
    if (!t) return DB_ERROR;
    store_wage_benchmark_text(b, t);
    struct sql_arg a[] = {{.text = t->f[0]}, {.text = t->f[1]}, {.text = t->f[2]}, {.i = b->amount_micros},
                          {.text = t->f[4]}, {.text = t->f[5]}, {.text = t->f[6]}, {.text = t->f[7]},
                          {.text = t->f[8]}, {.text = t->f[9]}, {.i = now}};
    db_rc rc = store_exec_args(d, Q_WAGE_BENCHMARK_UPSERT, a, 11, NULL);
    free(t);
    return rc;
}

db_rc store_wage_country_put(db *d, const struct wage_country *c, int64_t now)
{
    struct wage_country_text *t = malloc(sizeof *t);
    if (!t) return DB_ERROR;
    store_wage_country_text(c, t);
    struct sql_arg a[] = {{.text = t->f[0]}, {.text = t->f[1]}, {.text = t->f[2]}, {.text = t->f[3]},
                          {.text = t->f[4]}, {.i = c->weekly_hours_micros}, {.text = t->f[6]}, {.i = now}};
    db_rc rc = store_exec_args(d, Q_WAGE_COUNTRY_UPSERT, a, 8, NULL);
    free(t);
    return rc;
}

db_rc store_wage_history_add(db *d, int64_t version, const char *table, const char *key, const char *old_json,
                             const char *new_json, int64_t admin_id, const char *reason, int64_t now)
{
    struct sql_arg a[] = {{.i = version}, {.text = table}, {.text = key}, {.text = old_json, .null = !old_json},
                          {.text = new_json}, {.i = admin_id, .null = admin_id <= 0}, {.text = reason}, {.i = now}};
    return store_exec_args(d, Q_WAGE_HISTORY_ADD, a, 8, NULL);
}
