/* Import formats (docs/formats.md): turn an uploaded CSV, Label Studio, COCO or KITTI file into native
 * task lines {"data":…, "external_id"?:…, "predictions"?:…}, one callback per task, with per-record
 * errors. Pure: the upload is a buffer; checking a line against the project's kind is the caller's. */
#ifndef FL_IMPORT_FORMATS_H
#define FL_IMPORT_FORMATS_H
#include <jansson.h>
#include <stddef.h>

#include "core/schema_kind.h"
#include "core/validate.h"

#define IMP_MAX_ERRORS 100

struct imp_error {
    size_t record;    /* 1-based: CSV data row (the header is not counted), array item, label line; 0 = file */
    size_t line;      /* CSV and KITTI: the physical line the record starts on; else 0 */
    char field[128];  /* JSON pointer or column name */
    char detail[256];
};

struct imp_report {
    struct imp_error errors[IMP_MAX_ERRORS]; /* the first IMP_MAX_ERRORS */
    size_t n_stored, n_errors;                /* stored, and all counted */
    size_t n_tasks;                           /* lines accepted by the callback */
};

/* Receives one task line (owned by the importer: incref to keep it). Returns 0 to accept it, 1 to
 * reject it with e filled in (recorded against the record), -1 to stop the import. */
typedef int (*imp_task_fn)(void *ctx, json_t *line, struct verr *e);

struct imp_options {
    enum project_kind kind;
    json_t *schema;               /* the project's normalised schema (borrowed) */
    size_t max_bytes;             /* larger uploads are refused whole */
    const char *media_url_prefix; /* as in fmt_options; NULL: "/api/v1/media/" */
};

/* Each returns the number of accepted tasks, or -1 when the upload as a whole is refused (too large,
 * not parseable, missing header) or the callback stopped it; r says why. Records with errors are
 * skipped and the rest still imported. r is cleared first. */

/* RFC 4180 CSV with a header row: column "text" becomes data.text, "external_id" the external id
 * (empty: none), every other column a string member of data. Quoted fields, "" escapes, embedded
 * newlines, CRLF or LF, a missing final newline; a row with another field count is an error. */
long imp_csv(const char *p, size_t n, const struct imp_options *o, imp_task_fn cb, void *ctx, struct imp_report *r);
/* A Label Studio JSON array of tasks: data as is (an image URL string becomes {"url"} or
 * {"media_id"}), meta.external_id or the LS id as external id, predictions[0].result converted
 * back to our answer format (text_classification, text_spans, image_annotation). */
long imp_label_studio(const char *p, size_t n, const struct imp_options *o, imp_task_fn cb, void *ctx,
                      struct imp_report *r);
/* A COCO document: one task per image (data.image = {"url": coco_url or file_name, width, height}),
 * its annotations as prediction objects with ids "coco-<annotation id>". */
long imp_coco(const char *p, size_t n, const struct imp_options *o, imp_task_fn cb, void *ctx, struct imp_report *r);
/* One KITTI label_2 file for the frame named frame: its objects (DontCare skipped) as lidar_cuboids
 * predictions {"objects": […]} with ids "kitti-<line>", converted back to the lidar frame. The line
 * passed to cb is {"external_id": frame, "data": {}, "predictions": …}: the caller fills data in
 * (the point cloud) before checking it. */
long imp_kitti(const char *frame, const char *p, size_t n, const struct imp_options *o, imp_task_fn cb, void *ctx,
               struct imp_report *r);

/* NDJSON fast path: the text of top-level member name of the JSON object line[0..n) when it is byte for
 * byte what json_dumps(value, JSON_COMPACT) writes for it, so it can be stored as received; NULL when it is
 * absent or not in that form (whitespace, a real, -0, a \u or \/ escape), or a top-level key has an escape.
 * Call it only on a line jansson parsed with JSON_REJECT_DUPLICATES. */
const char *imp_compact_member(const char *line, size_t n, const char *name, size_t *len);

/* NDJSON fast path for the commonest lines: {"data": {…}, "external_id"?: "…", "priority"?: n} of a
 * text_classification, text_spans or free_text project, data holding only strings, integers, booleans and
 * nulls written compactly. Fills t and returns true only when jansson and task_line_check would accept the line
 * and json_dumps(JSON_COMPACT) would write its data as it stands (tests/unit/test_import_compact.c checks
 * this against them); false means "take the general path", never "invalid". */
struct imp_simple_task {
    const char *data, *external_id; /* spans of the line; external_id NULL when absent or null */
    size_t data_len, external_id_len;
    int64_t priority;
};
bool imp_simple_line(const char *line, size_t n, enum project_kind kind, struct imp_simple_task *t);

#endif
