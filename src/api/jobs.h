/* Periodic jobs run by the background thread (http/callback_sender.c) about once a second. Each one does
 * a bounded amount of work per call, in its own transactions, and is safe when several servers sharing a
 * database run it at once (idempotent ledger keys, conditional updates, SKIP LOCKED). Returns 0, or -1
 * after logging a failure. */
#ifndef FL_JOBS_H
#define FL_JOBS_H
#include "http/req.h"

struct job {
    const char *name;
    int (*run)(db *d, const struct server_config *cfg, int64_t now);
};

/* answers nobody reviewed within their project's window are approved (FW-2); api/pay_flow.c */
int job_auto_approve(db *d, const struct server_config *cfg, int64_t now);

#endif
