/* Scheduled changes to the wage tables (FW-23): between the edit handlers of api/wages.c and the scheduling,
 * applying and withdrawing in api/wage_changes.c. */
#ifndef FL_WAGE_CHANGES_H
#define FL_WAGE_CHANGES_H
#include "core/wages.h"
#include "http/req.h"
#include "store/store.h"

/* The edit fields in CSV column order (the names of the JSON members). */
extern const char *const wage_benchmark_fields[WAGE_BENCHMARK_COLUMNS];
extern const char *const wage_country_fields[WAGE_COUNTRY_COLUMNS];

/* An admin's edit, parsed and checked field by field. */
struct wage_edit {
    bool is_benchmark;
    struct wage_benchmark b; /* when is_benchmark */
    struct wage_country c;   /* otherwise */
    const char *reason;
    const char *emergency_reason; /* NULL: the change waits for its comment period */
};

/* Checks the edit against the tables as they will stand after every earlier scheduled change, stores it with
 * its announcement in one transaction, and replies: 202 with the scheduled change, or, for an emergency that
 * lowers nothing, 200/201 with the row applied at once. */
void wage_edit_submit(req *r, const struct wage_edit *e);

/* The country's row as it will stand once every scheduled change applied (*found false: none). Runs its own
 * read transaction. */
store_rc wage_country_projected(db *d, const char *country, struct wage_country *out, bool *found);

#endif
