/* PostgreSQL backend through libpq: statements prepared once per connection, parameters and
 * results in text form. Serialization failures and deadlocks map to DB_BUSY so store_run retries. */
#include "store/db_impl.h"

#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct db_stmt {
    db *d;
    char name[16];
    int nparams;
    char *vals[DB_MAX_PARAMS];
    int lengths[DB_MAX_PARAMS], formats[DB_MAX_PARAMS]; /* formats[i] 1: borrowed binary value */
    unsigned char *unescaped;                          /* last bytea read, freed on the next read */
    PGresult *res;
    int row, nrows;
    int64_t changes;
};

static db_rc map_result(db *d, PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return DB_OK;
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    snprintf(d->err, sizeof d->err, "postgres: %s", PQresultErrorMessage(r));
    size_t n = strlen(d->err);
    if (n && d->err[n - 1] == '\n') d->err[n - 1] = '\0';
    if (state && (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03")))
        return DB_BUSY;
    if (state && !strncmp(state, "23", 2)) return DB_CONSTRAINT;
    return DB_ERROR;
}

int dbp_open(db *d, const char *url)
{
    PGconn *c = PQconnectdb(url);
    d->conn = c;
    if (!c || PQstatus(c) != CONNECTION_OK) {
        snprintf(d->err, sizeof d->err, "postgres connect: %s", c ? PQerrorMessage(c) : "out of memory");
        return -1;
    }
    return dbp_exec(d, "SET client_min_messages = warning") == DB_OK ? 0 : -1;
}

void dbp_close(db *d)
{
    PQfinish(d->conn);
    d->conn = NULL;
}

bool dbp_reconnect_if_broken(db *d)
{
    if (PQstatus(d->conn) == CONNECTION_OK) return false;
    PQreset(d->conn);
    if (PQstatus(d->conn) == CONNECTION_OK) dbp_exec(d, "SET client_min_messages = warning");
    return true;
}

db_rc dbp_exec(db *d, const char *sql)
{
    PGresult *r = PQexec(d->conn, sql);
    db_rc rc = r ? map_result(d, r) : DB_ERROR;
    if (!r) snprintf(d->err, sizeof d->err, "postgres: %s", PQerrorMessage(d->conn));
    PQclear(r);
    return rc;
}

/* ?N → $N, outside quoted strings. */
static char *to_pg_params(const char *sql, int *maxp)
{
    size_t n = strlen(sql);
    char *out = malloc(n + 1);
    if (!out) return NULL;
    char quote = 0;
    size_t j = 0;
    *maxp = 0;
    for (size_t i = 0; i < n; i++) {
        char c = sql[i];
        if (quote) {
            if (c == quote) quote = 0;
        } else if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == '?' && i + 1 < n && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
            c = '$';
            int v = atoi(sql + i + 1);
            if (v > *maxp) *maxp = v;
        }
        out[j++] = c;
    }
    out[j] = '\0';
    return out;
}

db_stmt *dbp_prepare(db *d, const char *sql, int qid)
{
    db_stmt *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->d = d;
    snprintf(s->name, sizeof s->name, "q%d", qid);
    char *pg_sql = to_pg_params(sql, &s->nparams);
    if (!pg_sql || s->nparams > DB_MAX_PARAMS) {
        snprintf(d->err, sizeof d->err, "postgres prepare: bad query %d", qid);
        free(pg_sql);
        free(s);
        return NULL;
    }
    PGresult *r = PQprepare(d->conn, s->name, pg_sql, s->nparams, NULL);
    free(pg_sql);
    db_rc rc = r ? map_result(d, r) : DB_ERROR;
    PQclear(r);
    if (rc != DB_OK) {
        free(s);
        return NULL;
    }
    return s;
}

static void forget_param(db_stmt *s, int i)
{
    if (!s->formats[i]) free(s->vals[i]);
    s->vals[i] = NULL;
    s->formats[i] = 0;
    s->lengths[i] = 0;
}

void dbp_reset(db_stmt *s)
{
    PQclear(s->res);
    s->res = NULL;
    s->row = s->nrows = 0;
    PQfreemem(s->unescaped);
    s->unescaped = NULL;
    for (int i = 0; i < DB_MAX_PARAMS; i++) forget_param(s, i);
}

void dbp_finalize(db_stmt *s)
{
    dbp_reset(s);
    free(s);
}

void dbp_bind_text(db_stmt *s, int idx, const char *v)
{
    if (idx < 1 || idx > DB_MAX_PARAMS) return;
    forget_param(s, idx - 1);
    s->vals[idx - 1] = v ? strdup(v) : NULL;
}

void dbp_bind_blob(db_stmt *s, int idx, const void *p, size_t n)
{
    if (idx < 1 || idx > DB_MAX_PARAMS || n > INT32_MAX) return;
    forget_param(s, idx - 1);
    s->vals[idx - 1] = (char *)(uintptr_t)(n ? p : "");
    s->lengths[idx - 1] = (int)n;
    s->formats[idx - 1] = 1;
}

const void *dbp_col_blob(db_stmt *s, int col, size_t *n)
{
    PQfreemem(s->unescaped);
    s->unescaped = PQunescapeBytea((const unsigned char *)PQgetvalue(s->res, s->row, col), n);
    return s->unescaped;
}

void dbp_bind_i64(db_stmt *s, int idx, int64_t v)
{
    char tmp[24];
    snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    dbp_bind_text(s, idx, tmp);
}

db_rc dbp_step(db_stmt *s)
{
    if (!s->res) {
        s->res = PQexecPrepared(s->d->conn, s->name, s->nparams, (const char *const *)s->vals, s->lengths,
                                s->formats, 0);
        if (!s->res) {
            snprintf(s->d->err, sizeof s->d->err, "postgres: %s", PQerrorMessage(s->d->conn));
            return DB_ERROR;
        }
        db_rc rc = map_result(s->d, s->res);
        if (rc != DB_OK) return rc;
        s->nrows = PQntuples(s->res);
        const char *ct = PQcmdTuples(s->res);
        s->changes = ct && *ct ? atoll(ct) : 0;
        s->row = -1;
    }
    if (s->row + 1 >= s->nrows) {
        s->row = s->nrows;
        return DB_DONE;
    }
    s->row++;
    return DB_ROW;
}

int64_t dbp_col_i64(db_stmt *s, int col) { return atoll(PQgetvalue(s->res, s->row, col)); }
const char *dbp_col_text(db_stmt *s, int col) { return PQgetvalue(s->res, s->row, col); }
bool dbp_col_null(db_stmt *s, int col) { return PQgetisnull(s->res, s->row, col); }
int64_t dbp_changes(db_stmt *s) { return s->changes; }
