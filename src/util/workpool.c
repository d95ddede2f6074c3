/* Work pool (see workpool.h): a mutex-protected FIFO and n threads; completions go back to the
 * submitting loop with event_base_once, which is thread-safe once evthread_use_pthreads ran. */
#include "util/workpool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct job {
    struct job *next;
    struct event_base *base;
    void (*work)(void *), (*done)(void *);
    void *arg;
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t ready;
    struct job *head, *tail;
    int queued, max_queued, nthreads;
    bool stopping;
    pthread_t *threads;
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .ready = PTHREAD_COND_INITIALIZER};

static void job_done(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct job *j = arg;
    j->done(j->arg);
    free(j);
}

static void *pool_main(void *unused)
{
    (void)unused;
    for (;;) {
        pthread_mutex_lock(&pool.lock);
        while (!pool.head && !pool.stopping) pthread_cond_wait(&pool.ready, &pool.lock);
        struct job *j = pool.head;
        if (!j) {
            pthread_mutex_unlock(&pool.lock);
            return NULL;
        }
        pool.head = j->next;
        if (!pool.head) pool.tail = NULL;
        pool.queued--;
        pthread_mutex_unlock(&pool.lock);
        j->work(j->arg);
        struct timeval now = {0, 0};
        event_base_once(j->base, -1, EV_TIMEOUT, job_done, j, &now);
    }
}

int workpool_start(int n, int max_queued)
{
    pool.threads = calloc((size_t)n, sizeof *pool.threads);
    if (!pool.threads) return -1;
    pool.max_queued = max_queued;
    pool.stopping = false;
    for (int i = 0; i < n; i++) {
        if (pthread_create(&pool.threads[i], NULL, pool_main, NULL)) return -1;
        pool.nthreads++;
    }
    return 0;
}

/* Finishes the queued jobs, then joins the threads; call after the loops stopped taking work. */
void workpool_stop(void)
{
    pthread_mutex_lock(&pool.lock);
    pool.stopping = true;
    pthread_cond_broadcast(&pool.ready);
    pthread_mutex_unlock(&pool.lock);
    for (int i = 0; i < pool.nthreads; i++) pthread_join(pool.threads[i], NULL);
    free(pool.threads);
    pool.threads = NULL;
    pool.nthreads = 0;
}

int workpool_submit(struct event_base *base, void (*work)(void *), void (*done)(void *), void *arg)
{
    struct job *j = malloc(sizeof *j);
    if (!j) return -1;
    *j = (struct job){.base = base, .work = work, .done = done, .arg = arg};
    pthread_mutex_lock(&pool.lock);
    if (pool.queued >= pool.max_queued || pool.stopping) {
        pthread_mutex_unlock(&pool.lock);
        free(j);
        return -1;
    }
    if (pool.tail)
        pool.tail->next = j;
    else
        pool.head = j;
    pool.tail = j;
    pool.queued++;
    pthread_cond_signal(&pool.ready);
    pthread_mutex_unlock(&pool.lock);
    return 0;
}
