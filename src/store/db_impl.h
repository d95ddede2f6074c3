/* Shared between db.c and the two backends. */
#ifndef FL_DB_IMPL_H
#define FL_DB_IMPL_H
#include "store/db.h"

#define DB_MAX_PARAMS 16

struct db {
    db_kind kind;
    void *conn;
    db_stmt *stmts[Q__COUNT];
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

/* SQLite */
int dbs_open(db *d, const char *path);
void dbs_close(db *d);
db_rc dbs_exec(db *d, const char *sql);
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
