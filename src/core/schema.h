/* Project kinds and their label schemas: checking a schema, a task's data and an answer against it
 * (docs/kinds.md). Pure: no I/O. Field paths in errors are JSON pointers with the caller's prefix. */
#ifndef FL_SCHEMA_H
#define FL_SCHEMA_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/validate.h"

#include "core/schema_kind.h"

/* Checks schema for kind; returns a new normalised copy with defaults filled in, or NULL with e set
 * (paths under "/schema"). */
json_t *schema_check(enum project_kind k, json_t *schema, struct verr *e);
/* Checks a task's data (paths under "/data"). Image data must already carry the image's width and
 * height (the server fills them in for stored media). */
bool task_data_check(enum project_kind k, json_t *schema, json_t *data, struct verr *e);
/* Checks an answer (or a pre-annotation) for the task; paths under prefix ("/answer"). */
bool answer_check(enum project_kind k, json_t *schema, json_t *data, json_t *answer, const char *prefix,
                  struct verr *e);

/* True when the closed polygon (n points, x0 y0 x1 y1 …) has at least 3 points and no two
 * non-adjacent edges touch or cross. */
bool polygon_is_simple(const double *pts, size_t n);

/* Shape helpers shared with other checks. */
bool media_id_valid(const char *s); /* 64 lower-case hex digits (SHA-256) */

#endif
