/* The transaction runner (see store_run in store.h). */
#include "store/store.h"

#include <time.h>

#include "util/log.h"

#define STORE_MAX_ATTEMPTS 12

tx_rc tx_from_db(db_rc rc)
{
    switch (rc) {
    case DB_OK:
    case DB_ROW:
    case DB_DONE: return TX_COMMIT;
    case DB_BUSY: return TX_RETRY;
    default: return TX_FAIL;
    }
}

static void backoff(int attempt)
{
    struct timespec ts = {0, (long)(1 + attempt * attempt) * 1000000L};
    nanosleep(&ts, NULL);
}

store_rc store_run(db *d, bool write, store_tx_fn fn, void *ctx)
{
    for (int attempt = 0; attempt < STORE_MAX_ATTEMPTS; attempt++) {
        db_rc b = db_begin(d, write);
        if (b == DB_BUSY) {
            backoff(attempt);
            continue;
        }
        if (b != DB_OK && attempt == 0) continue; /* a dropped connection is re-made on the next begin */
        if (b != DB_OK) {
            log_msg("store: begin failed: %s", db_errmsg(d));
            return STORE_FAILED;
        }
        tx_rc r = fn(d, ctx);
        if (r == TX_COMMIT) {
            db_rc c = db_commit(d);
            if (c == DB_OK) return STORE_OK;
            db_rollback(d);
            if (c != DB_BUSY) {
                log_msg("store: commit failed: %s", db_errmsg(d));
                return STORE_FAILED;
            }
        } else {
            db_rollback(d);
            if (r == TX_ROLLBACK) return STORE_ABORTED;
            if (r == TX_FAIL) {
                log_msg("store: transaction failed: %s", db_errmsg(d));
                return STORE_FAILED;
            }
        }
        backoff(attempt);
    }
    return STORE_BUSY;
}
