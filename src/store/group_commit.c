/* The group committer (see group_commit.h). */
#include "store/group_commit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "store/db_impl.h"
#include "util/env.h"
#include "util/log.h"

struct gc_item {
    store_tx_fn fn;
    void *ctx;
    group_commit_done done;
    struct gc_item *next;
};

/* What became of one transaction of a batch. */
enum gc_outcome { GC_COMMITTED, GC_ABORTED, GC_ALONE };

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static struct gc_item *head, *tail;
static int queued;
static bool started, stopping, unavailable;
static pthread_t thread;
static db *conn;

static atomic_uint_fast64_t st_commits, st_transactions, st_rolled_back, st_alone, st_max_batch;

/* WAL checkpoints run on a thread of their own instead of inside the committer's COMMIT (SQLite's automatic
 * checkpoint copies ~1,000 pages and fsyncs the database on the thread every request waits for). */
#define GC_CKPT_FRAMES 1000 /* SQLite's wal_autocheckpoint default: the WAL stays about as small */
static pthread_mutex_t ck_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ck_wake = PTHREAD_COND_INITIALIZER;
static bool ck_stop;
static atomic_bool ck_due;
static pthread_t ck_thread;
static db *ck_conn;

/* The committer's WAL hook: after each commit, with the WAL's size in pages. */
static void ckpt_notify(int frames)
{
    if (frames < GC_CKPT_FRAMES || atomic_exchange(&ck_due, true)) return;
    pthread_mutex_lock(&ck_mu);
    pthread_cond_signal(&ck_wake);
    pthread_mutex_unlock(&ck_mu);
}

static void *checkpointer_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "fl-checkpoint");
    pthread_mutex_lock(&ck_mu);
    for (;;) {
        while (!atomic_load(&ck_due) && !ck_stop) pthread_cond_wait(&ck_wake, &ck_mu);
        if (ck_stop) break;
        pthread_mutex_unlock(&ck_mu);
        int log = 0, done = 0;
        db_rc rc = dbs_checkpoint(ck_conn, &log, &done);
        if (rc == DB_OK && done < log) {
            /* Commits went on meanwhile. Copy their few pages while no writer of this process may start,
             * so the whole WAL is in the database and the next commit writes it from the start again
             * (otherwise the WAL grows as long as the load lasts). */
            db_writer_lock();
            rc = dbs_checkpoint(ck_conn, &log, &done);
            db_writer_unlock();
        }
        if (rc == DB_ERROR) log_msg("group commit: checkpoint failed (%s)", db_errmsg(ck_conn));
        /* cleared after the run: commits during it need no second one, a WAL still long calls again */
        atomic_store(&ck_due, false);
        pthread_mutex_lock(&ck_mu);
    }
    pthread_mutex_unlock(&ck_mu);
    return NULL;
}

/* Starts the checkpointer and hands it the committer's checkpoints; without it the committer keeps
 * SQLite's automatic ones. */
static void checkpointer_start(const char *db_url)
{
    char err[300];
    if (db_open(db_url, &ck_conn, err, sizeof err) != 0) {
        log_msg("group commit: checkpointer: %s; the committer checkpoints", err);
        return;
    }
    if (pthread_create(&ck_thread, NULL, checkpointer_main, NULL) != 0) {
        db_close(ck_conn);
        ck_conn = NULL;
        return;
    }
    dbs_wal_notify(conn, ckpt_notify);
}

static void checkpointer_stop(void)
{
    if (!ck_conn) return;
    pthread_mutex_lock(&ck_mu);
    ck_stop = true;
    pthread_cond_signal(&ck_wake);
    pthread_mutex_unlock(&ck_mu);
    pthread_join(ck_thread, NULL);
    db_close(ck_conn);
    ck_conn = NULL;
}

/* Runs one transaction by itself, exactly as store_run does. */
static void run_alone(struct gc_item *it)
{
    store_rc rc = store_run(conn, true, it->fn, it->ctx);
    atomic_fetch_add(&st_commits, rc == STORE_OK ? 1 : 0);
    atomic_fetch_add(&st_transactions, 1);
    it->done(it->ctx, rc);
}

/* Each transaction in its own savepoint inside one write transaction. Returns false when the batch
 * could not commit (nothing of it is written): the caller then runs every item alone. */
static bool run_batch(struct gc_item **items, int n, enum gc_outcome *out)
{
    if (db_begin(conn, true) != DB_OK) return false;
    for (int i = 0; i < n; i++) {
        if (db_savepoint(conn) != DB_OK) goto broken;
        tx_rc r = items[i]->fn(conn, items[i]->ctx);
        if (!db_tx_alive(conn)) goto broken; /* SQLite rolled the whole transaction back (I/O error, full disk) */
        if (r == TX_COMMIT) {
            if (db_savepoint_release(conn) != DB_OK) goto broken;
            out[i] = GC_COMMITTED;
            continue;
        }
        if (db_savepoint_rollback(conn) != DB_OK) goto broken;
        out[i] = r == TX_ROLLBACK ? GC_ABORTED : GC_ALONE;
    }
    if (db_commit(conn) == DB_OK) return true;
    log_msg("group commit: commit of %d transactions failed (%s); running them one by one", n, db_errmsg(conn));
    db_rollback(conn);
    return false;
broken:
    log_msg("group commit: a batch of %d broke off (%s); running them one by one", n, db_errmsg(conn));
    if (db_in_tx(conn)) db_rollback(conn);
    return false;
}

static void take_batch(struct gc_item **items, int *n)
{
    *n = 0;
    while (head && *n < GROUP_COMMIT_BATCH_MAX) {
        items[(*n)++] = head;
        head = head->next;
        queued--;
    }
    if (!head) tail = NULL;
}

static void *committer_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "fl-committer"); /* to find it in top and perf */
    struct gc_item **items = malloc(GROUP_COMMIT_BATCH_MAX * sizeof *items);
    enum gc_outcome *out = malloc(GROUP_COMMIT_BATCH_MAX * sizeof *out);
    pthread_mutex_lock(&mu);
    for (;;) {
        while (!head && !stopping) pthread_cond_wait(&wake, &mu);
        if (!head) break;
        int n;
        take_batch(items, &n);
        pthread_mutex_unlock(&mu);

        if (n == 1) {
            run_alone(items[0]);
        } else if (run_batch(items, n, out)) {
            atomic_fetch_add(&st_commits, 1);
            uint_fast64_t m = atomic_load(&st_max_batch);
            while ((uint_fast64_t)n > m && !atomic_compare_exchange_weak(&st_max_batch, &m, (uint_fast64_t)n)) {
            }
            /* durable now: hand back the decided ones; retry the others by themselves */
            for (int i = 0; i < n; i++) {
                if (out[i] == GC_ALONE) continue;
                atomic_fetch_add(&st_transactions, 1);
                if (out[i] == GC_ABORTED) atomic_fetch_add(&st_rolled_back, 1);
                items[i]->done(items[i]->ctx, out[i] == GC_COMMITTED ? STORE_OK : STORE_ABORTED);
            }
            for (int i = 0; i < n; i++)
                if (out[i] == GC_ALONE) {
                    atomic_fetch_add(&st_alone, 1);
                    run_alone(items[i]);
                }
        } else {
            for (int i = 0; i < n; i++) {
                atomic_fetch_add(&st_alone, 1);
                run_alone(items[i]);
            }
        }
        for (int i = 0; i < n; i++) free(items[i]);
        pthread_mutex_lock(&mu);
    }
    pthread_mutex_unlock(&mu);
    free(items);
    free(out);
    return NULL;
}

/* Under mu. */
static bool start(const char *db_url)
{
    if (started || unavailable) return started;
    char err[300];
    if (env_i64("FAIRLABEL_GROUP_COMMIT", 1, 0, 1) == 0) { /* off: one commit per request, for comparison */
        unavailable = true;
        return false;
    }
    if (strncmp(db_url, "sqlite:", 7) != 0 || db_open(db_url, &conn, err, sizeof err) != 0) {
        if (strncmp(db_url, "sqlite:", 7) == 0) log_msg("group commit: %s; writes run one by one", err);
        unavailable = true;
        return false;
    }
    checkpointer_start(db_url);
    if (pthread_create(&thread, NULL, committer_main, NULL) != 0) {
        checkpointer_stop();
        db_close(conn);
        conn = NULL;
        unavailable = true;
        return false;
    }
    started = true;
    return true;
}

int group_commit_submit(const char *db_url, store_tx_fn fn, void *ctx, group_commit_done done)
{
    struct gc_item *it = malloc(sizeof *it);
    if (!it) return -1;
    *it = (struct gc_item){.fn = fn, .ctx = ctx, .done = done};
    pthread_mutex_lock(&mu);
    if (stopping || !start(db_url) || queued >= GROUP_COMMIT_QUEUE_MAX) {
        pthread_mutex_unlock(&mu);
        free(it);
        return -1;
    }
    if (tail)
        tail->next = it;
    else
        head = it;
    tail = it;
    queued++;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&mu);
    return 0;
}

void group_commit_stats_get(struct group_commit_stats *out)
{
    *out = (struct group_commit_stats){
        .commits = atomic_load(&st_commits),
        .transactions = atomic_load(&st_transactions),
        .rolled_back = atomic_load(&st_rolled_back),
        .alone = atomic_load(&st_alone),
        .max_batch = atomic_load(&st_max_batch),
    };
}

void group_commit_stop(void)
{
    pthread_mutex_lock(&mu);
    bool was = started && !stopping;
    stopping = true;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&mu);
    if (!was) return;
    pthread_join(thread, NULL);
    checkpointer_stop();
    db_close(conn);
    conn = NULL;
}
