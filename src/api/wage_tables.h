/* The wage benchmark tables in force and the platform floor: what FW-5 (claims, project checks), FW-6
 * (top-ups), FW-7 (task cards), FW-8 (qualification pay) and the quarterly report measure pay against. */
#ifndef FL_WAGE_TABLES_H
#define FL_WAGE_TABLES_H
#include "core/wages.h"
#include "store/store.h"

struct wage_set {
    struct wage_tables t;        /* points into b and c */
    struct wage_benchmark *b;    /* malloc'd */
    size_t nb;
    struct wage_country *c;      /* malloc'd */
    size_t nc;
    int64_t version;             /* changes whenever an admin edits the tables */
};

/* Loads the tables in force. DB_ERROR when they cannot be read or do not parse. */
db_rc wage_set_load(db *d, struct wage_set *out);
void wage_set_free(struct wage_set *s);

/* The platform floor in USD micros per hour: FAIRLABEL_PLATFORM_FLOOR_USD_MICROS, default 2000000 (2 USD). */
int64_t wage_platform_floor_usd_micros(void);

#endif
