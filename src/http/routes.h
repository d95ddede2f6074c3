/* The one route table (routes.c), sorted by pattern then method. */
#ifndef FL_ROUTES_H
#define FL_ROUTES_H
#include <stddef.h>
#include <stdio.h>

#include "http/req.h"

extern const struct route route_table[];
extern const size_t route_count;

/* Finds the route for method + path. On a match fills *id / *param from the pattern's placeholder.
 * When no route matches, *path_known tells whether the path exists under another method (405). */
const struct route *route_find(const char *method, const char *path, int64_t *id, const char **param,
                               char *param_buf, size_t param_len, int *path_known);
/* Writes the table as JSON (for `fairlabel routes` and the OpenAPI test). */
void routes_write_json(FILE *out);

#endif
