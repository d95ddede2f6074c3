/* The background polling thread shared by the callback and mail senders. */
#include "http/poller.h"

#include <time.h>

static void *poller_main(void *arg)
{
    struct poller *p = arg;
    db *d = NULL;
    char err[256];
    for (;;) {
        pthread_mutex_lock(&p->mu);
        if (!p->stopping) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += p->period_ms / 1000;
            ts.tv_nsec += (p->period_ms % 1000) * 1000000;
            if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
            pthread_cond_timedwait(&p->cv, &p->mu, &ts);
        }
        bool stop = p->stopping;
        pthread_mutex_unlock(&p->mu);
        if (stop) break;
        if (!d && db_open(p->db_url, &d, err, sizeof err)) {
            d = NULL;
            continue; /* the database comes back, or shutdown ends the loop */
        }
        p->tick(d, p->ctx);
    }
    db_close(d);
    return NULL;
}

int poller_start(struct poller *p)
{
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->stopping = false;
    if (pthread_create(&p->thread, NULL, poller_main, p)) return -1;
    p->running = true;
    return 0;
}

void poller_stop(struct poller *p)
{
    if (!p->running) return;
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    p->running = false;
}
