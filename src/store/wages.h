/* The wage benchmark tables as stored (migration 0009): rows in and out of the core structs, the version
 * row and the change history. Every function runs inside a store_run transaction. */
#ifndef FL_STORE_WAGES_H
#define FL_STORE_WAGES_H
#include <jansson.h>

#include "core/wages.h"
#include "store/store.h"

/* A row's fields as the CSV writes them (amounts without trailing zeros, dates as given). */
struct wage_benchmark_text {
    char f[WAGE_BENCHMARK_COLUMNS][WAGE_SOURCE_MAX];
};
struct wage_country_text {
    char f[WAGE_COUNTRY_COLUMNS][WAGE_SOURCE_MAX];
};
void store_wage_benchmark_text(const struct wage_benchmark *b, struct wage_benchmark_text *t);
void store_wage_country_text(const struct wage_country *c, struct wage_country_text *t);
/* {"country": …, …} keyed by the CSV column names, values as text. */
json_t *store_wage_benchmark_json(const struct wage_benchmark *b);
json_t *store_wage_country_json(const struct wage_country *c);

db_rc store_wage_version(db *d, int64_t *version);
db_rc store_wage_version_bump(db *d, int64_t now, int64_t *version);
/* Both tables in table order, malloc'd (the caller frees them), each row parsed with the core checks:
 * DB_ERROR when a stored row does not parse. */
db_rc store_wage_tables_read(db *d, struct wage_benchmark **b, size_t *nb, struct wage_country **c, size_t *nc);
/* DB_ROW with *out filled, DB_DONE when there is no such row. */
db_rc store_wage_benchmark_get(db *d, const char *country, const char *region, enum wage_kind kind,
                               struct wage_benchmark *out);
db_rc store_wage_country_get(db *d, const char *country, struct wage_country *out);
/* Inserts or replaces the row of the same key; a new row goes last in table order. */
db_rc store_wage_benchmark_put(db *d, const struct wage_benchmark *b, int64_t now);
db_rc store_wage_country_put(db *d, const struct wage_country *c, int64_t now);
/* old_json NULL: a new row; admin_id 0: the system (the seed). */
db_rc store_wage_history_add(db *d, int64_t version, const char *table, const char *key, const char *old_json,
                             const char *new_json, int64_t admin_id, const char *reason, int64_t now);

#endif
