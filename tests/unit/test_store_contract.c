/* Store contract: the lease rules, checked on SQLite and (when FAIRLABEL_TEST_PG_URL is set) on
 * PostgreSQL through the same store functions the server uses. Time is passed in, so expiry is
 * tested without sleeping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"
#include "util/tokens.h"

struct fixture {
    db *d;
    arena *a;
    char url[512];
    char pg_admin_url[512]; /* set for PostgreSQL: where the scratch database is dropped from */
    char pg_db[64];
    int64_t requester, workers[4];
};

static const int64_t T0 = 1700000000000LL;

static void begin(struct fixture *f) { assert_int_equal(db_begin(f->d, true), DB_OK); }
static void commit(struct fixture *f) { assert_int_equal(db_commit(f->d), DB_OK); }

static int64_t add_user(struct fixture *f, const char *email, const char *role)
{
    struct user u = {.email = email, .display_name = email, .role = role, .country = "KE", .created_at = T0};
    int64_t id = 0;
    begin(f);
    assert_int_equal(store_user_insert(f->d, &u, "x", &id), DB_OK);
    commit(f);
    return id;
}

/* A published project with n tasks of the given overlap and a 60 s lease. */
static int64_t add_project(struct fixture *f, int n, int64_t overlap)
{
    struct project p = {.owner_id = f->requester, .name = "p", .instructions = "", .kind = "text_classification",
                        .schema_json = "{\"labels\":[\"a\",\"b\"]}", .reward_micros = 1000, .currency = "USD",
                        .estimated_seconds = 10, .overlap = overlap, .lease_seconds = 60};
    int64_t id = 0;
    begin(f);
    assert_int_equal(store_project_insert(f->d, &p, T0, &id), DB_OK);
    struct task_row row = {.project_id = id, .overlap = overlap, .data_json = "{\"text\":\"t\"}"};
    for (int i = 0; i < n; i++) assert_int_equal(store_task_insert(f->d, &row, T0, NULL), DB_OK);
    assert_int_equal(store_project_add_tasks(f->d, id, n, T0), DB_OK);
    assert_int_equal(store_project_set_status(f->d, id, "published", T0), DB_OK);
    commit(f);
    return id;
}

/* Claims as worker at time now with lease hash h; returns the assignment id or 0 when none. */
static int64_t claim(struct fixture *f, int64_t project, int64_t worker, const char *h, int64_t now, int64_t *task)
{
    struct claim c;
    begin(f);
    assert_int_equal(store_lease_expire(f->d, project, now), DB_OK);
    db_rc rc = store_lease_claim(f->d, f->a, project, worker, h, now, now + 60000, 0, 0, &c);
    commit(f);
    assert_true(rc == DB_ROW || rc == DB_DONE);
    if (rc == DB_DONE) return 0;
    if (task) *task = c.task_id;
    return c.assignment_id;
}

static db_rc submit(struct fixture *f, int64_t assignment, const char *h, int64_t now)
{
    struct assignment as;
    begin(f);
    assert_int_equal(store_assignment_get(f->d, f->a, assignment, &as), DB_ROW);
    db_rc rc = store_assignment_submit(f->d, &as, h, "{\"label\":\"a\"}", "key", now);
    commit(f);
    return rc;
}

static db_rc release_lease(struct fixture *f, int64_t assignment, const char *h, int64_t now)
{
    struct assignment as;
    begin(f);
    assert_int_equal(store_assignment_get(f->d, f->a, assignment, &as), DB_ROW);
    db_rc rc = store_assignment_release(f->d, &as, h, now);
    commit(f);
    return rc;
}

static struct project get_project(struct fixture *f, int64_t id)
{
    struct project p;
    begin(f);
    assert_int_equal(store_project_get(f->d, f->a, id, false, &p), DB_ROW);
    commit(f);
    return p;
}

static void test_overlap_respected(void **state)
{
    struct fixture *f = *state;
    int64_t p = add_project(f, 1, 2);
    assert_true(claim(f, p, f->workers[0], "h0", T0, NULL) > 0);
    assert_true(claim(f, p, f->workers[1], "h1", T0, NULL) > 0);
    assert_int_equal(claim(f, p, f->workers[2], "h2", T0, NULL), 0); /* both slots are leased */
}

static void test_no_worker_gets_a_task_twice(void **state)
{
    struct fixture *f = *state;
    int64_t p = add_project(f, 2, 3);
    int64_t t1 = 0, t2 = 0;
    int64_t a1 = claim(f, p, f->workers[0], "h0", T0, &t1);
    assert_int_equal(submit(f, a1, "h0", T0 + 1), DB_OK);
    int64_t a2 = claim(f, p, f->workers[0], "h1", T0 + 2, &t2);
    assert_true(a2 > 0);
    assert_int_not_equal(t1, t2);
    assert_int_equal(release_lease(f, a2, "h1", T0 + 3), DB_OK);
    /* Released and submitted tasks both count as seen: nothing is left for this worker. */
    assert_int_equal(claim(f, p, f->workers[0], "h2", T0 + 4, NULL), 0);
    assert_true(claim(f, p, f->workers[1], "h3", T0 + 4, NULL) > 0);
}

static void test_expiry_returns_the_slot(void **state)
{
    struct fixture *f = *state;
    int64_t p = add_project(f, 1, 1);
    int64_t a = claim(f, p, f->workers[0], "h0", T0, NULL);
    assert_true(a > 0);
    assert_int_equal(claim(f, p, f->workers[1], "h1", T0 + 59999, NULL), 0);
    int64_t b = claim(f, p, f->workers[1], "h1", T0 + 60000, NULL);
    assert_true(b > 0);
    /* The first lease is gone: its submit is refused and writes nothing. */
    assert_int_equal(submit(f, a, "h0", T0 + 60001), DB_DONE);
    assert_int_equal(get_project(f, p).answer_count, 0);
    assert_int_equal(submit(f, b, "h1", T0 + 60002), DB_OK);
    assert_int_equal(get_project(f, p).answer_count, 1);
}

static void test_stale_tokens_refused(void **state)
{
    struct fixture *f = *state;
    int64_t p = add_project(f, 1, 2);
    int64_t a = claim(f, p, f->workers[0], "right", T0, NULL);
    assert_int_equal(submit(f, a, "wrong", T0 + 1), DB_DONE);     /* wrong token */
    assert_int_equal(submit(f, a, "right", T0 + 60000), DB_DONE); /* expired, not yet swept */
    assert_int_equal(release_lease(f, a, "right", T0 + 60000), DB_DONE);
    struct project pr = get_project(f, p);
    assert_int_equal(pr.answer_count, 0);
    assert_int_equal(pr.tasks_started, 0);
    int64_t b = claim(f, p, f->workers[1], "other", T0 + 10, NULL);
    assert_int_equal(release_lease(f, b, "other", T0 + 11), DB_OK);
    assert_int_equal(submit(f, b, "other", T0 + 12), DB_DONE); /* released */
}

static void test_submit_writes_once(void **state)
{
    struct fixture *f = *state;
    int64_t p = add_project(f, 1, 1);
    int64_t a = claim(f, p, f->workers[0], "h", T0, NULL);
    assert_int_equal(submit(f, a, "h", T0 + 1), DB_OK);
    assert_int_equal(submit(f, a, "h", T0 + 2), DB_DONE); /* the retry finds it submitted */
    struct project pr = get_project(f, p);
    assert_int_equal(pr.answer_count, 1);
    assert_int_equal(pr.tasks_started, 1);
    assert_int_equal(pr.tasks_complete, 1);
    struct assignment as;
    begin(f);
    assert_int_equal(store_assignment_get(f->d, f->a, a, &as), DB_ROW);
    commit(f);
    assert_string_equal(as.state, "submitted");
    assert_string_equal(as.idempotency_key, "key");
    /* The task is complete: nobody else can claim it. */
    assert_int_equal(claim(f, p, f->workers[1], "h2", T0 + 3, NULL), 0);
}

static void test_export_pages(void **state)
{
    struct fixture *f = *state;
    int64_t p = add_project(f, 5, 2);
    int64_t a = claim(f, p, f->workers[0], "h", T0, NULL);
    assert_int_equal(submit(f, a, "h", T0 + 1), DB_OK);
    struct export_task *tasks;
    struct export_answer *answers;
    int nt, na;
    begin(f);
    assert_int_equal(store_export_tasks(f->d, f->a, p, 0, 3, &tasks, &nt), DB_DONE);
    assert_int_equal(nt, 3);
    assert_int_equal(store_export_answers(f->d, f->a, p, tasks[0].id, tasks[2].id, &answers, &na), DB_DONE);
    commit(f);
    assert_int_equal(na, 1);
    assert_string_equal(answers[0].answer_json, "{\"label\":\"a\"}");
    begin(f);
    assert_int_equal(store_export_tasks(f->d, f->a, p, tasks[2].id, 3, &tasks, &nt), DB_DONE);
    commit(f);
    assert_int_equal(nt, 2);
}

/* Each test gets a fresh database. */
static int setup(void **state, const char *kind)
{
    struct fixture *f = calloc(1, sizeof *f);
    char err[512];
    if (!strcmp(kind, "sqlite")) {
        char dir[] = "/tmp/fl-contract-XXXXXX";
        assert_non_null(mkdtemp(dir));
        snprintf(f->url, sizeof f->url, "sqlite:%s/t.db", dir);
    } else {
        const char *base = getenv("FAIRLABEL_TEST_PG_URL");
        static int seq;
        snprintf(f->pg_db, sizeof f->pg_db, "fl_contract_%d_%d", (int)getpid(), ++seq);
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
    f->a = arena_new(0);
    f->requester = add_user(f, "req@example.org", "requester");
    for (int i = 0; i < 4; i++) {
        char email[32];
        snprintf(email, sizeof email, "w%d@example.org", i);
        f->workers[i] = add_user(f, email, "worker");
    }
    *state = f;
    return 0;
}

/* ---- the ledger ---- */

static db_rc post(struct fixture *f, const char *key, const struct ledger_leg *legs, int n, bool *replayed)
{
    struct ledger_post p = {.key = key, .cause = "test", .cause_id = 1, .currency = "USD", .legs = legs, .n_legs = n};
    int64_t tx;
    begin(f);
    db_rc rc = store_ledger_post(f->d, &p, T0, &tx, replayed);
    if (rc == DB_OK) commit(f);
    else db_rollback(f->d);
    return rc;
}

static int64_t balance(struct fixture *f, const char *kind, int64_t owner)
{
    int64_t b;
    begin(f);
    assert_int_equal(store_ledger_balance(f->d, kind, owner, "USD", &b), DB_OK);
    commit(f);
    return b;
}

static void test_ledger(void **state)
{
    struct fixture *f = *state;
    bool replayed;
    struct ledger_leg deposit[] = {{"external", 0, -1000}, {"escrow", f->requester, 1000}};
    assert_int_equal(post(f, "deposit:1", deposit, 2, &replayed), DB_OK);
    assert_false(replayed);
    assert_int_equal(balance(f, "escrow", f->requester), 1000);
    assert_int_equal(balance(f, "external", 0), -1000); /* only external may go below zero */
    /* the same key again writes nothing */
    assert_int_equal(post(f, "deposit:1", deposit, 2, &replayed), DB_OK);
    assert_true(replayed);
    assert_int_equal(balance(f, "escrow", f->requester), 1000);
    /* an unbalanced transaction is refused, and so is one that would overdraw escrow; nothing is kept */
    struct ledger_leg unbalanced[] = {{"escrow", f->requester, -10}, {"pending", f->workers[0], 11}};
    assert_int_equal(post(f, "bad:1", unbalanced, 2, &replayed), DB_ERROR);
    struct ledger_leg overdraw[] = {{"escrow", f->requester, -1001}, {"pending", f->workers[0], 1001}};
    assert_int_equal(post(f, "bad:2", overdraw, 2, &replayed), DB_CONSTRAINT);
    assert_int_equal(balance(f, "escrow", f->requester), 1000);
    assert_int_equal(balance(f, "pending", f->workers[0]), 0);
    /* a three-leg submit */
    struct ledger_leg submit[] = {{"escrow", f->requester, -110}, {"pending", f->workers[0], 100}, {"fees", 0, 10}};
    assert_int_equal(post(f, "submission:7", submit, 3, &replayed), DB_OK);
    assert_int_equal(balance(f, "escrow", f->requester), 890);
    assert_int_equal(balance(f, "pending", f->workers[0]), 100);
    assert_int_equal(balance(f, "fees", 0), 10);
}

static int setup_sqlite(void **state) { return setup(state, "sqlite"); }
static int setup_pg(void **state) { return setup(state, "pg"); }

static int teardown(void **state)
{
    struct fixture *f = *state;
    db_close(f->d);
    arena_free(f->a);
    if (f->pg_db[0]) {
        db *admin;
        char err[256], sql[128];
        if (!db_open(f->pg_admin_url, &admin, err, sizeof err)) {
            snprintf(sql, sizeof sql, "DROP DATABASE %s", f->pg_db);
            db_exec_sql(admin, sql);
            db_close(admin);
        }
    }
    free(f);
    return 0;
}

#define CONTRACT(setup_fn) \
    cmocka_unit_test_setup_teardown(test_overlap_respected, setup_fn, teardown), \
    cmocka_unit_test_setup_teardown(test_no_worker_gets_a_task_twice, setup_fn, teardown), \
    cmocka_unit_test_setup_teardown(test_expiry_returns_the_slot, setup_fn, teardown), \
    cmocka_unit_test_setup_teardown(test_stale_tokens_refused, setup_fn, teardown), \
    cmocka_unit_test_setup_teardown(test_submit_writes_once, setup_fn, teardown), \
    cmocka_unit_test_setup_teardown(test_export_pages, setup_fn, teardown), \
    cmocka_unit_test_setup_teardown(test_ledger, setup_fn, teardown)

int main(void)
{
    tokens_init(2);
    const struct CMUnitTest sqlite_tests[] = {CONTRACT(setup_sqlite)};
    const struct CMUnitTest pg_tests[] = {CONTRACT(setup_pg)};
    int failed = cmocka_run_group_tests_name("store contract on SQLite", sqlite_tests, NULL, NULL);
    const char *pg = getenv("FAIRLABEL_TEST_PG_URL");
    if (pg && *pg)
        failed += cmocka_run_group_tests_name("store contract on PostgreSQL", pg_tests, NULL, NULL);
    else
        printf("FAIRLABEL_TEST_PG_URL is not set: the PostgreSQL half did not run (make test sets it)\n");
    return failed ? 1 : 0;
}
