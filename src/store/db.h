/* Backend-neutral database access: one connection per thread, statements prepared once from the
 * query table (queries.def) and cached. SQL is written once with ?N parameters; dialects differ
 * only where queries.def gives two variants. */
#ifndef FL_DB_H
#define FL_DB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { DB_OK = 0, DB_ROW, DB_DONE, DB_BUSY, DB_CONSTRAINT, DB_ERROR } db_rc;
typedef enum { DB_SQLITE, DB_PG } db_kind;

typedef enum {
#define Q(name, sql) Q_##name,
#define QV(name, sqlite_sql, pg_sql) Q_##name,
#include "store/queries.def"
#undef Q
#undef QV
    Q__COUNT
} query_id;

typedef struct db db;
typedef struct db_stmt db_stmt;

/* url: "sqlite:PATH" or "postgres://…" / "postgresql://…". Returns 0, or -1 with err filled. */
int db_open(const char *url, db **out, char *err, size_t errlen);
void db_close(db *d);
db_kind db_kind_of(const db *d);
const char *db_errmsg(db *d);
/* Runs unprepared SQL, possibly several statements (migrations, transaction control). */
db_rc db_exec_sql(db *d, const char *sql);
db_rc db_begin(db *d, bool write);
db_rc db_commit(db *d);
void db_rollback(db *d);
bool db_in_tx(const db *d);

/* Returns the cached statement for q, reset and with bindings cleared; NULL if it fails to prepare. */
db_stmt *db_q(db *d, query_id q);
void db_bind_i64(db_stmt *s, int idx, int64_t v);
void db_bind_text(db_stmt *s, int idx, const char *v); /* NULL binds SQL NULL; the value is copied */
void db_bind_null(db_stmt *s, int idx);
/* Binds bytes without copying: p must stay valid until the transaction ends. */
void db_bind_blob(db_stmt *s, int idx, const void *p, size_t n);
/* DB_ROW, DB_DONE, or an error (DB_BUSY means retry the transaction). */
db_rc db_step(db_stmt *s);
int64_t db_col_i64(db_stmt *s, int col);
/* Valid until the next db_step or db_reset of s. Never NULL: SQL NULL reads as "". */
const char *db_col_text(db_stmt *s, int col);
bool db_col_null(db_stmt *s, int col);
/* Bytes of a BLOB/BYTEA column, valid until the next db_step or db_reset of s. */
const void *db_col_blob(db_stmt *s, int col, size_t *n);
int64_t db_changes(db_stmt *s);
/* SQLite: the rowid of the connection's last INSERT, for statements without RETURNING; 0 on PostgreSQL. */
int64_t db_last_insert_id(db *d);
void db_reset(db_stmt *s);

/* Shorthand: step once and expect DB_DONE or DB_ROW (returned as DB_OK / DB_ROW). */
db_rc db_run(db_stmt *s);

#endif
