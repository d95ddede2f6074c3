/* SQLite backend: WAL, foreign keys, busy timeout, synchronous=FULL (an acknowledged write
 * survives power loss). */
#include "store/db_impl.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct db_stmt {
    db *d;
    sqlite3_stmt *st;
};

static db_rc map_rc(db *d, int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK: return DB_OK;
    case SQLITE_ROW: return DB_ROW;
    case SQLITE_DONE: return DB_DONE;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return DB_BUSY;
    case SQLITE_CONSTRAINT:
        snprintf(d->err, sizeof d->err, "%s", sqlite3_errmsg(d->conn));
        return DB_CONSTRAINT;
    default:
        snprintf(d->err, sizeof d->err, "sqlite: %s", sqlite3_errmsg(d->conn));
        return DB_ERROR;
    }
}

/* Creates the folder that will hold the database file, like `mkdir -p`. */
static void make_parent_dirs(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, 0750) && errno != EEXIST) return;
        *p = '/';
    }
}

/* Before any connection: without memory statistics SQLite takes no global mutex on each malloc and free
 * (~9% of the group committer's time was spent on that mutex). Fails harmlessly if SQLite is already in use. */
static void sqlite_setup(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_initialize();
}

int dbs_open(db *d, const char *path)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sqlite_setup);
    if (strcmp(path, ":memory:") != 0) make_parent_dirs(path);
    sqlite3 *c = NULL;
    int rc = sqlite3_open_v2(path, &c, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    d->conn = c;
    if (rc != SQLITE_OK) {
        snprintf(d->err, sizeof d->err, "sqlite open %s: %s", path, c ? sqlite3_errmsg(c) : "out of memory");
        return -1;
    }
    sqlite3_busy_timeout(c, 5000);
    if (dbs_exec(d, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
                    "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-8192;") != DB_OK)
        return -1;
    return 0;
}

void dbs_close(db *d)
{
    for (int i = 0; i < DB_CTL__COUNT; i++) {
        sqlite3_finalize(d->ctl[i]);
        d->ctl[i] = NULL;
    }
    sqlite3_close_v2(d->conn);
    d->conn = NULL;
}

db_rc dbs_exec(db *d, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(d->conn, sql, NULL, NULL, &msg);
    if (msg) {
        snprintf(d->err, sizeof d->err, "sqlite: %s", msg);
        sqlite3_free(msg);
    }
    return rc == SQLITE_OK ? DB_OK : map_rc(d, rc);
}

db_rc dbs_ctl(db *d, enum db_ctl c)
{
    sqlite3_stmt *st = d->ctl[c];
    if (!st) {
        if (sqlite3_prepare_v3(d->conn, db_ctl_sql(DB_SQLITE, c), -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
            snprintf(d->err, sizeof d->err, "sqlite prepare: %s", sqlite3_errmsg(d->conn));
            return DB_ERROR;
        }
        d->ctl[c] = st;
    }
    int rc = sqlite3_step(st);
    db_rc out = rc == SQLITE_DONE ? DB_OK : map_rc(d, rc);
    if (out == DB_BUSY) snprintf(d->err, sizeof d->err, "sqlite: %s", sqlite3_errmsg(d->conn));
    sqlite3_reset(st);
    return out;
}

void dbs_reset_busy(db *d)
{
    for (sqlite3_stmt *st = sqlite3_next_stmt(d->conn, NULL); st; st = sqlite3_next_stmt(d->conn, st))
        if (sqlite3_stmt_busy(st)) sqlite3_reset(st);
}

static int wal_hook(void *arg, sqlite3 *c, const char *name, int frames)
{
    (void)c;
    (void)name;
    db *d = arg;
    d->wal_fn(frames);
    return SQLITE_OK;
}

void dbs_wal_notify(db *d, void (*fn)(int frames))
{
    d->wal_fn = fn;
    sqlite3_wal_hook(d->conn, wal_hook, d);
}

db_rc dbs_checkpoint(db *d, int *log, int *done)
{
    int rc = sqlite3_wal_checkpoint_v2(d->conn, NULL, SQLITE_CHECKPOINT_PASSIVE, log, done);
    return rc == SQLITE_OK ? DB_OK : map_rc(d, rc);
}

db_stmt *dbs_prepare(db *d, const char *sql)
{
    db_stmt *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->d = d;
    if (sqlite3_prepare_v3(d->conn, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->st, NULL) != SQLITE_OK) {
        snprintf(d->err, sizeof d->err, "sqlite prepare: %s", sqlite3_errmsg(d->conn));
        free(s);
        return NULL;
    }
    return s;
}

void dbs_finalize(db_stmt *s)
{
    sqlite3_finalize(s->st);
    free(s);
}

void dbs_reset(db_stmt *s)
{
    sqlite3_reset(s->st);
    sqlite3_clear_bindings(s->st);
}

void dbs_bind_i64(db_stmt *s, int idx, int64_t v) { sqlite3_bind_int64(s->st, idx, v); }

void dbs_bind_text(db_stmt *s, int idx, const char *v)
{
    if (v)
        sqlite3_bind_text(s->st, idx, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s->st, idx);
}

void dbs_bind_blob(db_stmt *s, int idx, const void *p, size_t n)
{
    sqlite3_bind_blob64(s->st, idx, n ? p : "", n, SQLITE_STATIC);
}

const void *dbs_col_blob(db_stmt *s, int col, size_t *n)
{
    const void *p = sqlite3_column_blob(s->st, col);
    *n = (size_t)sqlite3_column_bytes(s->st, col);
    return p;
}

db_rc dbs_step(db_stmt *s) { return map_rc(s->d, sqlite3_step(s->st)); }
int64_t dbs_col_i64(db_stmt *s, int col) { return sqlite3_column_int64(s->st, col); }

const char *dbs_col_text(db_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s->st, col);
    return t ? (const char *)t : "";
}

bool dbs_col_null(db_stmt *s, int col) { return sqlite3_column_type(s->st, col) == SQLITE_NULL; }
int64_t dbs_changes(db_stmt *s) { return sqlite3_changes64(s->d->conn); }
int64_t dbs_last_insert_id(db *d) { return sqlite3_last_insert_rowid(d->conn); }
bool dbs_in_tx(db *d) { return !sqlite3_get_autocommit(d->conn); }
