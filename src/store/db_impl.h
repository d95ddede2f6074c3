/* Shared between db.c and the two backends. */
#ifndef FL_DB_IMPL_H
#define FL_DB_IMPL_H
#include "store/db.h"

#define DB_MAX_PARAMS 16

/* Transaction control: prepared once per SQLite connection instead of parsed by sqlite3_exec each time. */
enum db_ctl { DB_CTL_BEGIN, DB_CTL_BEGIN_IMMEDIATE, DB_CTL_COMMIT, DB_CTL_ROLLBACK, DB_CTL_SAVEPOINT,
              DB_CTL_RELEASE, DB_CTL_ROLLBACK_TO, DB_CTL__COUNT };
const char *db_ctl_sql(db_kind kind, enum db_ctl c);

struct db {
    db_kind kind;
    void *conn;
    db_stmt *stmts[Q__COUNT];
    void *ctl[DB_CTL__COUNT]; /* SQLite: the prepared transaction-control statements */
    void (*wal_fn)(int frames); /* SQLite: see dbs_wal_notify */
    bool in_tx, holds_writer;
    bool wrote_auth; /* ran a statement writing users or sessions in this transaction (store_auth_epoch) */
    char err[256];
};

const char *db_query_sql(db_kind kind, query_id q);
/* Raises the auth epoch (store.c), which empties the session cache. */
void store_auth_epoch_bump(void);

/* Savepoints inside a write transaction (the group committer's one per queued transaction): ROLLBACK TO
 * also releases, so a rolled-back one leaves no savepoint behind. */
db_rc db_savepoint(db *d);
db_rc db_savepoint_release(db *d);
db_rc db_savepoint_rollback(db *d);
/* False when the backend ended the transaction by itself (SQLite does on I/O errors and a full disk). */
bool db_tx_alive(db *d);
/* The process's SQLite writer mutex that db_begin(d, true) takes (a checkpoint that must not race writers). */
void db_writer_lock(void);
void db_writer_unlock(void);

/* SQLite */
int dbs_open(db *d, const char *path);
void dbs_close(db *d);
db_rc dbs_exec(db *d, const char *sql);
db_rc dbs_ctl(db *d, enum db_ctl c);
/* Resets the statements still mid-result (SQLite refuses COMMIT and RELEASE while one is). */
void dbs_reset_busy(db *d);
/* Replaces the connection's automatic checkpoints: fn(frames in the WAL) is called after each commit,
 * on the committing thread, and someone else checkpoints (dbs_checkpoint). */
void dbs_wal_notify(db *d, void (*fn)(int frames));
/* A PASSIVE checkpoint (never waits for readers or writers); *log and *done are the WAL's frames and
 * those now copied to the database. DB_BUSY when another checkpoint runs. */
db_rc dbs_checkpoint(db *d, int *log, int *done);
db_stmt *dbs_prepare(db *d, const char *sql);
void dbs_finalize(db_stmt *s);
void dbs_reset(db_stmt *s);
void dbs_bind_i64(db_stmt *s, int idx, int64_t v);
void dbs_bind_text(db_stmt *s, int idx, const char *v);
void dbs_bind_blob(db_stmt *s, int idx, const void *p, size_t n);
const void *dbs_col_blob(db_stmt *s, int col, size_t *n);
db_rc dbs_step(db_stmt *s);
int64_t dbs_col_i64(db_stmt *s, int col);
const char *dbs_col_text(db_stmt *s, int col);
bool dbs_col_null(db_stmt *s, int col);
int64_t dbs_changes(db_stmt *s);
int64_t dbs_last_insert_id(db *d);
bool dbs_in_tx(db *d);

/* PostgreSQL */
int dbp_open(db *d, const char *url);
void dbp_close(db *d);
/* Reconnects a broken connection; true when it did (prepared statements are then gone). */
bool dbp_reconnect_if_broken(db *d);
db_rc dbp_exec(db *d, const char *sql);
db_stmt *dbp_prepare(db *d, const char *sql, int qid);
void dbp_finalize(db_stmt *s);
void dbp_reset(db_stmt *s);
void dbp_bind_i64(db_stmt *s, int idx, int64_t v);
void dbp_bind_text(db_stmt *s, int idx, const char *v);
void dbp_bind_blob(db_stmt *s, int idx, const void *p, size_t n);
const void *dbp_col_blob(db_stmt *s, int col, size_t *n);
db_rc dbp_step(db_stmt *s);
int64_t dbp_col_i64(db_stmt *s, int col);
const char *dbp_col_text(db_stmt *s, int col);
bool dbp_col_null(db_stmt *s, int col);
int64_t dbp_changes(db_stmt *s);

#endif
