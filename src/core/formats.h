/* Export formats (docs/formats.md): each turns a project's tasks and answers into a file fed one task
 * at a time, so an export of any size streams in constant memory. Pure: output goes to a callback. */
#ifndef FL_FORMATS_H
#define FL_FORMATS_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/schema_kind.h"

/* Where the exported bytes go; write returns 0, or non-zero to abort the export. */
struct fmt_sink {
    int (*write)(void *ctx, const void *p, size_t n);
    void *ctx;
};

struct fmt_answer {
    int64_t assignment_id, worker_id, submitted_at_ms;
    json_t *answer; /* borrowed: the current version */
    const char *answer_text; /* its stored JSON text, for fmt_export_task_text; may be NULL */
    const char *review_state; /* none, pending, accepted, fixed (rejected answers are never exported); may be NULL */
    int64_t answer_version;
};

/* A task's aggregated answer, NULL result when there is none yet. */
struct fmt_result {
    json_t *answer; /* borrowed */
    const char *answer_text; /* its stored JSON text, for fmt_export_task_text; NULL without a result */
    const char *method;
    double confidence;
    int64_t version;
    int final;
};

/* One task and its submitted answers (oldest first), all borrowed for the call. */
struct fmt_task {
    int64_t task_id;
    const char *external_id; /* NULL when absent */
    json_t *data;
    int width, height;       /* a stored image's size (image_annotation), else 0 */
    json_t *predictions;     /* NULL when absent */
    const char *data_text, *predictions_text; /* the stored JSON texts, for fmt_export_task_text */
    const struct fmt_answer *answers;
    size_t n_answers;
    struct fmt_result result;
};

struct fmt_options {
    const char *media_url_prefix; /* prefix + media_id is a stored image's URL; NULL: "/api/v1/media/" */
    int64_t now_ms;               /* stamped on ZIP members */
    bool no_text_copy;            /* fmt_export_task_text always declines (to compare the two paths) */
};

typedef struct fmt_export fmt_export;

/* A format. Its hooks are called through fmt_export_* below, never directly. A two-pass format
 * (coco) needs the whole task sequence twice: fmt_export_task for every task, fmt_export_next_pass,
 * then fmt_export_task again for the same tasks in the same order. */
struct fmt_exporter {
    const char *name;         /* "jsonl", "label_studio", "coco", "yolo", "voc", "kitti", "conll", "csv" */
    const char *content_type; /* application/x-ndjson, application/json, text/csv, text/plain, application/zip */
    const char *extension;    /* file name suffix without the dot */
    unsigned kinds;           /* bit (1u << enum project_kind) per supported kind */
    int passes;               /* 1, or 2 (coco) */
    int (*begin)(fmt_export *x);
    int (*task)(fmt_export *x, const struct fmt_task *t);
    int (*task_text)(fmt_export *x, const struct fmt_task *t); /* see fmt_export_task_text; may be NULL */
    int (*between)(fmt_export *x); /* after pass 1 of a two-pass format; may be NULL */
    int (*end)(fmt_export *x);
};

/* The format of that name, or NULL. */
const struct fmt_exporter *fmt_exporter_for(const char *name);
/* True when the format can export projects of that kind. */
int fmt_exporter_supports(const struct fmt_exporter *e, enum project_kind k);
/* Comma-separated names of every format, for error messages. */
#define FMT_NAMES "jsonl, label_studio, coco, yolo, voc, kitti, conll, csv"

/* Starts an export of a project (kind name and normalised schema, borrowed until fmt_export_free).
 * NULL when the kind is unknown or unsupported or memory runs out; then err (if given) says why. */
fmt_export *fmt_export_begin(const struct fmt_exporter *e, const char *kind, json_t *schema,
                             const struct fmt_sink *sink, const struct fmt_options *opt, char *err, size_t errlen);
/* Each returns 0, or -1 when the sink failed or a task cannot be expressed in the format (an image
 * of unknown size for yolo, say); fmt_export_error() says which. The export is then dead: stop. */
int fmt_export_task(fmt_export *x, const struct fmt_task *t);
/* Writes the task from its stored JSON texts (the *_text fields; the json_t ones are not read) when the
 * format can copy them (jsonl): 1 when written, 0 when the caller must parse the texts and call
 * fmt_export_task (other formats, or a text the copy does not handle), -1 as fmt_export_task. The
 * bytes are exactly those fmt_export_task writes for the parsed texts. */
int fmt_export_task_text(fmt_export *x, const struct fmt_task *t);
int fmt_export_next_pass(fmt_export *x);
int fmt_export_end(fmt_export *x);
const char *fmt_export_error(const fmt_export *x);
void fmt_export_free(fmt_export *x);

/* Shared with the importers. */
/* The pre-annotation diff of an answer against predictions (docs/kinds.md): {"<objects|spans>":
 * ["kept"|"edited"|"added", …] (one per answer item), "removed": [prediction ids]}; NULL for kinds
 * without objects or spans, or when predictions is NULL. */
json_t *fmt_prediction_diff(enum project_kind k, json_t *predictions, json_t *answer);
/* Stored JSON text as json_loads (flags 0) then a dump with the exporters' flags (compact, reals to 15
 * significant digits) would write it, without building it (malloc'd, *len bytes); NULL when the text is
 * not JSON jansson loads, or is outside what the copy handles (the exporter then uses jansson). */
char *fmt_json_copy(const char *text, size_t *len);
/* A JSON number for v: an integer when v is integral (and small enough), else a real. */
json_t *fmt_number(double v);
/* KITTI camera-frame label values from a lidar-frame cuboid, and back (see docs/formats.md). */
void fmt_kitti_from_lidar(const double center[3], const double size_lwh[3], double yaw, double loc_cam[3],
                          double *rotation_y);
void fmt_kitti_to_lidar(const double loc_cam[3], const double dims_hwl[3], double rotation_y, double center[3],
                        double *yaw);

#endif
