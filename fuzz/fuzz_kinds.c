/* Schemas and the per-line check for the import harnesses (fuzz_kinds.h). */
#include "fuzz/fuzz_kinds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/schema.h"
#include "core/validate.h"

/* One schema per kind, as a requester would send it (docs/kinds.md). */
static const char *const schema_text[KIND__COUNT] = {
    [KIND_TEXT_CLASSIFICATION] = "{\"labels\":[\"pos\",\"neg\"],\"multiple\":false}",
    [KIND_TEXT_SPANS] = "{\"entities\":[\"PER\",\"ORG\"],\"allow_overlap\":false,\"relations\":[\"works_for\"]}",
    [KIND_IMAGE_ANNOTATION] = "{\"classes\":[{\"name\":\"car\",\"tools\":[\"bbox\",\"polygon\",\"keypoints\"],"
                              "\"attributes\":[{\"name\":\"occluded\",\"type\":\"bool\"}],"
                              "\"skeleton\":{\"points\":[\"a\",\"b\"],\"edges\":[[0,1]]}}]}",
    [KIND_LIDAR_CUBOIDS] = "{\"classes\":[{\"name\":\"Car\"},{\"name\":\"Pedestrian\"}]}",
    [KIND_LLM_COMPARISON] = "{\"allow_tie\":true,\"criteria\":[\"helpfulness\"],\"rationale_min_chars\":1}",
    [KIND_FREE_TEXT] = "{\"min_chars\":1,\"max_chars\":5000}",
};

static json_t *schemas[KIND__COUNT];

enum project_kind fz_kind(uint8_t selector)
{
    return (enum project_kind)(selector % KIND__COUNT);
}

json_t *fz_schema(enum project_kind k)
{
    if (!schemas[k]) {
        json_t *raw = json_loads(schema_text[k], 0, NULL);
        struct verr e;
        schemas[k] = raw ? schema_check(k, raw, &e) : NULL;
        json_decref(raw);
        if (!schemas[k]) {
            fprintf(stderr, "fuzz: the %s schema is refused: %s %s\n", kind_name(k), e.field, e.detail);
            abort();
        }
    }
    return schemas[k];
}

int fz_check_line(void *ctx, json_t *line, struct verr *e)
{
    struct fz_check *c = ctx;
    struct task_line t;
    if (!task_line_check(c->kind, c->schema, line, &t, e)) return 1;
    /* The server stores these; they must serialise. */
    char *data = json_dumps(t.data, JSON_COMPACT);
    if (!data) abort();
    free(data);
    c->accepted++;
    return 0;
}

int fz_kitti_line(void *ctx, json_t *line, struct verr *e)
{
    json_object_set_new(line, "data", json_pack("{s:{s:s, s:i}}", "pointcloud", "media_id",
                                                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                                                "points", 100));
    return fz_check_line(ctx, line, e);
}

struct imp_options fz_imp_options(enum project_kind k, size_t len)
{
    return (struct imp_options){.kind = k, .schema = fz_schema(k), .max_bytes = len + 1};
}

void fz_report_check(long n, const struct imp_report *r, const struct fz_check *c)
{
    if (n >= 0 && (size_t)n != c->accepted) {
        fprintf(stderr, "fuzz: the importer returned %ld but the callback accepted %zu\n", n, c->accepted);
        abort();
    }
    if (r->n_stored > IMP_MAX_ERRORS || r->n_stored > r->n_errors) {
        fprintf(stderr, "fuzz: report holds %zu errors of %zu\n", r->n_stored, r->n_errors);
        abort();
    }
    for (size_t i = 0; i < r->n_stored; i++)
        if (!memchr(r->errors[i].field, '\0', sizeof r->errors[i].field) ||
            !memchr(r->errors[i].detail, '\0', sizeof r->errors[i].detail))
            abort();
}

unsigned char *fz_upload(const uint8_t *data, size_t size)
{
    if (size < 1) return NULL;
    unsigned char *p = malloc(size - 1 ? size - 1 : 1);
    if (p && size > 1) memcpy(p, data + 1, size - 1);
    return p;
}

int fz_import_one(fz_importer imp, const uint8_t *data, size_t size)
{
    unsigned char *p = fz_upload(data, size);
    if (!p) return 0;
    struct imp_report *r = malloc(sizeof *r);
    if (!r) {
        free(p);
        return 0;
    }
    enum project_kind k = fz_kind(data[0]);
    struct fz_check c = {.kind = k, .schema = fz_schema(k)};
    struct imp_options o = fz_imp_options(k, size);
    long n = imp((const char *)p, size - 1, &o, fz_check_line, &c, r);
    fz_report_check(n, r, &c);
    free(p);
    free(r);
    return 0;
}
