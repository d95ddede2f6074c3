/* Payouts (FW-9) shared by the routes (api/payouts.c), the weekly job and `fairlabel payouts`: batches
 * written per rail and currency, and confirmation files read back into the ledger. */
#ifndef FL_PAYOUTS_H
#define FL_PAYOUTS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/errors.h"
#include "store/store.h"

#define PAYOUT_MIN_CAP_USD_MICROS 5000000LL /* FW-9: the minimum may be at most 5 USD */

/* FAIRLABEL_PAYOUT_MIN_USD_MICROS (default 5000000). False, with why in err, when it is not an amount in
 * micros or above 5 USD: the server refuses to start. */
bool payout_min_config_ok(char *err, size_t n);
int64_t payout_min_usd_micros(void);
/* The minimum in currency: the USD minimum converted at the wage tables' rate, rounded up to whole cents;
 * one cent for a currency without a rate. False when the tables do not load. Call outside a transaction. */
bool payout_minimum(db *d, const char *currency, int64_t *min_micros);

/* Asks, in the caller's transaction and as the system (actor 0), for amount micros of the worker's available money
 * in currency to be paid out under key (unique per payout; the same key and amount replays). The code the weekly
 * job and the region-closure job (api/regions.c) share. TX_COMMIT with *payout_id; TX_ROLLBACK with *err set
 * (PAYOUT_METHOD_MISSING: nothing was written; others: the caller rolls back); TX_RETRY or TX_FAIL otherwise. */
tx_rc payout_request_in_tx(db *d, int64_t worker_id, const char *currency, int64_t amount, const char *key,
                           const char *origin, int64_t now, int64_t *payout_id, err_id *err);

/* The outcome of creating a batch or reading a confirmation file. err is ERR_NONE on success; otherwise
 * detail (and field) say why and nothing was written. */
struct payout_batch_result {
    int64_t batch_id, count, total_micros;
    char sha256[65];
    char *file; /* malloc'd file text (batch creation only); the caller frees it */
    size_t file_len;
    err_id err;
    const char *field;
    char detail[300];
};
/* Takes every requested payout of the rail and currency into a new batch and writes its file. */
store_rc payout_batch_create(db *d, const char *rail, const char *currency, int64_t actor_id, int64_t now,
                             struct payout_batch_result *out);

struct payout_confirm_result {
    int64_t batch_id;
    int confirmed, failed, unchanged;
    err_id err;
    const char *field;
    char detail[300];
};
/* Reads a confirmation file of the batch's rail: each row confirms its payout (in_transit → external) or
 * fails it (in_transit → available, with the reason and a notification), in one transaction; a row that
 * repeats what is recorded changes nothing, one that contradicts it fails the whole file. */
store_rc payout_confirm_file(db *d, int64_t batch_id, const char *text, size_t len, int64_t actor_id, int64_t now,
                             struct payout_confirm_result *out);

#endif
