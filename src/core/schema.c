/* Kind schemas, task data and answers (see schema.h and docs/kinds.md). */
#include "core/schema.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OBJECTS 10000
#define MAX_POLYGON_POINTS 1000
#define MAX_SPANS 10000
#define MAX_COORD 1e5

static const char *const kind_names[KIND__COUNT] = {
    "text_classification", "text_spans", "image_annotation", "lidar_cuboids", "llm_comparison", "free_text",
};

bool kind_parse(const char *name, enum project_kind *out)
{
    for (int k = 0; name && k < KIND__COUNT; k++)
        if (!strcmp(name, kind_names[k])) {
            *out = (enum project_kind)k;
            return true;
        }
    return false;
}

const char *kind_name(enum project_kind k) { return k < KIND__COUNT ? kind_names[k] : "unknown"; }

/* Sets e: field is a printf format for the path, detail a plain message. Always returns false. */
static bool bad(struct verr *e, const char *detail, const char *field_fmt, ...) __attribute__((format(printf, 3, 4)));
static bool bad(struct verr *e, const char *detail, const char *field_fmt, ...)
{
    va_list ap;
    va_start(ap, field_fmt);
    vsnprintf(e->field, sizeof e->field, field_fmt, ap);
    va_end(ap);
    snprintf(e->detail, sizeof e->detail, "%s %s", e->field, detail);
    return false;
}

bool media_id_valid(const char *s)
{
    if (!s || strlen(s) != 64) return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return false;
    return true;
}

static bool is_bool_or_absent(json_t *o, const char *key) { json_t *v = json_object_get(o, key); return !v || json_is_boolean(v); }

static bool only_keys(json_t *obj, const char *path, const char *const *keys, struct verr *e)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        bool ok = false;
        for (const char *const *k = keys; *k && !ok; k++) ok = !strcmp(*k, key);
        if (!ok) return bad(e, "is not a known field", "%s/%s", path, key);
    }
    return true;
}

/* A list of 1..max distinct strings of 1..100 characters. */
static bool string_list(json_t *v, const char *path, size_t min, size_t max, struct verr *e)
{
    if (!json_is_array(v)) return bad(e, "must be an array of strings", "%s", path);
    size_t n = json_array_size(v);
    if (n < min || n > max) {
        char msg[64];
        snprintf(msg, sizeof msg, "must have between %zu and %zu entries", min, max);
        return bad(e, msg, "%s", path);
    }
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(v, i);
        if (!json_is_string(s) || strlen(json_string_value(s)) != json_string_length(s))
            return bad(e, "must be a string", "%s/%zu", path, i);
        size_t len = utf8_length(json_string_value(s));
        if (len < 1 || len > 100) return bad(e, "must have 1 to 100 characters", "%s/%zu", path, i);
        for (size_t j = 0; j < i; j++)
            if (json_equal(s, json_array_get(v, j))) return bad(e, "appears twice", "%s/%zu", path, i);
    }
    return true;
}

static bool in_list(json_t *list, const char *s)
{
    for (size_t i = 0; i < json_array_size(list); i++)
        if (!strcmp(json_string_value(json_array_get(list, i)), s)) return true;
    return false;
}

static bool int_in(json_t *v, json_int_t min, json_int_t max)
{
    return json_is_integer(v) && json_integer_value(v) >= min && json_integer_value(v) <= max;
}

static bool finite_number(json_t *v, double *out)
{
    if (!json_is_number(v)) return false;
    double d = json_number_value(v);
    if (!isfinite(d) || fabs(d) > MAX_COORD) return false;
    *out = d;
    return true;
}

/* A string member of 1..max code points. */
static bool text_member(json_t *obj, const char *key, const char *path, size_t min, size_t max, struct verr *e)
{
    json_t *v = json_object_get(obj, key);
    if (!v) return bad(e, "is required", "%s/%s", path, key);
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
        return bad(e, "must be a string", "%s/%s", path, key);
    size_t n = utf8_length(json_string_value(v));
    if (n < min || n > max) {
        char msg[80];
        snprintf(msg, sizeof msg, "must have %zu to %zu characters", min, max);
        return bad(e, msg, "%s/%s", path, key);
    }
    return true;
}

/* ---- schemas ---- */

static bool attributes_schema(json_t *attrs, const char *path, struct verr *e)
{
    static const char *const keys[] = {"name", "type", "values", "max_chars", NULL};
    if (!json_is_array(attrs) || json_array_size(attrs) > 50)
        return bad(e, "must be an array of at most 50 attributes", "%s", path);
    for (size_t i = 0; i < json_array_size(attrs); i++) {
        json_t *a = json_array_get(attrs, i);
        char p[128];
        snprintf(p, sizeof p, "%s/%zu", path, i);
        if (!json_is_object(a)) return bad(e, "must be an object", "%s", p);
        if (!only_keys(a, p, keys, e) || !text_member(a, "name", p, 1, 100, e)) return false;
        for (size_t j = 0; j < i; j++)
            if (json_equal(json_object_get(a, "name"), json_object_get(json_array_get(attrs, j), "name")))
                return bad(e, "appears twice", "%s/name", p);
        const char *type = json_string_value(json_object_get(a, "type"));
        if (!type || (strcmp(type, "bool") && strcmp(type, "enum") && strcmp(type, "text")))
            return bad(e, "must be \"bool\", \"enum\" or \"text\"", "%s/type", p);
        json_t *values = json_object_get(a, "values");
        if (!strcmp(type, "enum")) {
            char vp[160];
            snprintf(vp, sizeof vp, "%s/values", p);
            if (!string_list(values, vp, 1, 100, e)) return false;
        } else if (values) {
            return bad(e, "is only for enum attributes", "%s/values", p);
        }
        json_t *mc = json_object_get(a, "max_chars");
        if (mc && (strcmp(type, "text") || !int_in(mc, 1, 10000)))
            return bad(e, "must be an integer from 1 to 10000, for text attributes", "%s/max_chars", p);
    }
    return true;
}

static bool classes_schema(json_t *classes, bool image, struct verr *e)
{
    static const char *const image_keys[] = {"name", "tools", "attributes", "skeleton", NULL};
    static const char *const lidar_keys[] = {"name", "attributes", NULL};
    if (!json_is_array(classes) || json_array_size(classes) < 1 || json_array_size(classes) > 200)
        return bad(e, "must be an array of 1 to 200 classes", "/schema/classes");
    for (size_t i = 0; i < json_array_size(classes); i++) {
        json_t *c = json_array_get(classes, i);
        char p[64];
        snprintf(p, sizeof p, "/schema/classes/%zu", i);
        if (!json_is_object(c)) return bad(e, "must be an object", "%s", p);
        if (!only_keys(c, p, image ? image_keys : lidar_keys, e) || !text_member(c, "name", p, 1, 100, e))
            return false;
        for (size_t j = 0; j < i; j++)
            if (json_equal(json_object_get(c, "name"), json_object_get(json_array_get(classes, j), "name")))
                return bad(e, "appears twice", "%s/name", p);
        char sub[96];
        if (!json_object_get(c, "attributes")) json_object_set_new(c, "attributes", json_array());
        snprintf(sub, sizeof sub, "%s/attributes", p);
        if (!attributes_schema(json_object_get(c, "attributes"), sub, e)) return false;
        if (!image) continue;
        json_t *tools = json_object_get(c, "tools");
        snprintf(sub, sizeof sub, "%s/tools", p);
        if (!string_list(tools, sub, 1, 3, e)) return false;
        bool keypoints = false;
        for (size_t t = 0; t < json_array_size(tools); t++) {
            const char *tool = json_string_value(json_array_get(tools, t));
            if (strcmp(tool, "bbox") && strcmp(tool, "polygon") && strcmp(tool, "keypoints"))
                return bad(e, "must be \"bbox\", \"polygon\" or \"keypoints\"", "%s/%zu", sub, t);
            keypoints |= !strcmp(tool, "keypoints");
        }
        json_t *sk = json_object_get(c, "skeleton");
        if (keypoints != (sk != NULL))
            return bad(e, keypoints ? "is required with the keypoints tool" : "is only for the keypoints tool",
                       "%s/skeleton", p);
        if (!sk) continue;
        snprintf(sub, sizeof sub, "%s/skeleton", p);
        static const char *const sk_keys[] = {"points", "edges", NULL};
        if (!json_is_object(sk) || !only_keys(sk, sub, sk_keys, e)) return json_is_object(sk) ? false : bad(e, "must be an object", "%s", sub);
        char pts[128];
        snprintf(pts, sizeof pts, "%s/points", sub);
        if (!string_list(json_object_get(sk, "points"), pts, 1, 100, e)) return false;
        size_t np = json_array_size(json_object_get(sk, "points"));
        json_t *edges = json_object_get(sk, "edges");
        if (!edges) json_object_set_new(sk, "edges", edges = json_array());
        if (!json_is_array(edges)) return bad(e, "must be an array of [from, to] pairs", "%s/edges", sub);
        for (size_t k = 0; k < json_array_size(edges); k++) {
            json_t *ed = json_array_get(edges, k);
            if (!json_is_array(ed) || json_array_size(ed) != 2 || !int_in(json_array_get(ed, 0), 0, (json_int_t)np - 1) ||
                !int_in(json_array_get(ed, 1), 0, (json_int_t)np - 1))
                return bad(e, "must be a pair of skeleton point indexes", "%s/edges/%zu", sub, k);
        }
    }
    return true;
}

json_t *schema_check(enum project_kind k, json_t *schema_in, struct verr *e)
{
    if (!json_is_object(schema_in)) {
        bad(e, "must be an object", "/schema");
        return NULL;
    }
    json_t *s = json_deep_copy(schema_in);
    bool ok = false;
    switch (k) {
    case KIND_TEXT_CLASSIFICATION: {
        static const char *const keys[] = {"labels", "multiple", NULL};
        ok = only_keys(s, "/schema", keys, e) && string_list(json_object_get(s, "labels"), "/schema/labels", 2, 50, e);
        if (ok && !is_bool_or_absent(s, "multiple")) ok = bad(e, "must be true or false", "/schema/multiple");
        if (ok && !json_object_get(s, "multiple")) json_object_set_new(s, "multiple", json_false());
        break;
    }
    case KIND_TEXT_SPANS: {
        static const char *const keys[] = {"entities", "allow_overlap", "relations", NULL};
        if (!json_object_get(s, "relations")) json_object_set_new(s, "relations", json_array());
        ok = only_keys(s, "/schema", keys, e) &&
             string_list(json_object_get(s, "entities"), "/schema/entities", 1, 50, e) &&
             string_list(json_object_get(s, "relations"), "/schema/relations", 0, 50, e);
        if (ok && !is_bool_or_absent(s, "allow_overlap")) ok = bad(e, "must be true or false", "/schema/allow_overlap");
        if (ok && !json_object_get(s, "allow_overlap")) json_object_set_new(s, "allow_overlap", json_false());
        break;
    }
    case KIND_IMAGE_ANNOTATION:
    case KIND_LIDAR_CUBOIDS: {
        static const char *const keys[] = {"classes", NULL};
        ok = only_keys(s, "/schema", keys, e) &&
             classes_schema(json_object_get(s, "classes"), k == KIND_IMAGE_ANNOTATION, e);
        break;
    }
    case KIND_LLM_COMPARISON: {
        static const char *const keys[] = {"allow_tie", "criteria", "rationale_min_chars", NULL};
        if (!json_object_get(s, "criteria")) json_object_set_new(s, "criteria", json_array());
        if (!json_object_get(s, "allow_tie")) json_object_set_new(s, "allow_tie", json_false());
        if (!json_object_get(s, "rationale_min_chars")) json_object_set_new(s, "rationale_min_chars", json_integer(0));
        ok = only_keys(s, "/schema", keys, e) && string_list(json_object_get(s, "criteria"), "/schema/criteria", 0, 20, e);
        if (ok && !json_is_boolean(json_object_get(s, "allow_tie"))) ok = bad(e, "must be true or false", "/schema/allow_tie");
        if (ok && !int_in(json_object_get(s, "rationale_min_chars"), 0, 10000))
            ok = bad(e, "must be an integer from 0 to 10000", "/schema/rationale_min_chars");
        break;
    }
    case KIND_FREE_TEXT: {
        static const char *const keys[] = {"min_chars", "max_chars", NULL};
        if (!json_object_get(s, "min_chars")) json_object_set_new(s, "min_chars", json_integer(1));
        if (!json_object_get(s, "max_chars")) json_object_set_new(s, "max_chars", json_integer(5000));
        ok = only_keys(s, "/schema", keys, e);
        if (ok && !int_in(json_object_get(s, "min_chars"), 0, 100000))
            ok = bad(e, "must be an integer from 0 to 100000", "/schema/min_chars");
        if (ok && !int_in(json_object_get(s, "max_chars"), json_integer_value(json_object_get(s, "min_chars")), 100000))
            ok = bad(e, "must be an integer from min_chars to 100000", "/schema/max_chars");
        if (ok && json_integer_value(json_object_get(s, "max_chars")) < 1)
            ok = bad(e, "must be at least 1", "/schema/max_chars");
        break;
    }
    default: ok = bad(e, "is not a known kind", "/kind");
    }
    if (!ok) {
        json_decref(s);
        return NULL;
    }
    return s;
}

/* ---- task data ---- */

static bool image_ref(json_t *img, const char *path, bool need_size, struct verr *e)
{
    static const char *const keys[] = {"media_id", "url", "width", "height", NULL};
    if (!json_is_object(img)) return bad(e, "must be an object with media_id or url", "%s", path);
    if (!only_keys(img, path, keys, e)) return false;
    json_t *id = json_object_get(img, "media_id"), *url = json_object_get(img, "url");
    if ((id != NULL) == (url != NULL)) return bad(e, "needs exactly one of media_id and url", "%s", path);
    if (id && !media_id_valid(json_string_value(id)))
        return bad(e, "must be the 64-hex-digit id of uploaded media", "%s/media_id", path);
    if (url) {
        const char *u = json_string_value(url);
        if (!u || strncmp(u, "https://", 8) || strlen(u) > 2000 || strpbrk(u, " \"<>\\"))
            return bad(e, "must be an https:// URL", "%s/url", path);
    }
    if (need_size || url || json_object_get(img, "width"))
        if (!int_in(json_object_get(img, "width"), 1, 20000) || !int_in(json_object_get(img, "height"), 1, 20000))
            return bad(e, "needs width and height (integers 1 to 20000) for an external image", "%s", path);
    return true;
}

bool task_data_check(enum project_kind k, json_t *schema, json_t *data, struct verr *e)
{
    if (!json_is_object(data)) return bad(e, "must be an object", "/data");
    switch (k) {
    case KIND_TEXT_CLASSIFICATION:
    case KIND_TEXT_SPANS: return text_member(data, "text", "/data", 1, TASK_TEXT_MAX_CHARS, e);
    case KIND_IMAGE_ANNOTATION: return image_ref(json_object_get(data, "image"), "/data/image", true, e);
    case KIND_LIDAR_CUBOIDS: {
        json_t *pc = json_object_get(data, "pointcloud");
        static const char *const keys[] = {"media_id", "points", NULL};
        if (!json_is_object(pc)) return bad(e, "must be {\"media_id\": …} of an uploaded point cloud", "/data/pointcloud");
        if (!only_keys(pc, "/data/pointcloud", keys, e)) return false;
        if (!media_id_valid(json_string_value(json_object_get(pc, "media_id"))))
            return bad(e, "must be the 64-hex-digit id of an uploaded point cloud", "/data/pointcloud/media_id");
        json_t *imgs = json_object_get(data, "images");
        if (imgs && (!json_is_array(imgs) || json_array_size(imgs) > 10))
            return bad(e, "must be an array of at most 10 images", "/data/images");
        for (size_t i = 0; imgs && i < json_array_size(imgs); i++) {
            char p[48];
            snprintf(p, sizeof p, "/data/images/%zu", i);
            if (!image_ref(json_array_get(imgs, i), p, false, e)) return false;
        }
        return true;
    }
    case KIND_LLM_COMPARISON: {
        if (!text_member(data, "prompt", "/data", 1, 200000, e)) return false;
        json_t *rs = json_object_get(data, "responses");
        if (!json_is_array(rs) || json_array_size(rs) < 2 || json_array_size(rs) > 4)
            return bad(e, "must be an array of 2 to 4 responses", "/data/responses");
        static const char *const keys[] = {"id", "text", "model", NULL};
        for (size_t i = 0; i < json_array_size(rs); i++) {
            json_t *r = json_array_get(rs, i);
            char p[48];
            snprintf(p, sizeof p, "/data/responses/%zu", i);
            if (!json_is_object(r)) return bad(e, "must be an object", "%s", p);
            if (!only_keys(r, p, keys, e) || !text_member(r, "id", p, 1, 64, e) || !text_member(r, "text", p, 1, 200000, e))
                return false;
            if (!strcmp(json_string_value(json_object_get(r, "id")), "tie"))
                return bad(e, "must not be \"tie\" (that word means a tie)", "%s/id", p);
            for (size_t j = 0; j < i; j++)
                if (json_equal(json_object_get(r, "id"), json_object_get(json_array_get(rs, j), "id")))
                    return bad(e, "appears twice", "%s/id", p);
        }
        return true;
    }
    case KIND_FREE_TEXT: return true;
    default: (void)schema; return bad(e, "is not a known kind", "/kind");
    }
}

/* ---- answers ---- */

static json_t *find_named(json_t *arr, const char *name)
{
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *c = json_array_get(arr, i);
        if (!strcmp(json_string_value(json_object_get(c, "name")), name)) return c;
    }
    return NULL;
}

static bool attributes_answer(json_t *cls, json_t *attrs, const char *path, struct verr *e)
{
    if (!attrs) return true;
    if (!json_is_object(attrs)) return bad(e, "must be an object", "%s/attributes", path);
    const char *key;
    json_t *v;
    json_object_foreach(attrs, key, v) {
        json_t *def = find_named(json_object_get(cls, "attributes"), key);
        if (!def) return bad(e, "is not an attribute of this class", "%s/attributes/%s", path, key);
        const char *type = json_string_value(json_object_get(def, "type"));
        if (!strcmp(type, "bool") && !json_is_boolean(v)) return bad(e, "must be true or false", "%s/attributes/%s", path, key);
        if (!strcmp(type, "enum") && (!json_is_string(v) || !in_list(json_object_get(def, "values"), json_string_value(v))))
            return bad(e, "must be one of the attribute's values", "%s/attributes/%s", path, key);
        if (!strcmp(type, "text")) {
            json_t *mc = json_object_get(def, "max_chars");
            size_t max = mc ? (size_t)json_integer_value(mc) : 1000;
            if (!json_is_string(v) || utf8_length(json_string_value(v)) > max)
                return bad(e, "must be a string within the attribute's max_chars", "%s/attributes/%s", path, key);
        }
    }
    return true;
}

/* Reads an array of n finite numbers. */
static bool numbers(json_t *v, size_t n, double *out)
{
    if (!json_is_array(v) || json_array_size(v) != n) return false;
    for (size_t i = 0; i < n; i++)
        if (!finite_number(json_array_get(v, i), &out[i])) return false;
    return true;
}

static double cross(double ax, double ay, double bx, double by, double cx, double cy)
{
    return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
}

/* Proper or touching intersection of segments p1p2 and p3p4. */
static bool segments_cross(const double *p1, const double *p2, const double *p3, const double *p4)
{
    double d1 = cross(p3[0], p3[1], p4[0], p4[1], p1[0], p1[1]);
    double d2 = cross(p3[0], p3[1], p4[0], p4[1], p2[0], p2[1]);
    double d3 = cross(p1[0], p1[1], p2[0], p2[1], p3[0], p3[1]);
    double d4 = cross(p1[0], p1[1], p2[0], p2[1], p4[0], p4[1]);
    if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) return true;
    /* collinear overlaps */
#define ON(a, b, c, d) (d == 0 && fmin(a[0], b[0]) <= c[0] && c[0] <= fmax(a[0], b[0]) && fmin(a[1], b[1]) <= c[1] && c[1] <= fmax(a[1], b[1]))
    return ON(p3, p4, p1, d1) || ON(p3, p4, p2, d2) || ON(p1, p2, p3, d3) || ON(p1, p2, p4, d4);
#undef ON
}

/* Index of the first edge that crosses a non-adjacent edge, or -1 (simple polygon). */
static long polygon_self_intersection(const double *pts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const double *a = &pts[2 * i], *b = &pts[2 * ((i + 1) % n)];
        for (size_t j = i + 1; j < n; j++) {
            if (j == i + 1 || (i == 0 && j == n - 1)) continue; /* neighbours share a vertex */
            const double *c = &pts[2 * j], *d = &pts[2 * ((j + 1) % n)];
            if (segments_cross(a, b, c, d)) return (long)j;
        }
    }
    return -1;
}

bool polygon_is_simple(const double *pts, size_t n) { return n >= 3 && polygon_self_intersection(pts, n) < 0; }

static bool image_object(json_t *schema, json_t *obj, const char *p, double W, double H, struct verr *e)
{
    static const char *const keys[] = {"id", "class", "type", "bbox", "points", "keypoints", "attributes", NULL};
    if (!json_is_object(obj)) return bad(e, "must be an object", "%s", p);
    if (!only_keys(obj, p, keys, e)) return false;
    json_t *id = json_object_get(obj, "id");
    if (id && (!json_is_string(id) || json_string_length(id) > 100)) return bad(e, "must be a string of at most 100 bytes", "%s/id", p);
    const char *cname = json_string_value(json_object_get(obj, "class"));
    json_t *cls = cname ? find_named(json_object_get(schema, "classes"), cname) : NULL;
    if (!cls) return bad(e, "must name a class of the schema", "%s/class", p);
    const char *type = json_string_value(json_object_get(obj, "type"));
    if (!type || !in_list(json_object_get(cls, "tools"), type))
        return bad(e, "must be one of the tools enabled for this class", "%s/type", p);
    if (!strcmp(type, "bbox")) {
        double b[4];
        if (!numbers(json_object_get(obj, "bbox"), 4, b)) return bad(e, "must be [x, y, width, height]", "%s/bbox", p);
        if (b[2] <= 0 || b[3] <= 0) return bad(e, "must have a positive width and height", "%s/bbox", p);
        if (b[0] < 0 || b[1] < 0 || b[0] + b[2] > W + 1e-6 || b[1] + b[3] > H + 1e-6)
            return bad(e, "must lie inside the image", "%s/bbox", p);
    } else if (!strcmp(type, "polygon")) {
        json_t *pts = json_object_get(obj, "points");
        size_t n = json_array_size(pts);
        if (!json_is_array(pts) || n < 3 || n > MAX_POLYGON_POINTS)
            return bad(e, "must be an array of 3 to 1000 [x, y] points", "%s/points", p);
        double *xy = malloc(sizeof *xy * 2 * n);
        if (!xy) return bad(e, "is too large", "%s/points", p);
        for (size_t i = 0; i < n; i++) {
            if (!numbers(json_array_get(pts, i), 2, &xy[2 * i])) {
                free(xy);
                return bad(e, "must be [x, y]", "%s/points/%zu", p, i);
            }
            if (xy[2 * i] < 0 || xy[2 * i] > W || xy[2 * i + 1] < 0 || xy[2 * i + 1] > H) {
                free(xy);
                return bad(e, "must lie inside the image", "%s/points/%zu", p, i);
            }
        }
        long at = polygon_self_intersection(xy, n);
        free(xy);
        if (at >= 0) return bad(e, "makes the polygon cross itself", "%s/points/%ld", p, at);
    } else {
        json_t *kp = json_object_get(obj, "keypoints");
        json_t *names = json_object_get(json_object_get(cls, "skeleton"), "points");
        if (!json_is_array(kp) || json_array_size(kp) != json_array_size(names))
            return bad(e, "must have one [x, y, v] per skeleton point", "%s/keypoints", p);
        for (size_t i = 0; i < json_array_size(kp); i++) {
            double v[3];
            if (!numbers(json_array_get(kp, i), 3, v) || (v[2] != 0 && v[2] != 1 && v[2] != 2))
                return bad(e, "must be [x, y, v] with v 0, 1 or 2", "%s/keypoints/%zu", p, i);
            if (v[2] > 0 && (v[0] < 0 || v[0] > W || v[1] < 0 || v[1] > H))
                return bad(e, "must lie inside the image", "%s/keypoints/%zu", p, i);
        }
    }
    return attributes_answer(cls, json_object_get(obj, "attributes"), p, e);
}

static bool lidar_object(json_t *schema, json_t *obj, const char *p, struct verr *e)
{
    static const char *const keys[] = {"id", "class", "center", "size", "yaw", "attributes", NULL};
    if (!json_is_object(obj)) return bad(e, "must be an object", "%s", p);
    if (!only_keys(obj, p, keys, e)) return false;
    const char *cname = json_string_value(json_object_get(obj, "class"));
    json_t *cls = cname ? find_named(json_object_get(schema, "classes"), cname) : NULL;
    if (!cls) return bad(e, "must name a class of the schema", "%s/class", p);
    double c[3], s[3], yaw;
    if (!numbers(json_object_get(obj, "center"), 3, c)) return bad(e, "must be [x, y, z] (finite)", "%s/center", p);
    if (!numbers(json_object_get(obj, "size"), 3, s) || s[0] <= 0 || s[1] <= 0 || s[2] <= 0)
        return bad(e, "must be [length, width, height], each positive and finite", "%s/size", p);
    if (!finite_number(json_object_get(obj, "yaw"), &yaw) || fabs(yaw) > M_PI + 1e-9)
        return bad(e, "must be a finite angle in radians within [-pi, pi]", "%s/yaw", p);
    return attributes_answer(cls, json_object_get(obj, "attributes"), p, e);
}

static bool objects_answer(enum project_kind k, json_t *schema, json_t *data, json_t *answer, const char *prefix,
                           struct verr *e)
{
    static const char *const keys[] = {"objects", NULL};
    if (!only_keys(answer, prefix, keys, e)) return false;
    json_t *objs = json_object_get(answer, "objects");
    if (!json_is_array(objs) || json_array_size(objs) > MAX_OBJECTS)
        return bad(e, "must be an array of at most 10000 objects", "%s/objects", prefix);
    json_t *img = json_object_get(data, "image");
    double W = (double)json_integer_value(json_object_get(img, "width"));
    double H = (double)json_integer_value(json_object_get(img, "height"));
    for (size_t i = 0; i < json_array_size(objs); i++) {
        char p[96];
        snprintf(p, sizeof p, "%s/objects/%zu", prefix, i);
        bool ok = k == KIND_IMAGE_ANNOTATION ? image_object(schema, json_array_get(objs, i), p, W, H, e)
                                             : lidar_object(schema, json_array_get(objs, i), p, e);
        if (!ok) return false;
    }
    return true;
}

struct span { json_int_t start, end; size_t index; };

static int span_cmp(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start ? 1 : (x->end < y->end ? -1 : x->end > y->end);
}

static bool spans_answer(json_t *schema, json_t *data, json_t *answer, const char *prefix, struct verr *e)
{
    static const char *const keys[] = {"spans", "relations", NULL};
    static const char *const span_keys[] = {"id", "start", "end", "label", NULL};
    static const char *const rel_keys[] = {"from", "to", "label", NULL};
    if (!only_keys(answer, prefix, keys, e)) return false;
    json_t *spans = json_object_get(answer, "spans");
    size_t n = json_array_size(spans);
    if (!json_is_array(spans) || n > MAX_SPANS) return bad(e, "must be an array of at most 10000 spans", "%s/spans", prefix);
    json_int_t len = (json_int_t)utf8_length(json_string_value(json_object_get(data, "text")));
    struct span *sorted = malloc(sizeof *sorted * (n ? n : 1));
    if (!sorted) return bad(e, "is too large", "%s/spans", prefix);
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(spans, i);
        char p[96];
        snprintf(p, sizeof p, "%s/spans/%zu", prefix, i);
        bool ok = json_is_object(s) ? only_keys(s, p, span_keys, e) : bad(e, "must be an object", "%s", p);
        if (ok && !int_in(json_object_get(s, "start"), 0, len - 1))
            ok = bad(e, "must be a code-point offset inside the text", "%s/start", p);
        if (ok && !int_in(json_object_get(s, "end"), json_integer_value(json_object_get(s, "start")) + 1, len))
            ok = bad(e, "must be after start and at most the text's length in code points", "%s/end", p);
        const char *label = json_string_value(json_object_get(s, "label"));
        if (ok && (!label || !in_list(json_object_get(schema, "entities"), label)))
            ok = bad(e, "must be one of the schema's entities", "%s/label", p);
        if (!ok) {
            free(sorted);
            return false;
        }
        sorted[i] = (struct span){json_integer_value(json_object_get(s, "start")), json_integer_value(json_object_get(s, "end")), i};
    }
    if (!json_is_true(json_object_get(schema, "allow_overlap")) && n > 1) {
        qsort(sorted, n, sizeof *sorted, span_cmp);
        for (size_t i = 1; i < n; i++)
            if (sorted[i].start < sorted[i - 1].end) {
                size_t at = sorted[i].index;
                free(sorted);
                return bad(e, "overlaps another span, and this schema does not allow overlapping spans", "%s/spans/%zu", prefix, at);
            }
    }
    free(sorted);
    json_t *rels = json_object_get(answer, "relations");
    if (!rels) return true;
    if (!json_is_array(rels) || json_array_size(rels) > MAX_SPANS) return bad(e, "must be an array", "%s/relations", prefix);
    for (size_t i = 0; i < json_array_size(rels); i++) {
        json_t *r = json_array_get(rels, i);
        char p[96];
        snprintf(p, sizeof p, "%s/relations/%zu", prefix, i);
        if (!json_is_object(r)) return bad(e, "must be an object", "%s", p);
        if (!only_keys(r, p, rel_keys, e)) return false;
        if (!int_in(json_object_get(r, "from"), 0, (json_int_t)n - 1)) return bad(e, "must be the index of a span", "%s/from", p);
        if (!int_in(json_object_get(r, "to"), 0, (json_int_t)n - 1) ||
            json_equal(json_object_get(r, "to"), json_object_get(r, "from")))
            return bad(e, "must be the index of another span", "%s/to", p);
        const char *label = json_string_value(json_object_get(r, "label"));
        if (!label || !in_list(json_object_get(schema, "relations"), label))
            return bad(e, "must be one of the schema's relations", "%s/label", p);
    }
    return true;
}

static bool comparison_answer(json_t *schema, json_t *data, json_t *answer, const char *prefix, struct verr *e)
{
    static const char *const keys[] = {"preference", "ratings", "rationale", NULL};
    static const char *const pref_keys[] = {"choice", "strength", NULL};
    if (!only_keys(answer, prefix, keys, e)) return false;
    json_t *pref = json_object_get(answer, "preference");
    if (!json_is_object(pref)) return bad(e, "is required: {\"choice\", \"strength\"}", "%s/preference", prefix);
    char pp[80];
    snprintf(pp, sizeof pp, "%s/preference", prefix);
    if (!only_keys(pref, pp, pref_keys, e)) return false;
    json_t *responses = json_object_get(data, "responses");
    const char *choice = json_string_value(json_object_get(pref, "choice"));
    bool known = false;
    for (size_t i = 0; choice && i < json_array_size(responses); i++)
        known |= !strcmp(choice, json_string_value(json_object_get(json_array_get(responses, i), "id")));
    if (choice && !strcmp(choice, "tie")) {
        if (!json_is_true(json_object_get(schema, "allow_tie"))) return bad(e, "may not be a tie in this project", "%s/choice", pp);
    } else if (!known) {
        return bad(e, "must be the id of a response (or \"tie\" where allowed)", "%s/choice", pp);
    }
    if (!int_in(json_object_get(pref, "strength"), 1, 7)) return bad(e, "must be an integer from 1 to 7", "%s/strength", pp);
    json_t *criteria = json_object_get(schema, "criteria");
    json_t *ratings = json_object_get(answer, "ratings");
    if (json_array_size(criteria) > 0 || ratings) {
        if (!json_is_object(ratings)) return bad(e, "must rate every response on every criterion", "%s/ratings", prefix);
        if (json_object_size(ratings) != json_array_size(responses))
            return bad(e, "must have one entry per response", "%s/ratings", prefix);
        for (size_t i = 0; i < json_array_size(responses); i++) {
            const char *rid = json_string_value(json_object_get(json_array_get(responses, i), "id"));
            json_t *row = json_object_get(ratings, rid);
            if (!json_is_object(row) || json_object_size(row) != json_array_size(criteria))
                return bad(e, "must rate this response on every criterion", "%s/ratings/%s", prefix, rid);
            for (size_t c = 0; c < json_array_size(criteria); c++) {
                const char *crit = json_string_value(json_array_get(criteria, c));
                if (!int_in(json_object_get(row, crit), 1, 5))
                    return bad(e, "must be an integer from 1 to 5", "%s/ratings/%s/%s", prefix, rid, crit);
            }
        }
    }
    json_int_t min = json_integer_value(json_object_get(schema, "rationale_min_chars"));
    json_t *rat = json_object_get(answer, "rationale");
    if (min > 0 || rat) {
        if (!json_is_string(rat)) return bad(e, "must be a string", "%s/rationale", prefix);
        size_t n = utf8_length(json_string_value(rat));
        if ((json_int_t)n < min || n > 20000) {
            char msg[96];
            snprintf(msg, sizeof msg, "must have %lld to 20000 characters (has %zu)", (long long)min, n);
            return bad(e, msg, "%s/rationale", prefix);
        }
    }
    return true;
}

bool answer_check(enum project_kind k, json_t *schema, json_t *data, json_t *answer, const char *prefix,
                  struct verr *e)
{
    if (!answer) return bad(e, "is required", "%s", prefix);
    if (!json_is_object(answer)) return bad(e, "must be an object", "%s", prefix);
    switch (k) {
    case KIND_TEXT_CLASSIFICATION: {
        bool multiple = json_is_true(json_object_get(schema, "multiple"));
        json_t *labels = json_object_get(schema, "labels");
        static const char *const one[] = {"label", NULL}, *const many[] = {"labels", NULL};
        if (!only_keys(answer, prefix, multiple ? many : one, e)) return false;
        if (!multiple) {
            json_t *l = json_object_get(answer, "label");
            if (!l) return bad(e, "is required", "%s/label", prefix);
            if (!json_is_string(l)) return bad(e, "must be a string", "%s/label", prefix);
            if (!in_list(labels, json_string_value(l))) return bad(e, "is not one of the project's labels", "%s/label", prefix);
            return true;
        }
        json_t *ls = json_object_get(answer, "labels");
        if (!json_is_array(ls) || json_array_size(ls) < 1)
            return bad(e, "must be an array of at least one label", "%s/labels", prefix);
        for (size_t i = 0; i < json_array_size(ls); i++) {
            json_t *l = json_array_get(ls, i);
            if (!json_is_string(l) || !in_list(labels, json_string_value(l)))
                return bad(e, "is not one of the project's labels", "%s/labels/%zu", prefix, i);
            for (size_t j = 0; j < i; j++)
                if (json_equal(l, json_array_get(ls, j))) return bad(e, "appears twice", "%s/labels/%zu", prefix, i);
        }
        return true;
    }
    case KIND_TEXT_SPANS: return spans_answer(schema, data, answer, prefix, e);
    case KIND_IMAGE_ANNOTATION:
    case KIND_LIDAR_CUBOIDS: return objects_answer(k, schema, data, answer, prefix, e);
    case KIND_LLM_COMPARISON: return comparison_answer(schema, data, answer, prefix, e);
    case KIND_FREE_TEXT: {
        static const char *const keys[] = {"text", NULL};
        if (!only_keys(answer, prefix, keys, e)) return false;
        return text_member(answer, "text", prefix, (size_t)json_integer_value(json_object_get(schema, "min_chars")),
                           (size_t)json_integer_value(json_object_get(schema, "max_chars")), e);
    }
    default: return bad(e, "is not a known kind", "/kind");
    }
}
