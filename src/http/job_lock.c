/* Elects the server that runs the periodic jobs with a session-level advisory lock held on the jobs
 * thread's own connection: the jobs run on that same connection, so a server whose connection (and thus
 * lock) is gone cannot run them any more, and no two servers run one job at the same time. */
#include "http/job_lock.h"

#include "util/log.h"

bool job_lock_take(db *d)
{
    static bool held; /* last answer, to log changes only */
    db_stmt *s = db_q(d, Q_JOB_LOCK_TAKE);
    bool now = db_step(s) == DB_ROW && db_col_i64(s, 0) == 1;
    db_reset(s);
    if (now != held && db_kind_of(d) == DB_PG)
        log_msg(now ? "periodic jobs: this server runs them (advisory lock taken)"
                    : "periodic jobs: another server runs them");
    held = now;
    return now;
}
