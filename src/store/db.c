/* Dispatch from the neutral db API to the SQLite or PostgreSQL backend (see db.h). */
#include "store/db_impl.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct { const char *sqlite, *pg; } query_sql[Q__COUNT] = {
#define Q(name, sql) [Q_##name] = {sql, sql},
#define QV(name, sqlite_sql, pg_sql) [Q_##name] = {sqlite_sql, pg_sql},
#include "store/queries.def"
#undef Q
#undef QV
};

const char *db_query_sql(db_kind kind, query_id q)
{
    return kind == DB_PG ? query_sql[q].pg : query_sql[q].sqlite;
}

/* Statements that write what a session lookup returns: running one empties the session cache when its
 * transaction ends. Decided from the SQL once per statement (0 unknown, 1 no, 2 yes). */
static _Atomic unsigned char writes_auth[Q__COUNT];

static bool query_writes_auth(query_id q)
{
    unsigned char v = writes_auth[q];
    if (!v) {
        static const char *const writes[] = {"UPDATE users", "DELETE FROM users", "UPDATE sessions",
                                             "DELETE FROM sessions"};
        v = 1;
        for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++)
            if (strcasestr(query_sql[q].sqlite, writes[i]) || strcasestr(query_sql[q].pg, writes[i])) v = 2;
        writes_auth[q] = v;
    }
    return v == 2;
}

static void tx_end_auth(db *d)
{
    if (d->wrote_auth) store_auth_epoch_bump();
    d->wrote_auth = false;
}

int db_open(const char *url, db **out, char *err, size_t errlen)
{
    db *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc;
    if (strncmp(url, "sqlite:", 7) == 0) {
        d->kind = DB_SQLITE;
        rc = dbs_open(d, url + 7);
    } else if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0) {
        d->kind = DB_PG;
        rc = dbp_open(d, url);
    } else {
        snprintf(err, errlen, "unsupported database URL (use sqlite:PATH or postgres://…)");
        free(d);
        return -1;
    }
    if (rc) {
        snprintf(err, errlen, "%s", d->err);
        db_close(d);
        return -1;
    }
    *out = d;
    return 0;
}

void db_close(db *d)
{
    if (!d) return;
    for (int i = 0; i < Q__COUNT; i++)
        if (d->stmts[i]) d->kind == DB_PG ? dbp_finalize(d->stmts[i]) : dbs_finalize(d->stmts[i]);
    if (d->conn) d->kind == DB_PG ? dbp_close(d) : dbs_close(d);
    free(d);
}

db_kind db_kind_of(const db *d) { return d->kind; }
const char *db_errmsg(db *d) { return d->err; }
bool db_in_tx(const db *d) { return d->in_tx; }

db_rc db_exec_sql(db *d, const char *sql)
{
    return d->kind == DB_PG ? dbp_exec(d, sql) : dbs_exec(d, sql);
}

/* One writer at a time per process on SQLite, queued on a mutex: SQLite's own busy handler polls
 * with sleeps of up to 100 ms, which put multi-second tails on contended writes. Other processes
 * sharing the file still meet busy_timeout. */
static pthread_mutex_t sqlite_writer = PTHREAD_MUTEX_INITIALIZER;

void db_writer_lock(void) { pthread_mutex_lock(&sqlite_writer); }
void db_writer_unlock(void) { pthread_mutex_unlock(&sqlite_writer); }

static void writer_release(db *d)
{
    if (d->holds_writer) {
        d->holds_writer = false;
        pthread_mutex_unlock(&sqlite_writer);
    }
}

const char *db_ctl_sql(db_kind kind, enum db_ctl c)
{
    static const char *const sql[DB_CTL__COUNT] = {
        [DB_CTL_BEGIN] = "BEGIN", [DB_CTL_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE", [DB_CTL_COMMIT] = "COMMIT",
        [DB_CTL_ROLLBACK] = "ROLLBACK", [DB_CTL_SAVEPOINT] = "SAVEPOINT gc", [DB_CTL_RELEASE] = "RELEASE gc",
        [DB_CTL_ROLLBACK_TO] = "ROLLBACK TO gc"};
    return kind == DB_PG && c == DB_CTL_BEGIN_IMMEDIATE ? "BEGIN" : sql[c];
}

/* Transaction control: prepared statements on SQLite, plain SQL on PostgreSQL (one round trip either way). */
static db_rc ctl(db *d, enum db_ctl c)
{
    return d->kind == DB_SQLITE ? dbs_ctl(d, c) : dbp_exec(d, db_ctl_sql(DB_PG, c));
}

db_rc db_begin(db *d, bool write)
{
    /* After a PostgreSQL restart the connection is re-made and statements prepared again. */
    if (d->kind == DB_PG && dbp_reconnect_if_broken(d)) {
        for (int i = 0; i < Q__COUNT; i++)
            if (d->stmts[i]) {
                dbp_finalize(d->stmts[i]);
                d->stmts[i] = NULL;
            }
    }
    /* SQLite: take the write lock up front so a transaction never fails to upgrade midway. */
    if (d->kind == DB_SQLITE && write) {
        pthread_mutex_lock(&sqlite_writer);
        d->holds_writer = true;
    }
    db_rc rc = ctl(d, write ? DB_CTL_BEGIN_IMMEDIATE : DB_CTL_BEGIN);
    if (rc == DB_OK)
        d->in_tx = true;
    else
        writer_release(d);
    return rc;
}

static void reset_all(db *d)
{
    if (d->kind == DB_SQLITE) { /* only the few mid-result ones, not every cached statement */
        dbs_reset_busy(d);
        return;
    }
    for (int i = 0; i < Q__COUNT; i++)
        if (d->stmts[i]) db_reset(d->stmts[i]);
}

/* SQLite refuses to commit while a statement is mid-result, so every cached statement is reset. */
db_rc db_commit(db *d)
{
    reset_all(d);
    db_rc rc = ctl(d, DB_CTL_COMMIT);
    if (rc == DB_OK) {
        d->in_tx = false;
        writer_release(d);
        tx_end_auth(d);
    }
    return rc;
}

void db_rollback(db *d)
{
    reset_all(d);
    ctl(d, DB_CTL_ROLLBACK);
    d->in_tx = false;
    writer_release(d);
    tx_end_auth(d);
}

db_rc db_savepoint(db *d) { return ctl(d, DB_CTL_SAVEPOINT); }
/* SQLite refuses to release a savepoint while a statement is mid-result, as it refuses COMMIT. */
db_rc db_savepoint_release(db *d)
{
    reset_all(d);
    return ctl(d, DB_CTL_RELEASE);
}

db_rc db_savepoint_rollback(db *d)
{
    reset_all(d);
    db_rc rc = ctl(d, DB_CTL_ROLLBACK_TO);
    return rc == DB_OK ? ctl(d, DB_CTL_RELEASE) : rc;
}

bool db_tx_alive(db *d) { return d->kind == DB_PG ? d->in_tx : dbs_in_tx(d); }

db_stmt *db_q(db *d, query_id q)
{
    if (query_writes_auth(q)) d->wrote_auth = true;
    db_stmt *s = d->stmts[q];
    if (!s) {
        const char *sql = db_query_sql(d->kind, q);
        s = d->kind == DB_PG ? dbp_prepare(d, sql, (int)q) : dbs_prepare(d, sql);
        if (!s) return NULL;
        d->stmts[q] = s;
    } else {
        db_reset(s);
    }
    return s;
}

/* The pointer's first member tells the backend; statements remember their db. */
struct db_stmt_head { db *d; };
#define KIND(s) (((struct db_stmt_head *)(s))->d->kind)

/* A statement that failed to prepare is NULL: binds do nothing and the step reports the error. */
void db_bind_i64(db_stmt *s, int idx, int64_t v)
{
    if (!s) return;
    KIND(s) == DB_PG ? dbp_bind_i64(s, idx, v) : dbs_bind_i64(s, idx, v);
}

void db_bind_text(db_stmt *s, int idx, const char *v)
{
    if (!s) return;
    KIND(s) == DB_PG ? dbp_bind_text(s, idx, v) : dbs_bind_text(s, idx, v);
}

void db_bind_null(db_stmt *s, int idx) { db_bind_text(s, idx, NULL); }

void db_bind_blob(db_stmt *s, int idx, const void *p, size_t n)
{
    if (!s) return;
    KIND(s) == DB_PG ? dbp_bind_blob(s, idx, p, n) : dbs_bind_blob(s, idx, p, n);
}

const void *db_col_blob(db_stmt *s, int col, size_t *n)
{
    return KIND(s) == DB_PG ? dbp_col_blob(s, col, n) : dbs_col_blob(s, col, n);
}

db_rc db_step(db_stmt *s) { if (!s) return DB_ERROR; return KIND(s) == DB_PG ? dbp_step(s) : dbs_step(s); }

int64_t db_col_i64(db_stmt *s, int col)
{
    return KIND(s) == DB_PG ? dbp_col_i64(s, col) : dbs_col_i64(s, col);
}

const char *db_col_text(db_stmt *s, int col)
{
    return KIND(s) == DB_PG ? dbp_col_text(s, col) : dbs_col_text(s, col);
}

bool db_col_null(db_stmt *s, int col)
{
    return KIND(s) == DB_PG ? dbp_col_null(s, col) : dbs_col_null(s, col);
}

int64_t db_changes(db_stmt *s) { return KIND(s) == DB_PG ? dbp_changes(s) : dbs_changes(s); }
int64_t db_last_insert_id(db *d) { return d->kind == DB_SQLITE ? dbs_last_insert_id(d) : 0; }

void db_reset(db_stmt *s) { if (s) KIND(s) == DB_PG ? dbp_reset(s) : dbs_reset(s); }

db_rc db_run(db_stmt *s)
{
    db_rc rc = db_step(s);
    return rc == DB_DONE ? DB_OK : rc;
}
