/* Shared by the import harnesses: a normalised schema per project kind, and the per-task check the
 * server runs on every imported line (src/api/tasks.c), so fuzzed imports go as deep as real ones; and by
 * every harness whose first byte is a selector: the upload after it. */
#ifndef FL_FUZZ_KINDS_H
#define FL_FUZZ_KINDS_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/import_formats.h"
#include "core/schema_kind.h"

/* The kind a selector byte names, and its schema (normalised by schema_check; owned here). */
enum project_kind fz_kind(uint8_t selector);
json_t *fz_schema(enum project_kind k);
/* An imp_task_fn: task_line_check against the kind in ctx (a struct fz_check). */
struct fz_check {
    enum project_kind kind;
    json_t *schema;
    size_t accepted;
};
int fz_check_line(void *ctx, json_t *line, struct verr *e);
/* For imp_kitti: fills data in with a stored point cloud, as the KITTI import does, then checks. */
int fz_kitti_line(void *ctx, json_t *line, struct verr *e);
/* imp_options for a kind, allowing the whole input. */
struct imp_options fz_imp_options(enum project_kind k, size_t len);
/* Checks the invariants every importer promises about its report; aborts when one breaks. */
void fz_report_check(long n, const struct imp_report *r, const struct fz_check *c);

/* The upload after the selector byte, data[1..size), as an exact-size heap copy, so ASan sees any read past
 * its end; NULL when size < 1 or out of memory. The caller frees it. */
unsigned char *fz_upload(const uint8_t *data, size_t size);

/* An importer with imp_csv's signature (imp_csv, imp_label_studio, imp_coco). */
typedef long (*fz_importer)(const char *p, size_t n, const struct imp_options *o, imp_task_fn cb, void *ctx,
                            struct imp_report *r);
/* The whole of such an importer's harness: data[0] picks the project kind, the rest is the upload; every task
 * it yields goes through fz_check_line and its report through fz_report_check. Returns 0. */
int fz_import_one(fz_importer imp, const uint8_t *data, size_t size);

#endif
