/* One runner of the periodic jobs among the servers sharing a PostgreSQL database (docs/scaling.md). */
#ifndef FL_JOB_LOCK_H
#define FL_JOB_LOCK_H
#include <stdbool.h>

#include "store/db.h"

/* True when this connection holds (or just took) the jobs' session advisory lock; always true on SQLite,
 * where one server owns the file. The lock lives as long as the connection: a server that dies or loses
 * its connection frees it, and another server's next call takes it. Call from one thread only. */
bool job_lock_take(db *d);

#endif
