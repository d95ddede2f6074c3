/* Group commit for SQLite write transactions: queued transactions share one BEGIN IMMEDIATE … COMMIT
 * (one fsync, synchronous=FULL kept), each inside its own SAVEPOINT so one that rolls back or fails
 * leaves the others alone. One committer thread with its own connection takes whatever queued while
 * the previous commit ran (no timers), at most GROUP_COMMIT_BATCH_MAX at a time. */
#ifndef FL_GROUP_COMMIT_H
#define FL_GROUP_COMMIT_H
#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

#define GROUP_COMMIT_BATCH_MAX 256
#define GROUP_COMMIT_QUEUE_MAX 8192

/* Called on the committer thread once fn's outcome is final: after the COMMIT that made it durable
 * returned (STORE_OK), or after its rollback (STORE_ABORTED, STORE_FAILED, STORE_BUSY). It must only
 * hand ctx back to its owner (e.g. event_base_once to the request's loop), never reply itself. */
typedef void (*group_commit_done)(void *ctx, store_rc rc);

/* Queues fn(ctx) as one write transaction with the semantics of store_run (fn may run again, so it only
 * records into ctx). db_url names the database; the committer starts on first use. -1 when group commit
 * does not apply (PostgreSQL: each request keeps store_run) or the queue is full: the caller runs
 * store_run itself; 0 when queued, and done will be called exactly once. */
int group_commit_submit(const char *db_url, store_tx_fn fn, void *ctx, group_commit_done done);

struct group_commit_stats {
    uint64_t commits;      /* COMMITs that ended a batch, including batches of one */
    uint64_t transactions; /* transactions whose outcome the committer decided */
    uint64_t rolled_back;  /* of those, rolled back to their savepoint (the batch went on) */
    uint64_t alone;        /* of those, run again alone with store_run (failure or busy inside a batch) */
    uint64_t max_batch;    /* the largest batch so far */
};
void group_commit_stats_get(struct group_commit_stats *out);
/* Stops the committer after the queue drains (tests and shutdown); later submits return -1. */
void group_commit_stop(void);

#endif
