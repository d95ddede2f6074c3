/* The wage tables in the database: the seed copied in once, rows read back exactly as the CSV parser reads them,
 * the per-process cache (shared while the version holds, reread when another connection bumps it), and the FW-5
 * offer rule. On SQLite, and on PostgreSQL when FAIRLABEL_TEST_PG_URL is set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "api/wage_tables.h"
#include "store/wages.h"
#include "util/embedded.h"

struct fixture {
    db *d;
    char url[512], pg_admin_url[512], pg_db[64];
};

static int setup(void **state, bool pg)
{
    struct fixture *f = calloc(1, sizeof *f);
    char err[512];
    if (!pg) {
        char dir[] = "/tmp/fl-wages-XXXXXX";
        assert_non_null(mkdtemp(dir));
        snprintf(f->url, sizeof f->url, "sqlite:%s/t.db", dir);
    } else {
        const char *base = getenv("FAIRLABEL_TEST_PG_URL");
        static int seq;
        snprintf(f->pg_db, sizeof f->pg_db, "fl_wages_%d_%d", (int)getpid(), ++seq);
        snprintf(f->pg_admin_url, sizeof f->pg_admin_url, "%s", base);
        db *admin;
        assert_int_equal(db_open(base, &admin, err, sizeof err), 0);
        char sql[128];
        snprintf(sql, sizeof sql, "CREATE DATABASE %s", f->pg_db);
        assert_int_equal(db_exec_sql(admin, sql), DB_OK);
        db_close(admin);
        const char *slash = strrchr(base, '/');
        snprintf(f->url, sizeof f->url, "%.*s/%s", (int)(slash - base), base, f->pg_db);
    }
    if (db_open(f->url, &f->d, err, sizeof err)) fail_msg("%s", err);
    if (store_migrate(f->d, err, sizeof err)) fail_msg("%s", err);
    if (wage_seed(f->d, err, sizeof err)) fail_msg("%s", err);
    wage_cache_invalidate(); /* each test has a new database whose versions start again at 1 */
    *state = f;
    return 0;
}
static int setup_sqlite(void **state) { return setup(state, false); }
static int setup_pg(void **state) { return setup(state, true); }

static int teardown(void **state)
{
    struct fixture *f = *state;
    db_close(f->d);
    wage_cache_invalidate();
    if (f->pg_db[0]) {
        db *admin;
        char err[256];
        if (!db_open(f->pg_admin_url, &admin, err, sizeof err)) {
            char sql[160];
            snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", f->pg_db);
            db_exec_sql(admin, sql);
            db_close(admin);
        }
    }
    free(f);
    return 0;
}

static const struct embedded_file *seed(const char *name)
{
    for (const struct embedded_file *e = embedded_seed; e->name; e++)
        if (!strcmp(e->name, name)) return e;
    return NULL;
}

static int64_t history_rows(struct fixture *f)
{
    static const char *const cols[] = {"i:id", NULL};
    json_t *rows = NULL;
    assert_int_equal(db_begin(f->d, false), DB_OK);
    assert_int_equal(store_rows_json(f->d, Q_WAGE_HISTORY_PAGE, (struct sql_arg[]){{.i = 0}, {.i = 500}}, 2, cols, &rows),
                     DB_OK);
    assert_int_equal(db_commit(f->d), DB_OK);
    int64_t n = (int64_t)json_array_size(rows);
    json_decref(rows);
    return n;
}

/* Every stored row reads back equal to the parsed seed CSV, in table order; seeding again changes nothing. */
static void test_seed_round_trip(void **state)
{
    struct fixture *f = *state;
    const struct embedded_file *bf = seed("wage_benchmarks.csv"), *cf = seed("country_basics.csv");
    struct wage_benchmark *b;
    struct wage_country *c;
    size_t nb, nc;
    struct wage_error e;
    assert_true(wage_benchmarks_parse((const char *)bf->data, bf->size, &b, &nb, &e));
    assert_true(wage_countries_parse((const char *)cf->data, cf->size, &c, &nc, &e));
    struct wage_set ws;
    assert_int_equal(wage_set_load(f->d, &ws), DB_OK);
    assert_int_equal(ws.version, 1);
    assert_int_equal(ws.nb, nb);
    assert_int_equal(ws.nc, nc);
    for (size_t i = 0; i < nb; i++) {
        const struct wage_benchmark *x = &b[i], *y = &ws.b[i];
        assert_string_equal(x->country, y->country);
        assert_string_equal(x->region, y->region);
        assert_int_equal(x->kind, y->kind);
        assert_int_equal(x->amount_micros, y->amount_micros);
        assert_string_equal(x->currency, y->currency);
        assert_int_equal(x->unit, y->unit);
        assert_memory_equal(&x->ref_date, &y->ref_date, sizeof x->ref_date);
        assert_string_equal(x->method, y->method);
        assert_int_equal(x->low_confidence, y->low_confidence);
        assert_string_equal(x->source, y->source);
    }
    for (size_t i = 0; i < nc; i++) {
        const struct wage_country *x = &c[i], *y = &ws.c[i];
        assert_string_equal(x->country, y->country);
        assert_string_equal(x->name, y->name);
        assert_string_equal(x->currency, y->currency);
        assert_int_equal(x->usd_per_unit.units, y->usd_per_unit.units); /* "1.0" stays {10, 1} */
        assert_int_equal(x->usd_per_unit.scale, y->usd_per_unit.scale);
        assert_memory_equal(&x->fx_date, &y->fx_date, sizeof x->fx_date);
        assert_int_equal(x->weekly_hours_micros, y->weekly_hours_micros);
        assert_string_equal(x->hours_source, y->hours_source);
    }
    assert_true(wage_tables_check(&ws.t, &e));
    wage_set_free(&ws);
    free(b);
    free(c);

    char err[256];
    assert_int_equal(wage_seed(f->d, err, sizeof err), 0);
    assert_int_equal(history_rows(f), 1);
    assert_int_equal(wage_set_load(f->d, &ws), DB_OK);
    assert_int_equal(ws.version, 1);
    assert_int_equal(ws.nb, nb);
    wage_set_free(&ws);
}

/* Raises KE's minimum to 200,000 KES a month through another connection, as another server would. */
static void edit_elsewhere(struct fixture *f)
{
    db *other;
    char err[256];
    if (db_open(f->url, &other, err, sizeof err)) fail_msg("%s", err);
    struct wage_benchmark row;
    assert_int_equal(db_begin(other, true), DB_OK);
    assert_int_equal(store_wage_benchmark_get(other, "KE", "Nairobi/Mombasa/Kisumu", WAGE_MINIMUM, &row), DB_ROW);
    row.amount_micros = 200000 * MONEY_MICROS;
    assert_int_equal(store_wage_benchmark_put(other, &row, 1), DB_OK);
    int64_t v;
    assert_int_equal(store_wage_version_bump(other, 1, &v), DB_OK);
    assert_int_equal(v, 2);
    assert_int_equal(db_commit(other), DB_OK);
    db_close(other);
}

static int64_t ke_minimum(const struct wage_set *ws)
{
    for (size_t i = 0; i < ws->nb; i++)
        if (!strcmp(ws->b[i].country, "KE") && ws->b[i].kind == WAGE_MINIMUM) return ws->b[i].amount_micros;
    return -1;
}

/* Loads of one version share one copy; a version bumped elsewhere is seen on the next load; a set loaded before
 * stays valid until freed, in any order; loading inside a transaction reads there. */
static void test_cache(void **state)
{
    struct fixture *f = *state;
    struct wage_set a, b, c, d;
    assert_int_equal(wage_set_load(f->d, &a), DB_OK);
    assert_int_equal(wage_set_load(f->d, &b), DB_OK);
    assert_ptr_equal(a.b, b.b);
    assert_ptr_equal(a.c, b.c);
    assert_int_equal(ke_minimum(&a), 16113750000LL);

    edit_elsewhere(f);
    assert_int_equal(wage_set_load(f->d, &c), DB_OK);
    assert_int_equal(c.version, 2);
    assert_ptr_not_equal(c.b, a.b);
    assert_int_equal(ke_minimum(&c), 200000 * MONEY_MICROS);
    assert_int_equal(ke_minimum(&a), 16113750000LL); /* the old copy lives on while held */
    wage_set_free(&a);
    assert_int_equal(ke_minimum(&b), 16113750000LL);
    wage_set_free(&b);

    assert_int_equal(db_begin(f->d, false), DB_OK);
    assert_int_equal(wage_set_load(f->d, &d), DB_OK);
    assert_int_equal(db_commit(f->d), DB_OK);
    assert_ptr_equal(d.b, c.b);
    wage_cache_invalidate(); /* held sets survive an invalidation */
    assert_int_equal(ke_minimum(&d), 200000 * MONEY_MICROS);
    wage_set_free(&c);
    wage_set_free(&d);
    assert_int_equal(wage_set_load(f->d, &a), DB_OK);
    assert_int_equal(a.version, 2);
    wage_set_free(&a);
}

/* FW-5 on the seed: Kenya's floor is the platform's; a country outside the tables gets the platform floor in USD;
 * Poland's legal minimum binds; a currency without a rate is offered to nobody. */
static void test_offer(void **state)
{
    struct fixture *f = *state;
    struct wage_set ws;
    assert_int_equal(wage_set_load(f->d, &ws), DB_OK);
    struct wage_date day = {2026, 11, 29};
    struct wage_offer o;
    assert_int_equal(wage_offer_of(&ws.t, "KE", 50000, "USD", 30, 0, 2000000, day, &o), WAGE_OK);
    assert_true(o.offered && o.rate_known && o.country_known);
    assert_string_equal(o.currency, "KES");
    assert_int_equal(o.rate_micros_per_hour, 774193548);
    assert_int_equal(o.floor_micros_per_hour, 258064517);
    assert_int_equal(o.min_reward_micros, 16667);
    assert_string_equal(o.reason, "");

    assert_int_equal(wage_offer_of(&ws.t, "DE", 16666, "USD", 30, 0, 2000000, day, &o), WAGE_OK);
    assert_false(o.offered);
    assert_false(o.country_known);
    assert_string_equal(o.currency, "USD");
    assert_int_equal(o.floor_micros_per_hour, 2000000);
    assert_int_equal(o.rate_micros_per_hour, 1999920);
    assert_non_null(strstr(o.reason, "below your floor of 2 USD an hour (the platform floor"));
    assert_int_equal(wage_offer_of(&ws.t, "DE", 16667, "USD", 30, 0, 2000000, day, &o), WAGE_OK);
    assert_true(o.offered);
    /* a 5% worker fee: the least gross whose net meets 16,667 */
    assert_int_equal(wage_offer_of(&ws.t, "DE", 17543, "USD", 30, 500, 2000000, day, &o), WAGE_OK);
    assert_false(o.offered);
    assert_int_equal(o.min_reward_micros, 17544);

    assert_int_equal(wage_offer_of(&ws.t, "PL", 50000, "USD", 30, 0, 2000000, day, &o), WAGE_OK);
    assert_false(o.offered);
    assert_int_equal(o.floor_micros_per_hour, 26919231);
    assert_non_null(strstr(o.reason, "legal minimum wage of your country"));

    assert_int_equal(wage_offer_of(&ws.t, "KE", 50000000, "EUR", 30, 0, 2000000, day, &o), WAGE_OK);
    assert_false(o.offered);
    assert_false(o.rate_known);
    assert_non_null(strstr(o.reason, "no USD rate for EUR"));
    wage_set_free(&ws);
}

#define TESTS(setup_fn) \
    cmocka_unit_test_setup_teardown(test_seed_round_trip, setup_fn, teardown), \
    cmocka_unit_test_setup_teardown(test_cache, setup_fn, teardown), \
    cmocka_unit_test_setup_teardown(test_offer, setup_fn, teardown)

int main(void)
{
    const struct CMUnitTest sqlite_tests[] = {TESTS(setup_sqlite)};
    const struct CMUnitTest pg_tests[] = {TESTS(setup_pg)};
    int failed = cmocka_run_group_tests_name("wage tables on SQLite", sqlite_tests, NULL, NULL);
    const char *pg = getenv("FAIRLABEL_TEST_PG_URL");
    if (pg && *pg)
        failed += cmocka_run_group_tests_name("wage tables on PostgreSQL", pg_tests, NULL, NULL);
    else
        printf("FAIRLABEL_TEST_PG_URL is not set: the PostgreSQL half did not run (make test sets it)\n");
    return failed ? 1 : 0;
}
