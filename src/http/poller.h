/* A background thread with its own database connection that calls tick about every period_ms until it is
 * stopped: the shape of the callback sender and the mail sender. The connection is (re)opened on demand, so
 * a database that goes away and comes back is picked up again. */
#ifndef FL_POLLER_H
#define FL_POLLER_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/db.h"

struct poller {
    const char *db_url;
    int64_t period_ms;
    void (*tick)(db *d, void *ctx);
    void *ctx;
    /* private */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stopping, running;
};

/* 0, or -1 when the thread cannot start. */
int poller_start(struct poller *p);
/* Wakes the thread, lets the tick in hand finish, joins it and closes its connection. */
void poller_stop(struct poller *p);

#endif
