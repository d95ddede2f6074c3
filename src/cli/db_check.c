/* The database's own consistency check (see db_check.h). */
#include "cli/db_check.h"

#include <stdio.h>
#include <string.h>

#include "store/store.h"

struct db_check_ctx {
    int problems;
    long long tables, rows;
};

/* SQLite: prints each problem row; PostgreSQL: adds up the (table, rows) pairs. */
static tx_rc db_check_tx(db *d, void *vctx)
{
    struct db_check_ctx *c = vctx;
    c->problems = 0;
    c->tables = c->rows = 0;
    bool sqlite = db_kind_of(d) == DB_SQLITE;
    db_stmt *s = db_q(d, Q_DB_INTEGRITY_CHECK);
    if (!s) return TX_FAIL;
    db_rc rc;
    while ((rc = db_step(s)) == DB_ROW) {
        if (sqlite) {
            /* one row "ok", or one row per problem found */
            if (strcmp(db_col_text(s, 0), "ok")) {
                printf("integrity_check: %s\n", db_col_text(s, 0));
                c->problems++;
            }
        } else {
            c->tables++;
            c->rows += db_col_i64(s, 1);
        }
    }
    db_reset(s);
    TX_CHECK(rc);
    if (!sqlite) return TX_COMMIT;
    s = db_q(d, Q_DB_FOREIGN_KEY_CHECK);
    if (!s) return TX_FAIL;
    while ((rc = db_step(s)) == DB_ROW) {
        printf("foreign_key_check: row %lld of %s names a missing row of %s\n", (long long)db_col_i64(s, 1),
               db_col_text(s, 0), db_col_text(s, 2));
        c->problems++;
    }
    db_reset(s);
    TX_CHECK(rc);
    return TX_COMMIT;
}

int cli_db_check(db *d)
{
    struct db_check_ctx c = {0};
    if (store_run(d, false, db_check_tx, &c) != STORE_OK) {
        fprintf(stderr, "fairlabel: %s\n", db_errmsg(d));
        return 2;
    }
    if (c.problems) {
        printf("database check FAILED: %d problems\n", c.problems);
        return 1;
    }
    if (db_kind_of(d) == DB_SQLITE)
        printf("database OK: integrity_check and foreign_key_check found nothing\n");
    else
        printf("database OK: read all %lld rows of %lld tables\n", c.rows, c.tables);
    return 0;
}
