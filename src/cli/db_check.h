/* `fairlabel db check`: the database's own consistency check, for after a crash (docs/crash.md). */
#ifndef FL_DB_CHECK_H
#define FL_DB_CHECK_H
#include "store/db.h"

/* SQLite: PRAGMA integrity_check and foreign_key_check. PostgreSQL (no such check built in): reads every
 * table of the schema in full and prints its row count. Prints the verdict; 0 when it holds, 1 when not,
 * 2 when the database cannot be read. */
int cli_db_check(db *d);

#endif
