/* Opening the database for a command: defaults, migrations and the wage-table seed in one place. */
#include "cli/cli_db.h"

#include <stdio.h>
#include <stdlib.h>

#include "api/wage_tables.h"
#include "store/store.h"

static const char *env_set(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

db *cli_db_open(const char *url, const char *data_dir)
{
    char dflt[4200], err[512];
    if (!url) url = env_set("FAIRLABEL_DB");
    if (!url) {
        if (!data_dir) data_dir = env_set("FAIRLABEL_DATA_DIR");
        snprintf(dflt, sizeof dflt, "sqlite:%s/fairlabel.db", data_dir ? data_dir : "./data");
        url = dflt;
    }
    db *d;
    if (db_open(url, &d, err, sizeof err)) {
        fprintf(stderr, "fairlabel: %s\n", err);
        return NULL;
    }
    if (store_migrate(d, err, sizeof err) || wage_seed(d, err, sizeof err)) {
        fprintf(stderr, "fairlabel: %s\n", err);
        db_close(d);
        return NULL;
    }
    return d;
}
