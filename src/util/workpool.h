/* A small pool of threads for CPU-heavy work (argon2id) so event loops never block on it. */
#ifndef FL_WORKPOOL_H
#define FL_WORKPOOL_H
#include <event2/event.h>

/* Starts n threads; the queue holds at most max_queued jobs. 0 on success. */
int workpool_start(int n, int max_queued);
void workpool_stop(void);
/* Runs work(arg) on a pool thread, then done(arg) on base's loop thread. -1 when the queue is full
 * (the caller answers 503), 0 otherwise. */
int workpool_submit(struct event_base *base, void (*work)(void *), void (*done)(void *), void *arg);

#endif
