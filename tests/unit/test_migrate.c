/* Unit tests for the schema migrations (store/store.h, store/db.h): on a fresh SQLite file, and on a
 * scratch PostgreSQL database when FAIRLABEL_TEST_PG_URL is set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/audit_chain.h"
#include "store/db.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/embedded.h"

static const char *const tables[] = {"users",    "sessions",    "api_keys",     "login_throttle", "projects",
                                     "tasks",    "assignments", "audit_log",    "audit_head",     "schema_version"};

static const int64_t T0 = 1700000000000LL;

/* ---- expectations from the embedded migration files ---- */

static bool for_dialect(const char *name, db_kind k)
{
    if (strstr(name, ".sqlite.sql")) return k == DB_SQLITE;
    if (strstr(name, ".pg.sql")) return k == DB_PG;
    return true;
}

static int64_t highest_migration(void)
{
    int64_t max = 0;
    for (const struct embedded_file *f = embedded_migrations; f->name; f++) {
        int64_t v = atoll(f->name);
        if (v > max) max = v;
    }
    return max;
}

/* How many distinct versions apply to this dialect (one schema_version row each). */
static int64_t versions_for(db_kind k)
{
    int64_t seen[256];
    int n = 0;
    for (const struct embedded_file *f = embedded_migrations; f->name; f++) {
        if (!for_dialect(f->name, k)) continue;
        int64_t v = atoll(f->name);
        bool dup = false;
        for (int i = 0; i < n; i++) dup |= seen[i] == v;
        if (!dup && n < 256) seen[n++] = v;
    }
    return n;
}

/* ---- SQL helpers that need no result reading ---- */

/* True when `SELECT COUNT(*) FROM <from>` is n: a CHECK constraint on a temporary table does the
 * comparison, so this works through db_exec_sql on both backends. */
static bool count_is(db *d, const char *from, int64_t n)
{
    char sql[512];
    db_exec_sql(d, "DROP TABLE IF EXISTS fl_unit_check");
    snprintf(sql, sizeof sql, "CREATE TEMPORARY TABLE fl_unit_check (n BIGINT CHECK (n = %lld))", (long long)n);
    assert_int_equal(db_exec_sql(d, sql), DB_OK);
    snprintf(sql, sizeof sql, "INSERT INTO fl_unit_check SELECT COUNT(*) FROM %s", from);
    db_rc rc = db_exec_sql(d, sql);
    assert_int_equal(db_exec_sql(d, "DROP TABLE fl_unit_check"), DB_OK);
    return rc == DB_OK;
}

/* ---- audit rows through the store ---- */

struct append_ctx {
    int64_t now, actor;
    const char *action, *target, *detail;
};

static tx_rc append_fn(db *d, void *vctx)
{
    struct append_ctx *c = vctx;
    TX_CHECK(store_audit_append(d, c->now, c->actor, c->action, c->target, c->detail));
    return TX_COMMIT;
}

struct page_ctx {
    arena *a;
    struct audit_entry *items;
    int n;
};

static tx_rc page_fn(db *d, void *vctx)
{
    struct page_ctx *c = vctx;
    TX_CHECK(store_audit_page(d, c->a, 0, 10, &c->items, &c->n));
    return TX_COMMIT;
}

/* ---- the checks, run on each backend ---- */

static void migration_checks(db *d)
{
    char err[512] = "";
    db_kind k = db_kind_of(d);
    int64_t want = highest_migration();
    assert_true(want >= 2);

    /* fresh database: no tables yet */
    assert_int_not_equal(db_exec_sql(d, "SELECT COUNT(*) FROM users"), DB_OK);

    if (store_migrate(d, err, sizeof err)) fail_msg("store_migrate: %s", err);
    int64_t v = -1;
    assert_int_equal(store_schema_version(d, &v), 0);
    assert_int_equal(v, want);
    assert_true(count_is(d, "schema_version", versions_for(k)));
    assert_false(count_is(d, "schema_version", versions_for(k) + 1)); /* the helper can fail */

    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s", tables[i]);
        if (db_exec_sql(d, sql) != DB_OK) fail_msg("table %s: %s", tables[i], db_errmsg(d));
    }
    assert_int_not_equal(db_exec_sql(d, "SELECT COUNT(*) FROM no_such_table"), DB_OK);
    assert_true(count_is(d, "users", 0));
    assert_true(count_is(d, "audit_log", 0));
    assert_true(count_is(d, "audit_head", 1));

    /* a second run applies nothing and succeeds */
    err[0] = '\0';
    if (store_migrate(d, err, sizeof err)) fail_msg("second store_migrate: %s", err);
    v = -1;
    assert_int_equal(store_schema_version(d, &v), 0);
    assert_int_equal(v, want);
    assert_true(count_is(d, "schema_version", versions_for(k)));

    /* the audit log takes appends through the store ... */
    struct append_ctx ac = {T0, 0, "unit.test", "migrate", "{\"n\":1}"};
    assert_int_equal(store_run(d, true, append_fn, &ac), STORE_OK);
    assert_true(count_is(d, "audit_log", 1));

    /* ... but refuses to change them */
    assert_int_not_equal(db_exec_sql(d, "UPDATE audit_log SET action='x'"), DB_OK);
    if (!strstr(db_errmsg(d), "append-only")) fail_msg("unexpected UPDATE error: %s", db_errmsg(d));
    assert_int_not_equal(db_exec_sql(d, "UPDATE audit_log SET detail='{}' WHERE id = 1"), DB_OK);
    assert_int_not_equal(db_exec_sql(d, "DELETE FROM audit_log"), DB_OK);
    if (!strstr(db_errmsg(d), "append-only")) fail_msg("unexpected DELETE error: %s", db_errmsg(d));
    assert_true(count_is(d, "audit_log", 1));
    assert_true(count_is(d, "audit_log WHERE action = 'unit.test'", 1));

    /* a second entry links to the first */
    struct append_ctx ac2 = {T0 + 5, 0, "unit.again", "migrate", ""};
    assert_int_equal(store_run(d, true, append_fn, &ac2), STORE_OK);
    struct page_ctx pc = {arena_new(0), NULL, 0};
    assert_int_equal(store_run(d, false, page_fn, &pc), STORE_OK);
    assert_int_equal(pc.n, 2);
    char h[AUDIT_HASH_HEX];
    audit_chain_hash(AUDIT_GENESIS, 1, T0, 0, "unit.test", "migrate", "{\"n\":1}", h);
    assert_int_equal(pc.items[0].id, 1);
    assert_int_equal(pc.items[0].actor_id, 0);
    assert_string_equal(pc.items[0].prev_hash, AUDIT_GENESIS);
    assert_string_equal(pc.items[0].hash, h);
    assert_int_equal(pc.items[1].id, 2);
    assert_string_equal(pc.items[1].prev_hash, h);
    audit_chain_hash(h, 2, T0 + 5, 0, "unit.again", "migrate", "", h);
    assert_string_equal(pc.items[1].hash, h);
    arena_free(pc.a);

    /* migrating again after data exists is still a no-op */
    err[0] = '\0';
    if (store_migrate(d, err, sizeof err)) fail_msg("third store_migrate: %s", err);
    assert_true(count_is(d, "audit_log", 2));
}

/* ---- SQLite ---- */

struct sqlite_fixture {
    char dir[64];
    char sub[128];
    char path[192];
    db *d;
};

static int sqlite_setup(void **state)
{
    struct sqlite_fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/fl_unit_migrate_XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    /* the database sits in a folder db_open has to create */
    snprintf(f->sub, sizeof f->sub, "%s/data", f->dir);
    snprintf(f->path, sizeof f->path, "%s/fairlabel.db", f->sub);
    *state = f;
    return 0;
}

static int sqlite_teardown(void **state)
{
    struct sqlite_fixture *f = *state;
    db_close(f->d);
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        char p[256];
        snprintf(p, sizeof p, "%s%s", f->path, suffixes[i]);
        unlink(p);
    }
    rmdir(f->sub);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void test_sqlite(void **state)
{
    struct sqlite_fixture *f = *state;
    char url[256], err[512] = "";
    snprintf(url, sizeof url, "sqlite:%s", f->path);
    if (db_open(url, &f->d, err, sizeof err)) fail_msg("db_open %s: %s", url, err);
    assert_int_equal(db_kind_of(f->d), DB_SQLITE);
    assert_int_equal(access(f->path, F_OK), 0);
    migration_checks(f->d);

    /* the schema survives reopening */
    db_close(f->d);
    f->d = NULL;
    if (db_open(url, &f->d, err, sizeof err)) fail_msg("reopen %s: %s", url, err);
    int64_t v = -1;
    assert_int_equal(store_schema_version(f->d, &v), 0);
    assert_int_equal(v, highest_migration());
    assert_true(count_is(f->d, "audit_log", 2));
    if (store_migrate(f->d, err, sizeof err)) fail_msg("store_migrate after reopen: %s", err);
}

static void test_bad_urls(void **state)
{
    (void)state;
    db *d = NULL;
    char err[256] = "";
    assert_int_equal(db_open("mysql://localhost/x", &d, err, sizeof err), -1);
    assert_true(err[0] != '\0');
    err[0] = '\0';
    assert_int_equal(db_open("sqlite:/proc/fl_unit_no/such/dir/x.db", &d, err, sizeof err), -1);
    assert_true(err[0] != '\0');
}

/* ---- PostgreSQL (optional) ---- */

struct pg_fixture {
    const char *admin_url;
    db *admin, *d;
    char name[64];
    char url[1024];
    bool created;
};

/* url with its database name (the path) replaced by name; query parameters are kept. */
static bool url_with_db(const char *url, const char *name, char *out, size_t outlen)
{
    const char *scheme = strstr(url, "://");
    if (!scheme) return false;
    const char *auth = scheme + 3;
    const char *query = strchr(auth, '?');
    const char *slash = strchr(auth, '/');
    if (slash && query && slash > query) slash = NULL;
    const char *end_of_host = slash ? slash : query ? query : auth + strlen(auth);
    int n = snprintf(out, outlen, "%.*s/%s%s", (int)(end_of_host - url), url, name, query ? query : "");
    return n > 0 && (size_t)n < outlen;
}

static void test_url_with_db(void **state)
{
    (void)state;
    char out[256];
    assert_true(url_with_db("postgres://u:p@h:5432/postgres", "x", out, sizeof out));
    assert_string_equal(out, "postgres://u:p@h:5432/x");
    assert_true(url_with_db("postgresql://h/db?sslmode=disable", "x", out, sizeof out));
    assert_string_equal(out, "postgresql://h/x?sslmode=disable");
    assert_true(url_with_db("postgres://h", "x", out, sizeof out));
    assert_string_equal(out, "postgres://h/x");
    assert_true(url_with_db("postgres://h?host=/tmp", "x", out, sizeof out));
    assert_string_equal(out, "postgres://h/x?host=/tmp");
    assert_true(url_with_db("postgres:///db?host=/run/pg", "x", out, sizeof out));
    assert_string_equal(out, "postgres:///x?host=/run/pg");
}

static int pg_setup(void **state)
{
    struct pg_fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    f->admin_url = getenv("FAIRLABEL_TEST_PG_URL");
    snprintf(f->name, sizeof f->name, "fl_unit_%ld", (long)getpid());
    *state = f;
    return 0;
}

static int pg_teardown(void **state)
{
    struct pg_fixture *f = *state;
    db_close(f->d);
    if (f->admin && f->created) {
        char sql[128];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", f->name);
        if (db_exec_sql(f->admin, sql) != DB_OK)
            fprintf(stderr, "test_migrate: could not drop %s: %s\n", f->name, db_errmsg(f->admin));
    }
    db_close(f->admin);
    free(f);
    return 0;
}

static void test_postgres(void **state)
{
    struct pg_fixture *f = *state;
    if (!f->admin_url || !*f->admin_url) {
        printf("note: FAIRLABEL_TEST_PG_URL is not set; the PostgreSQL migration checks are skipped "
               "(only SQLite ran)\n");
        skip();
    }
    char err[512] = "", sql[128];
    if (db_open(f->admin_url, &f->admin, err, sizeof err)) fail_msg("connect FAIRLABEL_TEST_PG_URL: %s", err);
    assert_int_equal(db_kind_of(f->admin), DB_PG);
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", f->name);
    assert_int_equal(db_exec_sql(f->admin, sql), DB_OK);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", f->name);
    if (db_exec_sql(f->admin, sql) != DB_OK) fail_msg("%s: %s", sql, db_errmsg(f->admin));
    f->created = true;

    assert_true(url_with_db(f->admin_url, f->name, f->url, sizeof f->url));
    if (db_open(f->url, &f->d, err, sizeof err)) fail_msg("connect to %s: %s", f->name, err);
    assert_int_equal(db_kind_of(f->d), DB_PG);
    migration_checks(f->d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_with_db),
        cmocka_unit_test(test_bad_urls),
        cmocka_unit_test_setup_teardown(test_sqlite, sqlite_setup, sqlite_teardown),
        cmocka_unit_test_setup_teardown(test_postgres, pg_setup, pg_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
