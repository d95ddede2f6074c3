/* Import formats (see import_formats.h and docs/formats.md): CSV, Label Studio, COCO and KITTI uploads
 * turned into native task lines. */
#include "core/import_formats.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/formats.h"
#include "util/buf.h"

#define DEFAULT_MEDIA_PREFIX "/api/v1/media/"
#define CSV_MAX_COLUMNS 1000

static void add_error(struct imp_report *r, size_t record, size_t line, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void add_error(struct imp_report *r, size_t record, size_t line, const char *field, const char *fmt, ...)
{
    r->n_errors++;
    if (r->n_stored >= IMP_MAX_ERRORS) return;
    struct imp_error *e = &r->errors[r->n_stored++];
    e->record = record;
    e->line = line;
    snprintf(e->field, sizeof e->field, "%s", field);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->detail, sizeof e->detail, fmt, ap);
    va_end(ap);
}

/* Hands a line to the callback (and drops it): 0 to go on, -1 to stop. */
static int deliver(json_t *line, size_t record, size_t lineno, imp_task_fn cb, void *ctx, struct imp_report *r)
{
    struct verr e = {{0}, {0}};
    int rc = line ? cb(ctx, line, &e) : -1;
    json_decref(line);
    if (rc == 0) r->n_tasks++;
    else if (rc == 1) add_error(r, record, lineno, e.field, "%s", e.detail);
    else if (!line) add_error(r, record, lineno, "", "out of memory");
    return rc < 0 ? -1 : 0;
}

static long finish(struct imp_report *r, int rc) { return rc ? -1 : (long)r->n_tasks; }

static json_t *task_line(json_t *data, const char *external_id, json_t *predictions)
{
    json_t *l = json_object();
    json_object_set_new(l, "data", data ? data : json_object());
    if (external_id && *external_id) json_object_set_new(l, "external_id", json_string(external_id));
    if (predictions) json_object_set_new(l, "predictions", predictions);
    return l;
}

static double round6(double v) { return nearbyint(v * 1e6) / 1e6; }
static double round8(double v) { return nearbyint(v * 1e8) / 1e8; }
static double num(json_t *v) { return json_is_number(v) ? json_number_value(v) : 0; }
static double num_at(json_t *a, size_t i) { return num(json_array_get(a, i)); }

static const char *sv(json_t *v)
{
    const char *s = json_string_value(v);
    return s ? s : "";
}

static json_t *class_def(json_t *schema, const char *name)
{
    json_t *classes = json_object_get(schema, "classes");
    for (size_t i = 0; name && i < json_array_size(classes); i++)
        if (!strcmp(sv(json_object_get(json_array_get(classes, i), "name")), name)) return json_array_get(classes, i);
    return NULL;
}

/* ---- csv ---- */

struct csv {
    const char *p;
    size_t n, pos, line;
};

/* Ends an unquoted field; not strchr, which also matches a NUL byte of the data. */
static bool csv_separator(char ch) { return ch == ',' || ch == '\r' || ch == '\n'; }

/* Reads one record's fields into f (an array of strings). 0: a record; 1: end of input; -1: error
 * (detail in err). Completely empty lines are skipped. */
static int csv_record(struct csv *c, json_t *f, buf *field, char *err, size_t errlen)
{
    json_array_clear(f);
    while (c->pos < c->n && (c->p[c->pos] == '\n' || (c->p[c->pos] == '\r' && c->pos + 1 < c->n && c->p[c->pos + 1] == '\n'))) {
        c->pos += c->p[c->pos] == '\r' ? 2 : 1;
        c->line++;
    }
    if (c->pos >= c->n) return 1;
    for (;;) {
        buf_reset(field);
        int add = 0;
        if (c->pos < c->n && c->p[c->pos] == '"') { /* at the end after a ',': an empty last field */
            c->pos++;
            for (;;) {
                if (c->pos >= c->n) return snprintf(err, errlen, "a quoted field is not closed"), -1;
                char ch = c->p[c->pos++];
                if (ch == '"') {
                    if (c->pos < c->n && c->p[c->pos] == '"') c->pos++;
                    else break;
                }
                if (ch == '\n') c->line++;
                add |= buf_add(field, &ch, 1);
            }
            if (c->pos < c->n && !csv_separator(c->p[c->pos]))
                return snprintf(err, errlen, "a closing quote must end the field"), -1;
        } else {
            size_t len = 0;
            while (c->pos + len < c->n && !csv_separator(c->p[c->pos + len])) len++;
            add = buf_add(field, c->p + c->pos, len);
            c->pos += len;
        }
        if (add) return snprintf(err, errlen, "a field is too large"), -1;
        json_t *s = json_stringn(field->data ? field->data : "", field->len);
        if (!s) return snprintf(err, errlen, "a field is not valid UTF-8"), -1;
        if (json_array_size(f) >= CSV_MAX_COLUMNS) {
            json_decref(s);
            return snprintf(err, errlen, "a row has more than %d fields", CSV_MAX_COLUMNS), -1;
        }
        json_array_append_new(f, s);
        if (c->pos >= c->n) return 0;
        char ch = c->p[c->pos++];
        if (ch == ',') continue;
        if (ch == '\r' && c->pos < c->n && c->p[c->pos] == '\n') c->pos++;
        c->line++;
        return 0;
    }
}

/* Skips to the start of the next line after a bad record (quoted newlines are not honoured). */
static void csv_skip_line(struct csv *c)
{
    while (c->pos < c->n && c->p[c->pos] != '\n') c->pos++;
    if (c->pos < c->n) {
        c->pos++;
        c->line++;
    }
}

long imp_csv(const char *p, size_t n, const struct imp_options *o, imp_task_fn cb, void *ctx, struct imp_report *r)
{
    memset(r, 0, sizeof *r);
    if (n > o->max_bytes) {
        add_error(r, 0, 0, "", "the file is larger than %zu bytes", o->max_bytes);
        return -1;
    }
    struct csv c = {p, n, 0, 1};
    if (n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) c.pos = 3; /* byte order mark */
    json_t *header = json_array(), *f = json_array();
    buf field;
    buf_init(&field, o->max_bytes);
    char err[128];
    int rc = 0;
    size_t ext_col = (size_t)-1;
    int h = csv_record(&c, header, &field, err, sizeof err);
    if (h) {
        add_error(r, 0, c.line, "", "%s", h > 0 ? "the file has no header row" : err);
        rc = -1;
    }
    for (size_t i = 0; !rc && i < json_array_size(header); i++) {
        const char *name = sv(json_array_get(header, i));
        for (size_t j = 0; j < i; j++)
            if (!strcmp(name, sv(json_array_get(header, j)))) {
                add_error(r, 0, 1, name, "the column %s appears twice in the header", name);
                rc = -1;
            }
        if (!*name) {
            add_error(r, 0, 1, "", "column %zu of the header has no name", i + 1);
            rc = -1;
        }
        if (!strcmp(name, "external_id")) ext_col = i;
    }
    for (size_t record = 1; !rc; record++) {
        size_t start_line = c.line;
        int k = csv_record(&c, f, &field, err, sizeof err);
        if (k > 0) break;
        if (k < 0) {
            add_error(r, record, start_line, "", "%s", err);
            if (c.pos >= c.n) break;
            csv_skip_line(&c);
            continue;
        }
        if (json_array_size(f) != json_array_size(header)) {
            add_error(r, record, start_line, "", "the row has %zu fields, the header %zu", json_array_size(f),
                      json_array_size(header));
            continue;
        }
        json_t *data = json_object();
        for (size_t i = 0; i < json_array_size(f); i++)
            if (i != ext_col) json_object_set(data, sv(json_array_get(header, i)), json_array_get(f, i));
        rc = deliver(task_line(data, ext_col != (size_t)-1 ? sv(json_array_get(f, ext_col)) : NULL, NULL), record,
                     start_line, cb, ctx, r);
    }
    buf_free(&field);
    json_decref(header);
    json_decref(f);
    return finish(r, rc);
}

/* ---- JSON documents ---- */

static json_t *load_json(const char *p, size_t n, const struct imp_options *o, struct imp_report *r)
{
    if (n > o->max_bytes) {
        add_error(r, 0, 0, "", "the file is larger than %zu bytes", o->max_bytes);
        return NULL;
    }
    json_error_t je;
    json_t *doc = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
    if (!doc) add_error(r, 0, (size_t)(je.line > 0 ? je.line : 0), "", "not valid JSON: %s", je.text);
    return doc;
}

/* ---- label_studio ---- */

static bool is_media_id(const char *s)
{
    if (strlen(s) != 64) return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f'))) return false;
    return true;
}

/* The LS result's region with that id in objs (appending a new one in first-seen order). */
static json_t *region(json_t *objs, json_t *index, const char *id)
{
    json_t *at = json_object_get(index, id);
    if (at) return json_array_get(objs, (size_t)json_integer_value(at));
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(index, id, json_integer((json_int_t)json_array_size(objs)));
    json_array_append_new(objs, o);
    return o;
}

static double pct(json_t *v, const char *key, double size) { return round6(num(json_object_get(v, key)) * size / 100); }

static json_t *xy_px(json_t *pt, double W, double H)
{
    return json_pack("[o, o]", fmt_number(round6(num_at(pt, 0) * W / 100)), fmt_number(round6(num_at(pt, 1) * H / 100)));
}

/* LS image results as our objects; false (with e) on a result we cannot read. */
static bool ls_image(json_t *schema, json_t *result, double W, double H, json_t **out, struct verr *e)
{
    json_t *objs = json_array(), *index = json_object();
    for (size_t i = 0; i < json_array_size(result); i++) {
        json_t *it = json_array_get(result, i), *v = json_object_get(it, "value");
        const char *type = sv(json_object_get(it, "type")), *id = sv(json_object_get(it, "id"));
        double w = json_is_number(json_object_get(it, "original_width")) ? num(json_object_get(it, "original_width")) : W;
        double h = json_is_number(json_object_get(it, "original_height")) ? num(json_object_get(it, "original_height")) : H;
        char rid[160];
        if (*id) snprintf(rid, sizeof rid, "%s", id);
        else snprintf(rid, sizeof rid, "r%zu", i);
        json_t *label = NULL;
        if (strstr(type, "labels")) label = json_array_get(json_object_get(v, type), 0);
        if (!strcmp(type, "rectanglelabels") || !strcmp(type, "polygonlabels") || !strcmp(type, "keypointlabels")) {
            if (!json_is_string(label) || w <= 0 || h <= 0) {
                json_decref(objs);
                json_decref(index);
                snprintf(e->field, sizeof e->field, "/predictions/0/result/%zu", i);
                snprintf(e->detail, sizeof e->detail, "needs a label and the image's original_width and original_height");
                return false;
            }
        }
        if (!strcmp(type, "rectanglelabels")) {
            json_t *o = region(objs, index, rid);
            double b[4] = {pct(v, "x", w), pct(v, "y", h), pct(v, "width", w), pct(v, "height", h)};
            json_object_set(o, "class", label);
            json_object_set_new(o, "type", json_string("bbox"));
            json_object_set_new(o, "bbox", json_pack("[o, o, o, o]", fmt_number(b[0]), fmt_number(b[1]), fmt_number(b[2]),
                                                     fmt_number(b[3])));
        } else if (!strcmp(type, "polygonlabels")) {
            json_t *o = region(objs, index, rid), *pts = json_array(), *src = json_object_get(v, "points");
            for (size_t j = 0; j < json_array_size(src); j++) json_array_append_new(pts, xy_px(json_array_get(src, j), w, h));
            json_object_set(o, "class", label);
            json_object_set_new(o, "type", json_string("polygon"));
            json_object_set_new(o, "points", pts);
        } else if (!strcmp(type, "keypointlabels")) { /* "<object>-kp<j>" from our export, else one object per point */
            const char *kp = strstr(rid, "-kp");
            char *end = NULL;
            unsigned long j = kp ? strtoul(kp + 3, &end, 10) : 0;
            json_t *names = json_object_get(json_object_get(class_def(schema, json_string_value(label)), "skeleton"), "points");
            size_t npts = json_array_size(names);
            if (!kp || !end || *end || j >= npts) j = 0, kp = NULL;
            if (kp) rid[kp - rid] = '\0';
            json_t *o = region(objs, index, rid), *arr = json_object_get(o, "keypoints");
            if (!arr) {
                arr = json_array();
                for (size_t k = 0; k < (npts ? npts : 1); k++) json_array_append_new(arr, json_pack("[i, i, i]", 0, 0, 0));
                json_object_set(o, "class", label);
                json_object_set_new(o, "type", json_string("keypoints"));
                json_object_set_new(o, "keypoints", arr);
            }
            json_t *xy = json_pack("[o, o, i]", fmt_number(pct(v, "x", w)), fmt_number(pct(v, "y", h)), 2);
            json_array_set_new(arr, j, xy);
        } else if (!strcmp(type, "choices") || !strcmp(type, "textarea")) { /* a region's attribute */
            json_t *val = json_array_get(json_object_get(v, !strcmp(type, "choices") ? "choices" : "text"), 0);
            const char *name = sv(json_object_get(it, "from_name"));
            if (!val || !*name || !json_object_get(index, rid)) continue;
            json_t *o = region(objs, index, rid), *attrs = json_object_get(o, "attributes");
            if (!attrs) json_object_set_new(o, "attributes", attrs = json_object());
            json_t *adefs = json_object_get(class_def(schema, sv(json_object_get(o, "class"))), "attributes");
            bool is_bool = false;
            for (size_t k = 0; k < json_array_size(adefs); k++)
                if (!strcmp(sv(json_object_get(json_array_get(adefs, k), "name")), name))
                    is_bool = !strcmp(sv(json_object_get(json_array_get(adefs, k), "type")), "bool");
            if (is_bool && json_is_string(val)) json_object_set_new(attrs, name, json_boolean(!strcmp(sv(val), "true")));
            else json_object_set(attrs, name, val);
        }
    }
    json_decref(index);
    *out = json_pack("{s:o}", "objects", objs);
    return true;
}

/* LS text results as spans and relations. */
static json_t *ls_spans(json_t *result)
{
    json_t *spans = json_array(), *rels = json_array(), *index = json_object();
    for (size_t i = 0; i < json_array_size(result); i++) {
        json_t *it = json_array_get(result, i), *v = json_object_get(it, "value");
        if (strcmp(sv(json_object_get(it, "type")), "labels")) continue;
        json_t *s = json_pack("{s:O, s:O, s:O}", "start", json_object_get(v, "start"), "end", json_object_get(v, "end"),
                              "label", json_array_get(json_object_get(v, "labels"), 0));
        if (!s) continue;
        const char *id = json_string_value(json_object_get(it, "id"));
        if (id) {
            json_object_set_new(s, "id", json_string(id));
            json_object_set_new(index, id, json_integer((json_int_t)json_array_size(spans)));
        }
        json_array_append_new(spans, s);
    }
    for (size_t i = 0; i < json_array_size(result); i++) {
        json_t *it = json_array_get(result, i);
        if (strcmp(sv(json_object_get(it, "type")), "relation")) continue;
        json_t *f = json_object_get(index, sv(json_object_get(it, "from_id")));
        json_t *t = json_object_get(index, sv(json_object_get(it, "to_id")));
        if (!f || !t) continue;
        json_t *rel = json_pack("{s:O, s:O}", "from", f, "to", t);
        json_t *label = json_array_get(json_object_get(it, "labels"), 0);
        if (label) json_object_set(rel, "label", label);
        json_array_append_new(rels, rel);
    }
    json_decref(index);
    json_t *ans = json_pack("{s:o}", "spans", spans);
    if (json_array_size(rels)) json_object_set(ans, "relations", rels);
    json_decref(rels);
    return ans;
}

/* The LS result array as our answer for the kind; NULL with e set when it cannot be read. */
static json_t *ls_answer(const struct imp_options *o, json_t *result, double W, double H, struct verr *e)
{
    if (!json_is_array(result)) {
        snprintf(e->field, sizeof e->field, "/predictions/0/result");
        snprintf(e->detail, sizeof e->detail, "must be an array");
        return NULL;
    }
    if (o->kind == KIND_TEXT_CLASSIFICATION) {
        for (size_t i = 0; i < json_array_size(result); i++) {
            json_t *it = json_array_get(result, i);
            json_t *ch = json_object_get(json_object_get(it, "value"), "choices");
            if (strcmp(sv(json_object_get(it, "type")), "choices") || !json_array_size(ch)) continue;
            if (json_is_true(json_object_get(o->schema, "multiple"))) return json_pack("{s:O}", "labels", ch);
            return json_pack("{s:O}", "label", json_array_get(ch, 0));
        }
        return json_object();
    }
    if (o->kind == KIND_TEXT_SPANS) return ls_spans(result);
    json_t *out = NULL;
    return ls_image(o->schema, result, W, H, &out, e) ? out : NULL;
}

/* data.image as a URL string becomes our image object again. */
static void ls_image_data(const struct imp_options *o, json_t *task, json_t *data, json_t *result, double *W, double *H)
{
    json_t *img = json_object_get(data, "image");
    json_t *orig = json_object_get(json_object_get(task, "meta"), "image");
    for (size_t i = 0; i < json_array_size(result) && *W <= 0; i++) {
        *W = num(json_object_get(json_array_get(result, i), "original_width"));
        *H = num(json_object_get(json_array_get(result, i), "original_height"));
    }
    if (json_is_object(orig)) {
        json_object_set(data, "image", orig);
    } else if (json_is_string(img)) {
        const char *u = json_string_value(img);
        const char *pre = o->media_url_prefix ? o->media_url_prefix : DEFAULT_MEDIA_PREFIX;
        json_t *obj;
        if (!strncmp(u, pre, strlen(pre)) && is_media_id(u + strlen(pre)))
            obj = json_pack("{s:s}", "media_id", u + strlen(pre));
        else obj = json_pack("{s:s}", "url", u);
        if (*W > 0 && *H > 0) {
            json_object_set_new(obj, "width", fmt_number(*W));
            json_object_set_new(obj, "height", fmt_number(*H));
        }
        json_object_set_new(data, "image", obj);
    }
    img = json_object_get(data, "image");
    if (json_is_number(json_object_get(img, "width"))) {
        *W = num(json_object_get(img, "width"));
        *H = num(json_object_get(img, "height"));
    }
}

long imp_label_studio(const char *p, size_t n, const struct imp_options *o, imp_task_fn cb, void *ctx,
                      struct imp_report *r)
{
    memset(r, 0, sizeof *r);
    json_t *doc = load_json(p, n, o, r);
    if (!doc) return -1;
    if (!json_is_array(doc)) {
        add_error(r, 0, 0, "", "a Label Studio export is a JSON array of tasks");
        json_decref(doc);
        return -1;
    }
    int rc = 0;
    bool convert = o->kind == KIND_TEXT_CLASSIFICATION || o->kind == KIND_TEXT_SPANS || o->kind == KIND_IMAGE_ANNOTATION;
    for (size_t i = 0; i < json_array_size(doc) && !rc; i++) {
        json_t *t = json_array_get(doc, i), *data = json_object_get(t, "data");
        char field[64];
        if (!json_is_object(data)) {
            snprintf(field, sizeof field, "/%zu/data", i);
            add_error(r, i + 1, 0, field, "a task needs a data object");
            continue;
        }
        char ext[64] = "";
        json_t *id = json_object_get(t, "id"), *mext = json_object_get(json_object_get(t, "meta"), "external_id");
        if (json_is_string(mext)) snprintf(ext, sizeof ext, "%s", json_string_value(mext));
        else if (json_is_integer(id)) snprintf(ext, sizeof ext, "%lld", (long long)json_integer_value(id));
        else if (json_is_string(id)) snprintf(ext, sizeof ext, "%s", json_string_value(id));
        json_t *pred = json_array_get(json_object_get(t, "predictions"), 0);
        json_t *result = json_is_array(pred) ? pred : json_object_get(pred, "result");
        data = json_deep_copy(data);
        double W = 0, H = 0;
        if (o->kind == KIND_IMAGE_ANNOTATION) ls_image_data(o, t, data, result, &W, &H);
        json_t *answer = NULL;
        if (pred && convert) {
            struct verr e = {{0}, {0}};
            if (!(answer = ls_answer(o, result, W, H, &e))) {
                add_error(r, i + 1, 0, e.field, "%s", e.detail);
                json_decref(data);
                continue;
            }
        }
        rc = deliver(task_line(data, ext, answer), i + 1, 0, cb, ctx, r);
    }
    json_decref(doc);
    return finish(r, rc);
}

/* ---- coco ---- */

/* A COCO annotation as our prediction object. */
static json_t *coco_object(json_t *a, json_t *cats)
{
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)json_integer_value(json_object_get(a, "category_id")));
    json_t *cat = json_object_get(cats, key);
    if (!cat) return NULL;
    char id[48];
    snprintf(id, sizeof id, "coco-%lld", (long long)json_integer_value(json_object_get(a, "id")));
    json_t *o = json_pack("{s:s, s:O}", "id", id, "class", json_object_get(cat, "name"));
    json_t *kps = json_object_get(a, "keypoints"), *seg = json_array_get(json_object_get(a, "segmentation"), 0);
    if (json_array_size(kps) >= 3 && json_object_get(cat, "keypoints")) {
        json_t *pts = json_array();
        for (size_t i = 0; i + 2 < json_array_size(kps); i += 3)
            json_array_append_new(pts, json_pack("[O, O, O]", json_array_get(kps, i), json_array_get(kps, i + 1),
                                                 json_array_get(kps, i + 2)));
        json_object_set_new(o, "type", json_string("keypoints"));
        json_object_set_new(o, "keypoints", pts);
    } else if (json_array_size(seg) >= 6) {
        json_t *pts = json_array();
        for (size_t i = 0; i + 1 < json_array_size(seg); i += 2)
            json_array_append_new(pts, json_pack("[O, O]", json_array_get(seg, i), json_array_get(seg, i + 1)));
        json_object_set_new(o, "type", json_string("polygon"));
        json_object_set_new(o, "points", pts);
    } else {
        json_t *b = json_object_get(a, "bbox");
        if (json_array_size(b) != 4) {
            json_decref(o);
            return NULL;
        }
        json_object_set_new(o, "type", json_string("bbox"));
        json_object_set(o, "bbox", b);
    }
    json_t *attrs = json_object_get(a, "attributes");
    if (json_object_size(attrs)) json_object_set(o, "attributes", attrs);
    return o;
}

long imp_coco(const char *p, size_t n, const struct imp_options *o, imp_task_fn cb, void *ctx, struct imp_report *r)
{
    memset(r, 0, sizeof *r);
    json_t *doc = load_json(p, n, o, r);
    if (!doc) return -1;
    json_t *images = json_object_get(doc, "images"), *anns = json_object_get(doc, "annotations");
    if (!json_is_array(images)) {
        add_error(r, 0, 0, "/images", "a COCO file needs an images array");
        json_decref(doc);
        return -1;
    }
    json_t *cats = json_object(), *by_image = json_object();
    json_t *cl = json_object_get(doc, "categories");
    for (size_t i = 0; i < json_array_size(cl); i++) {
        json_t *c = json_array_get(cl, i);
        char key[32];
        snprintf(key, sizeof key, "%lld", (long long)json_integer_value(json_object_get(c, "id")));
        if (json_is_integer(json_object_get(c, "id")) && json_is_string(json_object_get(c, "name")))
            json_object_set(cats, key, c);
    }
    for (size_t i = 0; i < json_array_size(anns); i++) {
        json_t *a = json_array_get(anns, i), *ob;
        char key[32], field[64];
        snprintf(field, sizeof field, "/annotations/%zu", i);
        if (!json_is_integer(json_object_get(a, "image_id")) || !(ob = coco_object(a, cats))) {
            add_error(r, 0, 0, field, "needs an image_id, a known category_id and a bbox, polygon or keypoints");
            continue;
        }
        snprintf(key, sizeof key, "%lld", (long long)json_integer_value(json_object_get(a, "image_id")));
        json_t *list = json_object_get(by_image, key);
        if (!list) json_object_set_new(by_image, key, list = json_array());
        json_array_append_new(list, ob);
    }
    int rc = 0;
    for (size_t i = 0; i < json_array_size(images) && !rc; i++) {
        json_t *im = json_array_get(images, i);
        json_t *w = json_object_get(im, "width"), *h = json_object_get(im, "height"), *id = json_object_get(im, "id");
        const char *url = json_string_value(json_object_get(im, "coco_url"));
        const char *file = json_string_value(json_object_get(im, "file_name"));
        char field[64];
        snprintf(field, sizeof field, "/images/%zu", i);
        if (!json_is_integer(id) || !json_is_integer(w) || !json_is_integer(h) || (!url && !file)) {
            add_error(r, i + 1, 0, field, "an image needs an integer id, width and height, and a file_name or coco_url");
            continue;
        }
        json_t *img = (!url && is_media_id(file)) ? json_pack("{s:s}", "media_id", file)
                                                  : json_pack("{s:s}", "url", url ? url : file);
        json_object_set(img, "width", w);
        json_object_set(img, "height", h);
        char key[32];
        snprintf(key, sizeof key, "%lld", (long long)json_integer_value(id));
        json_t *objs = json_object_get(by_image, key);
        json_t *pred = objs ? json_pack("{s:O}", "objects", objs) : NULL;
        const char *ext = json_string_value(json_object_get(im, "external_id"));
        rc = deliver(task_line(json_pack("{s:o}", "image", img), ext ? ext : file, pred), i + 1, 0, cb, ctx, r);
    }
    json_decref(cats);
    json_decref(by_image);
    json_decref(doc);
    return finish(r, rc);
}

/* ---- kitti ---- */

/* The schema class for a KITTI type: as is, or with '_' read as ' ' (the export's replacement). */
static json_t *kitti_class(json_t *schema, const char *type)
{
    char name[128];
    if (class_def(schema, type) || !schema) return json_string(type);
    snprintf(name, sizeof name, "%s", type);
    for (char *q = name; *q; q++)
        if (*q == '_') *q = ' ';
    return json_string(class_def(schema, name) ? name : type);
}

long imp_kitti(const char *frame, const char *p, size_t n, const struct imp_options *o, imp_task_fn cb, void *ctx,
               struct imp_report *r)
{
    memset(r, 0, sizeof *r);
    if (n > o->max_bytes) {
        add_error(r, 0, 0, "", "the file is larger than %zu bytes", o->max_bytes);
        return -1;
    }
    json_t *objs = json_array();
    size_t lineno = 0;
    for (size_t pos = 0; pos < n;) {
        size_t end = pos;
        while (end < n && p[end] != '\n') end++;
        lineno++;
        char line[1024];
        size_t len = end - pos;
        if (len >= sizeof line) {
            add_error(r, lineno, lineno, "", "the line is longer than %zu bytes", sizeof line - 1);
            pos = end + 1;
            continue;
        }
        memcpy(line, p + pos, len);
        line[len] = '\0';
        pos = end + 1;
        char *save = NULL, *tok[17];
        int nt = 0;
        for (char *t = strtok_r(line, " \t\r", &save); t && nt < 17; t = strtok_r(NULL, " \t\r", &save)) tok[nt++] = t;
        if (nt == 0 || !strcmp(tok[0], "DontCare")) continue;
        if (nt != 15 && nt != 16) {
            add_error(r, lineno, lineno, "", "a KITTI label line has 15 fields (16 with a score), not %d", nt);
            continue;
        }
        double v[14];
        int bad = 0;
        for (int i = 0; i < 14 && !bad; i++) {
            char *e;
            errno = 0;
            v[i] = strtod(tok[i + 1], &e);
            if (*e || errno || !isfinite(v[i])) bad = i + 2;
        }
        if (bad || v[7] <= 0 || v[8] <= 0 || v[9] <= 0) {
            char field[16];
            snprintf(field, sizeof field, "%d", bad ? bad : 9);
            if (bad) add_error(r, lineno, lineno, field, "field %d is not a finite number", bad);
            else add_error(r, lineno, lineno, field, "dimensions must be positive");
            continue;
        }
        double c[3], yaw;
        fmt_kitti_to_lidar(&v[10], &v[7], v[13], c, &yaw);
        char id[32];
        snprintf(id, sizeof id, "kitti-%zu", lineno);
        json_array_append_new(objs, json_pack("{s:s, s:o, s:[o, o, o], s:[o, o, o], s:o}", "id", id, "class",
                                              kitti_class(o->schema, tok[0]), "center", fmt_number(round6(c[0])),
                                              fmt_number(round6(c[1])), fmt_number(round6(c[2])), "size",
                                              fmt_number(round6(v[9])), fmt_number(round6(v[8])),
                                              fmt_number(round6(v[7])), "yaw", fmt_number(round8(yaw))));
    }
    int rc = deliver(task_line(json_object(), frame, json_pack("{s:o}", "objects", objs)), 0, 0, cb, ctx, r);
    return finish(r, rc);
}

/* ---- NDJSON: a member's text as json_dumps(JSON_COMPACT) writes it ---- */

static const char *json_ws_skip(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p;
}

/* Past the string opening at p, or NULL. *compact becomes false for an escape json_dumps does not write:
 * it writes \" \\ \b \f \n \r \t, other control characters as \u00XX (which we leave to the slow path),
 * '/' and non-ASCII bytes as they are. */
static const char *json_string_skip(const char *p, const char *end, bool *compact)
{
    for (p++; p < end; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '"') return p + 1;
        if (ch < 0x20) return NULL;
        if (ch != '\\') continue;
        if (++p == end) return NULL;
        if (*p == 'u' || *p == '/') *compact = false;
        else if (!strchr("\"\\bfnrt", *p) || !*p) return NULL;
    }
    return NULL;
}

/* Past the value starting at p, or NULL. *compact becomes false for whitespace inside it, a real (jansson
 * prints it with 17 digits: 0.1 becomes 0.10000000000000001), -0 (printed 0) or an escape as above. */
static const char *json_value_skip(const char *p, const char *end, bool *compact)
{
    int depth = 0;
    while (p < end) {
        char ch = *p;
        if (ch == '"') {
            if (!(p = json_string_skip(p, end, compact))) return NULL;
        } else if (ch == '{' || ch == '[') {
            depth++;
            p++;
            continue;
        } else if (ch == '}' || ch == ']') {
            if (--depth < 0) return NULL;
            p++;
        } else if (ch == ',' || ch == ':') {
            if (depth == 0) return NULL;
            p++;
            continue;
        } else if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
            if (depth == 0) return NULL;
            *compact = false;
            p++;
            continue;
        } else if (ch == '-' || (ch >= '0' && ch <= '9')) {
            const char *s = p;
            while (p < end && strchr("0123456789+-.eE", *p) && *p) p++;
            if (memchr(s, '.', (size_t)(p - s)) || memchr(s, 'e', (size_t)(p - s)) || memchr(s, 'E', (size_t)(p - s)) ||
                (p - s == 2 && s[0] == '-' && s[1] == '0'))
                *compact = false;
        } else {
            static const char *const lits[] = {"true", "false", "null"};
            size_t i = 0, l = 0;
            for (; i < 3; i++) {
                l = strlen(lits[i]);
                if ((size_t)(end - p) >= l && !memcmp(p, lits[i], l)) break;
            }
            if (i == 3) return NULL;
            p += l;
        }
        if (depth == 0) return p;
    }
    return NULL;
}

const char *imp_compact_member(const char *line, size_t n, const char *name, size_t *len)
{
    const char *p = line, *end = line + n;
    size_t name_len = strlen(name);
    p = json_ws_skip(p, end);
    if (p == end || *p++ != '{') return NULL;
    for (;;) {
        p = json_ws_skip(p, end);
        if (p == end || *p != '"') return NULL;
        bool plain = true, compact = true;
        const char *key = p + 1;
        if (!(p = json_string_skip(p, end, &plain))) return NULL;
        size_t key_len = (size_t)(p - 1 - key);
        if (memchr(key, '\\', key_len)) return NULL; /* "d\u0061ta" is "data" too */
        p = json_ws_skip(p, end);
        if (p == end || *p++ != ':') return NULL;
        const char *value = p = json_ws_skip(p, end);
        if (!(p = json_value_skip(p, end, &compact))) return NULL;
        if (key_len == name_len && !memcmp(key, name, name_len)) {
            if (!compact) return NULL;
            *len = (size_t)(p - value);
            return value;
        }
        p = json_ws_skip(p, end);
        if (p == end || *p++ != ',') return NULL;
    }
}

/* ---- NDJSON: the fast path of imp_simple_line ---- */

/* jansson's UTF-8 rule (utf8_check_first/full): the length of the sequence at p, 0 when invalid (a stray
 * continuation byte, overlong, a surrogate, above U+10FFFF, or cut short by end). */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n = c < 0x80 ? 1 : c < 0xC2 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
    if (n < 2) return n;
    if ((size_t)(end - p) < n) return 0;
    uint32_t v = c & (0xFFu >> (n + 1));
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || (n == 3 && v < 0x800) || (n == 4 && v < 0x10000)) return 0;
    return n;
}

/* The string opening at *pp, in compact form (escapes only \" \\ \b \f \n \r \t; no \u, no \/): moves *pp
 * past it and sets *chars to its length in characters, *escaped when it holds an escape. False otherwise. */
static bool simple_string(const char **pp, const char *end, size_t *chars, bool *escaped)
{
    const unsigned char *p = (const unsigned char *)*pp + 1, *e = (const unsigned char *)end;
    size_t n = 0;
    *escaped = false;
    while (p < e) {
        unsigned c = *p;
        if (c == '"') {
            *pp = (const char *)p + 1;
            *chars = n;
            return true;
        }
        if (c < 0x20) return false;
        if (c == '\\') {
            if (p + 1 == e || !memchr("\"\\bfnrt", p[1], 7)) return false;
            *escaped = true;
            p += 2;
        } else {
            size_t l = utf8_seq(p, e);
            if (!l) return false;
            p += l;
        }
        n++;
    }
    return false;
}

/* An integer in JSON's grammar and in compact form (no -0, at most 18 digits: no overflow), followed by a
 * delimiter; its value in *v. */
static bool simple_integer(const char **pp, const char *end, int64_t *v)
{
    const char *p = *pp;
    bool neg = p < end && *p == '-';
    if (neg) p++;
    const char *digits = p;
    while (p < end && *p >= '0' && *p <= '9') p++;
    size_t nd = (size_t)(p - digits);
    if (nd == 0 || nd > 18 || (nd > 1 && *digits == '0') || (neg && nd == 1 && *digits == '0')) return false;
    if (p < end && (*p == '.' || *p == 'e' || *p == 'E')) return false;
    int64_t x = 0;
    for (const char *d = digits; d < p; d++) x = x * 10 + (*d - '0');
    *v = neg ? -x : x;
    *pp = p;
    return true;
}

static bool simple_literal(const char **pp, const char *end)
{
    static const char *const lits[] = {"true", "false", "null"};
    for (size_t i = 0; i < 3; i++) {
        size_t l = strlen(lits[i]);
        if ((size_t)(end - *pp) >= l && !memcmp(*pp, lits[i], l)) {
            *pp += l;
            return true;
        }
    }
    return false;
}

#define SIMPLE_DATA_KEYS 16

/* data: a compact object of distinct unescaped keys with string, integer, boolean or null values. *text_chars
 * is the length in characters of its "text" string, or SIZE_MAX when it has none. */
static bool simple_data(const char **pp, const char *end, size_t *text_chars)
{
    const char *p = *pp + 1, *keys[SIMPLE_DATA_KEYS];
    size_t key_lens[SIMPLE_DATA_KEYS], nkeys = 0;
    *text_chars = SIZE_MAX;
    if (p < end && *p == '}') {
        *pp = p + 1;
        return true;
    }
    for (;;) {
        if (p == end || *p != '"' || nkeys == SIMPLE_DATA_KEYS) return false;
        const char *k = p + 1;
        size_t chars;
        bool escaped;
        if (!simple_string(&p, end, &chars, &escaped) || escaped) return false;
        size_t kl = (size_t)(p - 1 - k);
        for (size_t i = 0; i < nkeys; i++)
            if (key_lens[i] == kl && !memcmp(keys[i], k, kl)) return false; /* jansson refuses duplicates */
        keys[nkeys] = k;
        key_lens[nkeys++] = kl;
        if (p == end || *p++ != ':' || p == end) return false;
        bool is_text = kl == 4 && !memcmp(k, "text", 4);
        int64_t v;
        if (*p == '"') {
            if (!simple_string(&p, end, &chars, &escaped)) return false;
            if (is_text) *text_chars = chars;
        } else if (!(*p == '-' || (*p >= '0' && *p <= '9') ? simple_integer(&p, end, &v) : simple_literal(&p, end))) {
            return false;
        }
        if (is_text && *text_chars == SIZE_MAX) return false; /* "text" that is not a string */
        if (p == end) return false;
        if (*p == '}') {
            *pp = p + 1;
            return true;
        }
        if (*p++ != ',') return false;
    }
}

bool imp_simple_line(const char *line, size_t n, enum project_kind kind, struct imp_simple_task *t)
{
    bool text_kind = kind == KIND_TEXT_CLASSIFICATION || kind == KIND_TEXT_SPANS;
    if (!text_kind && kind != KIND_FREE_TEXT) return false;
    const char *p = line, *end = line + n;
    unsigned seen = 0; /* 1 data, 2 external_id, 4 priority */
    memset(t, 0, sizeof *t);
    p = json_ws_skip(p, end);
    if (p == end || *p++ != '{') return false;
    for (;;) {
        p = json_ws_skip(p, end);
        if (p == end || *p != '"') return false;
        const char *k = p + 1;
        size_t chars;
        bool escaped;
        if (!simple_string(&p, end, &chars, &escaped) || escaped) return false;
        size_t kl = (size_t)(p - 1 - k);
        unsigned bit = kl == 4 && !memcmp(k, "data", 4)          ? 1
                       : kl == 11 && !memcmp(k, "external_id", 11) ? 2
                       : kl == 8 && !memcmp(k, "priority", 8)      ? 4
                                                                   : 0;
        if (!bit || (seen & bit)) return false; /* another member (the general path checks it), or twice */
        seen |= bit;
        p = json_ws_skip(p, end);
        if (p == end || *p++ != ':') return false;
        p = json_ws_skip(p, end);
        if (p == end) return false;
        const char *v = p;
        if (bit == 1) {
            size_t text_chars;
            if (*p != '{' || !simple_data(&p, end, &text_chars)) return false;
            if (text_kind && (text_chars == SIZE_MAX || text_chars < 1 || text_chars > TASK_TEXT_MAX_CHARS))
                return false;
            t->data = v;
            t->data_len = (size_t)(p - v);
        } else if (bit == 2) {
            if (*p == '"') {
                if (!simple_string(&p, end, &chars, &escaped) || escaped) return false;
                t->external_id = v + 1;
                t->external_id_len = (size_t)(p - 1 - t->external_id);
                if (t->external_id_len < 1 || t->external_id_len > 200) return false;
            } else if (end - p < 4 || memcmp(p, "null", 4)) {
                return false;
            } else {
                p += 4;
            }
        } else if (*p == 'n') {
            if (end - p < 4 || memcmp(p, "null", 4)) return false;
            p += 4;
        } else if (!simple_integer(&p, end, &t->priority) || t->priority < -1000 || t->priority > 1000) {
            return false;
        }
        p = json_ws_skip(p, end);
        if (p == end) return false;
        if (*p == '}') break;
        if (*p++ != ',') return false;
    }
    return (seen & 1) && json_ws_skip(p + 1, end) == end;
}
