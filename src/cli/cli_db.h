/* The database a command works on. */
#ifndef FL_CLI_DB_H
#define FL_CLI_DB_H
#include "store/db.h"

/* url: --db, else FAIRLABEL_DB, else sqlite:DIR/fairlabel.db with DIR from data_dir (--data-dir), else
 * FAIRLABEL_DATA_DIR, else ./data. Opened, migrated and seeded with the wage tables; NULL after printing why. */
db *cli_db_open(const char *url, const char *data_dir);

#endif
