/* Export formats (see formats.h and docs/formats.md): shared helpers, then one small exporter each. */
#include "core/formats.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/zipstream.h"

#define JSON_OUT (JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15))
#define STEM_MAX 100
#define CSV_MAX_RESPONSES 4

struct fmt_export {
    const struct fmt_exporter *e;
    enum project_kind kind;
    json_t *schema;
    struct fmt_sink sink;
    const char *media_prefix;
    zipw *zip;
    int64_t now_ms;
    size_t items;        /* items written to the current JSON array */
    int pass;            /* 1, then 2 for a two-pass format */
    int64_t next_id;     /* coco annotation ids */
    struct jline *line;  /* jsonl: the line built from stored texts; NULL when jansson builds every line */
    char err[200];
};

static int failx(fmt_export *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int failx(fmt_export *x, const char *fmt, ...)
{
    if (!x->err[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(x->err, sizeof x->err, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ---- output ---- */

static int put(fmt_export *x, const void *p, size_t n)
{
    if (x->err[0]) return -1;
    if (x->zip) return zipw_write(x->zip, p, n) ? failx(x, "zip: %s", zipw_error(x->zip)) : 0;
    return x->sink.write(x->sink.ctx, p, n) ? failx(x, "the output failed") : 0;
}

static int puts_(fmt_export *x, const char *s) { return put(x, s, strlen(s)); }

static int putf(fmt_export *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int putf(fmt_export *x, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) return failx(x, "internal: line too long");
    return put(x, tmp, (size_t)n);
}

static int json_cb(const char *p, size_t n, void *ctx) { return put(ctx, p, n); }

/* Writes j and drops the reference. */
static int put_json(fmt_export *x, json_t *j)
{
    if (!j) return failx(x, "out of memory");
    int rc = json_dump_callback(j, json_cb, x, JSON_OUT);
    json_decref(j);
    return rc ? failx(x, "the output failed") : 0;
}

/* A JSON array item: "," before every item but the first. */
static int put_item(fmt_export *x, json_t *j)
{
    if (x->items++ && put(x, ",", 1)) {
        json_decref(j);
        return -1;
    }
    return put_json(x, j);
}

static int zip_open(fmt_export *x, const char *name)
{
    return zipw_begin_file(x->zip, name) ? failx(x, "zip: %s", zipw_error(x->zip)) : 0;
}

/* Starts dir/stem.ext, or dir/stem_<task id>.ext when that name is taken. */
static int zip_open_task(fmt_export *x, const char *dir, const char *stem, int64_t task_id, const char *ext)
{
    char name[STEM_MAX + 64];
    snprintf(name, sizeof name, "%s/%s.%s", dir, stem, ext);
    if (zipw_has(x->zip, name)) snprintf(name, sizeof name, "%s/%s_%lld.%s", dir, stem, (long long)task_id, ext);
    return zip_open(x, name);
}

/* ---- values ---- */

json_t *fmt_number(double v)
{
    if (isfinite(v) && v == floor(v) && fabs(v) < 9007199254740992.0) return json_integer((json_int_t)v);
    return json_real(isfinite(v) ? v : 0);
}

static const char *sv(json_t *v)
{
    const char *s = json_string_value(v);
    return s ? s : "";
}

static double num(json_t *v) { return json_is_number(v) ? json_number_value(v) : 0; }
static double num_at(json_t *arr, size_t i) { return num(json_array_get(arr, i)); }

static json_t *time_json(int64_t ms)
{
    char t[40];
    clock_iso8601(ms, t, sizeof t);
    return json_string(t);
}

static json_t *nums(size_t n, const double *v)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, fmt_number(v[i]));
    return a;
}

/* Deep equality where 2 and 2.0 are the same number. */
static bool same(json_t *a, json_t *b)
{
    if (json_is_number(a) && json_is_number(b)) return json_number_value(a) == json_number_value(b);
    if (json_typeof(a) != json_typeof(b)) return false;
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b)) return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!same(json_array_get(a, i), json_array_get(b, i))) return false;
        return true;
    }
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b)) return false;
        const char *k;
        json_t *v;
        json_object_foreach(a, k, v) {
            json_t *w = json_object_get(b, k);
            if (!w || !same(v, w)) return false;
        }
        return true;
    }
    return json_equal(a, b);
}

static json_t *schema_classes(fmt_export *x) { return json_object_get(x->schema, "classes"); }

/* Index of the schema class of that name, or -1. */
static int class_index(json_t *classes, const char *name)
{
    for (size_t i = 0; name && i < json_array_size(classes); i++)
        if (!strcmp(sv(json_object_get(json_array_get(classes, i), "name")), name))
            return (int)i;
    return -1;
}

/* The image's size from the task, else from data.image; false when unknown. */
static bool image_size(const struct fmt_task *t, double *w, double *h)
{
    json_t *img = json_object_get(t->data, "image");
    *w = t->width > 0 ? t->width : num(json_object_get(img, "width"));
    *h = t->height > 0 ? t->height : num(json_object_get(img, "height"));
    return *w > 0 && *h > 0;
}

static int need_size(fmt_export *x, const struct fmt_task *t, double *w, double *h)
{
    if (image_size(t, w, h)) return 0;
    return failx(x, "task %lld: the image's width and height are unknown", (long long)t->task_id);
}

/* The last path segment of the image URL (query and fragment dropped), else the media id, else "". */
static void image_file_name(const struct fmt_task *t, char *out, size_t n)
{
    json_t *img = json_object_get(t->data, "image");
    const char *url = json_string_value(json_object_get(img, "url"));
    out[0] = '\0';
    if (!url) {
        snprintf(out, n, "%s", sv(json_object_get(img, "media_id")));
        return;
    }
    size_t end = strcspn(url, "?#");
    size_t start = end;
    while (start > 0 && url[start - 1] != '/') start--;
    snprintf(out, n, "%.*s", (int)(end - start), url + start);
}

/* A file-name-safe stem: [A-Za-z0-9._-] kept, others '_', no leading dot; the task id when empty. */
static void safe_stem(const char *s, bool strip_ext, int64_t task_id, char *out, size_t n)
{
    size_t len = strlen(s);
    const char *dot = strip_ext ? strrchr(s, '.') : NULL;
    if (dot && dot > s) len = (size_t)(dot - s);
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < n && o < STEM_MAX; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                  (c == '.' && o > 0);
        out[o++] = ok ? c : '_';
    }
    out[o] = '\0';
    if (!o) snprintf(out, n, "%lld", (long long)task_id);
}

static void image_stem(const struct fmt_task *t, char *out, size_t n)
{
    char file[2048];
    json_t *img = json_object_get(t->data, "image");
    file[0] = '\0';
    if (json_object_get(img, "url")) image_file_name(t, file, sizeof file);
    safe_stem(file, true, t->task_id, out, n);
}

/* Bounds of an image object: bbox, polygon points, or labelled keypoints. False when it has none. */
static bool object_bounds(json_t *o, double *x0, double *y0, double *x1, double *y1)
{
    const char *type = sv(json_object_get(o, "type"));
    json_t *b = json_object_get(o, "bbox");
    if (!strcmp(type, "bbox")) {
        *x0 = num_at(b, 0);
        *y0 = num_at(b, 1);
        *x1 = *x0 + num_at(b, 2);
        *y1 = *y0 + num_at(b, 3);
        return json_array_size(b) == 4;
    }
    bool kp = !strcmp(type, "keypoints");
    json_t *pts = json_object_get(o, kp ? "keypoints" : "points");
    bool any = false;
    for (size_t i = 0; i < json_array_size(pts); i++) {
        json_t *p = json_array_get(pts, i);
        if (kp && num_at(p, 2) <= 0) continue;
        double px = num_at(p, 0), py = num_at(p, 1);
        if (!any || px < *x0) *x0 = px;
        if (!any || py < *y0) *y0 = py;
        if (!any || px > *x1) *x1 = px;
        if (!any || py > *y1) *y1 = py;
        any = true;
    }
    return any && (kp || !strcmp(type, "polygon"));
}

/* Shoelace area of the polygon object. */
static double polygon_area(json_t *pts)
{
    double a = 0;
    size_t n = json_array_size(pts);
    for (size_t i = 0; i < n; i++) {
        json_t *p = json_array_get(pts, i), *q = json_array_get(pts, (i + 1) % n);
        a += num_at(p, 0) * num_at(q, 1) - num_at(q, 0) * num_at(p, 1);
    }
    return fabs(a) / 2;
}

static const char *objects_key(enum project_kind k)
{
    return k == KIND_TEXT_SPANS ? "spans" : (k == KIND_IMAGE_ANNOTATION || k == KIND_LIDAR_CUBOIDS) ? "objects" : NULL;
}

/* The key used to match ids: strings as is, integers printed. */
static bool id_key(json_t *id, char *out, size_t n)
{
    if (json_is_string(id)) return (size_t)snprintf(out, n, "s%s", json_string_value(id)) < n;
    if (json_is_integer(id)) return (size_t)snprintf(out, n, "i%lld", (long long)json_integer_value(id)) < n;
    return false;
}

json_t *fmt_prediction_diff(enum project_kind k, json_t *predictions, json_t *answer)
{
    const char *key = objects_key(k);
    if (!key || !predictions) return NULL;
    json_t *pa = json_object_get(predictions, key), *aa = json_object_get(answer, key);
    json_t *by_id = json_object(), *status = json_array(), *removed = json_array();
    char idk[160];
    for (size_t i = 0; i < json_array_size(pa); i++)
        if (id_key(json_object_get(json_array_get(pa, i), "id"), idk, sizeof idk) && !json_object_get(by_id, idk))
            json_object_set_new(by_id, idk, json_integer((json_int_t)i));
    for (size_t i = 0; i < json_array_size(aa); i++) {
        json_t *o = json_array_get(aa, i), *hit = NULL;
        if (id_key(json_object_get(o, "id"), idk, sizeof idk)) hit = json_object_get(by_id, idk);
        const char *s = "added";
        if (json_is_integer(hit)) {
            s = same(o, json_array_get(pa, (size_t)json_integer_value(hit))) ? "kept" : "edited";
            json_object_set_new(by_id, idk, json_true()); /* matched once */
        }
        json_array_append_new(status, json_string(s));
    }
    json_t *v;
    for (size_t i = 0; i < json_array_size(pa); i++) { /* in prediction order */
        json_t *id = json_object_get(json_array_get(pa, i), "id");
        if (id_key(id, idk, sizeof idk) && json_is_integer(v = json_object_get(by_id, idk)) &&
            (size_t)json_integer_value(v) == i)
            json_array_append(removed, id);
    }
    json_decref(by_id);
    json_t *d = json_object();
    json_object_set_new(d, key, status);
    json_object_set_new(d, "removed", removed);
    return d;
}

/* ---- jsonl ---- */

/* What one-label-set formats (YOLO, VOC, KITTI) carry: the consensus, else the first answer. */
static json_t *primary_answer(const struct fmt_task *t)
{
    return t->result.answer ? t->result.answer : t->n_answers ? t->answers[0].answer : NULL;
}

static json_t *result_json(const struct fmt_task *t)
{
    if (!t->result.answer) return json_null();
    return json_pack("{s:O, s:o, s:s, s:I, s:b}", "answer", t->result.answer, "confidence",
                     fmt_number(t->result.confidence), "method", t->result.method ? t->result.method : "",
                     "version", (json_int_t)t->result.version, "final", t->result.final);
}

static int jsonl_task(fmt_export *x, const struct fmt_task *t)
{
    json_t *answers = json_array();
    for (size_t i = 0; i < t->n_answers; i++) {
        const struct fmt_answer *a = &t->answers[i];
        json_t *o = json_pack("{s:I, s:I, s:O, s:o}", "assignment_id", (json_int_t)a->assignment_id, "worker_id",
                              (json_int_t)a->worker_id, "answer", a->answer ? a->answer : json_null(),
                              "submitted_at", time_json(a->submitted_at_ms));
        json_t *d = fmt_prediction_diff(x->kind, t->predictions, a->answer);
        if (o && d) json_object_set_new(o, "prediction_diff", d);
        else json_decref(d);
        if (o && a->review_state) {
            json_object_set_new(o, "review_state", json_string(a->review_state));
            json_object_set_new(o, "answer_version", json_integer((json_int_t)a->answer_version));
        }
        json_array_append_new(answers, o);
    }
    json_t *line = json_pack("{s:I, s:o, s:O}", "task_id", (json_int_t)t->task_id, "external_id",
                             t->external_id ? json_string(t->external_id) : json_null(), "data",
                             t->data ? t->data : json_null());
    if (line && t->predictions) json_object_set(line, "predictions", t->predictions);
    if (line) json_object_set_new(line, "result", result_json(t));
    if (line) json_object_set(line, "answers", answers);
    json_decref(answers);
    return put_json(x, line) || put(x, "\n", 1);
}

/* ---- jsonl from the stored texts ---- */

/* The line jsonl_task writes is jansson's dump of json_loads(stored text) for the task data, each answer
 * and the consensus. Building it from the texts skips the parse and the dump: one pass checks each text
 * and copies it, rewriting only what the dump changes (whitespace, escapes, "-0", and reals: answers are
 * stored with 17 significant digits and exported with 15). Whatever the copy does not handle (nesting
 * past JL_DEPTH, long numbers, many keys, duplicate keys, text jansson refuses) goes to jsonl_task. */

#define LINE_MAX_BYTES ((size_t)4 << 20) /* a longer line goes through jansson, which streams it */
#define JL_DEPTH 64
#define JL_KEYS 256
#define JL_NUMBER_MAX 40 /* longer number tokens go through jansson */

struct jline {
    char *p;
    size_t len, cap;
    struct {
        size_t off, len;
    } keys[JL_KEYS]; /* the keys of the open objects as written, for the duplicate check */
    int nkeys;
};

static bool jl_grow(struct jline *l, size_t n)
{
    if (n > LINE_MAX_BYTES - l->len) return false;
    size_t cap = l->cap ? l->cap : 4096;
    while (cap - l->len < n) cap *= 2;
    char *p = realloc(l->p, cap);
    if (!p) return false;
    l->p = p;
    l->cap = cap;
    return true;
}

static inline bool jl_reserve(struct jline *l, size_t n) { return l->cap - l->len >= n || jl_grow(l, n); }

static inline bool jl_add(struct jline *l, const void *p, size_t n)
{
    if (!jl_reserve(l, n)) return false;
    memcpy(l->p + l->len, p, n);
    l->len += n;
    return true;
}

#define JL_LIT(l, s) jl_add(l, s, sizeof s - 1)

static bool jl_int(struct jline *l, int64_t v)
{
    char t[24], *e = t + sizeof t, *q = e;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--q = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) *--q = '-';
    return jl_add(l, q, (size_t)(e - q));
}

/* Length of the UTF-8 sequence at s (s[0] >= 0x80) as jansson's decoder accepts it (no overlong form,
 * surrogate or code point past U+10FFFF), else 0. */
static int utf8_seq(const unsigned char *s)
{
    unsigned c = s[0], n, v;
    if (c >= 0xC2 && c <= 0xDF) n = 2, v = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF) n = 3, v = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4) n = 4, v = c & 0x07;
    else return 0;
    for (unsigned i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = v << 6 | (s[i] & 0x3F);
    }
    if (n == 3 && (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))) return 0;
    if (n == 4 && (v < 0x10000 || v > 0x10FFFF)) return 0;
    return (int)n;
}

/* Length of the run at s that a dumped string keeps as it is. */
static size_t plain_run(const unsigned char *s)
{
    const unsigned char *p = s;
    for (;;) {
        while (*p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') p++;
        if (*p >= 0x80) {
            int n = utf8_seq(p);
            if (!n) break;
            p += n;
        } else break;
    }
    return (size_t)(p - s);
}

/* One code point of a string's value as jansson's dump_string writes it. */
static bool jl_codepoint(struct jline *l, uint32_t c)
{
    static const char hex[] = "0123456789ABCDEF";
    char t[6];
    switch (c) {
    case '"': return JL_LIT(l, "\\\"");
    case '\\': return JL_LIT(l, "\\\\");
    case '\b': return JL_LIT(l, "\\b");
    case '\f': return JL_LIT(l, "\\f");
    case '\n': return JL_LIT(l, "\\n");
    case '\r': return JL_LIT(l, "\\r");
    case '\t': return JL_LIT(l, "\\t");
    }
    if (c < 0x20) {
        memcpy(t, "\\u00", 4);
        t[4] = hex[c >> 4];
        t[5] = hex[c & 15];
        return jl_add(l, t, 6);
    }
    if (c < 0x80) {
        t[0] = (char)c;
        return jl_add(l, t, 1);
    }
    if (c < 0x800) {
        t[0] = (char)(0xC0 | c >> 6);
        t[1] = (char)(0x80 | (c & 0x3F));
        return jl_add(l, t, 2);
    }
    if (c < 0x10000) {
        t[0] = (char)(0xE0 | c >> 12);
        t[1] = (char)(0x80 | (c >> 6 & 0x3F));
        t[2] = (char)(0x80 | (c & 0x3F));
        return jl_add(l, t, 3);
    }
    t[0] = (char)(0xF0 | c >> 18);
    t[1] = (char)(0x80 | (c >> 12 & 0x3F));
    t[2] = (char)(0x80 | (c >> 6 & 0x3F));
    t[3] = (char)(0x80 | (c & 0x3F));
    return jl_add(l, t, 4);
}

/* A C string as json_string + dump write it; false when it is not UTF-8 (json_string refuses it). */
static bool jl_cstring(struct jline *l, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    if (!JL_LIT(l, "\"")) return false;
    for (;;) {
        size_t n = plain_run(s);
        if (n && !jl_add(l, s, n)) return false;
        s += n;
        if (!*s) break;
        if (*s >= 0x80 || !jl_codepoint(l, *s++)) return false;
    }
    return JL_LIT(l, "\"");
}

/* The 4 hex digits at s, or -1. */
static int32_t hex4(const char *s)
{
    int32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        v = v << 4 | d;
    }
    return v;
}

/* The JSON string at *sp (its opening quote), decoded as jansson's lexer does and written as its dump does. */
static bool jl_string(struct jline *l, const char **sp)
{
    const char *s = *sp + 1;
    if (!JL_LIT(l, "\"")) return false;
    for (;;) {
        size_t n = plain_run((const unsigned char *)s);
        if (n && !jl_add(l, s, n)) return false;
        s += n;
        if (*s == '"') break;
        if (*s != '\\') return false; /* a control character, the end of the text, or not UTF-8 */
        int32_t c;
        switch (*++s) {
        case '"': case '\\': case '/': c = *s; break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        case 'u':
            if ((c = hex4(s + 1)) < 0) return false;
            s += 4;
            if (c >= 0xD800 && c <= 0xDBFF) {
                int32_t lo = s[1] == '\\' && s[2] == 'u' ? hex4(s + 3) : -1;
                if (lo < 0xDC00 || lo > 0xDFFF) return false;
                c = ((c - 0xD800) << 10) + (lo - 0xDC00) + 0x10000;
                s += 6;
            } else if ((c >= 0xDC00 && c <= 0xDFFF) || c == 0) { /* a lone surrogate; NUL is refused */
                return false;
            }
            break;
        default: return false;
        }
        s++;
        if (!jl_codepoint(l, (uint32_t)c)) return false;
    }
    *sp = s + 1;
    return JL_LIT(l, "\"");
}

/* v as jansson dumps a real with JSON_OUT (the exact, slow way). */
static bool jl_real(struct jline *l, double v)
{
    char t[64];
    json_t *j = json_real(v);
    size_t n = j ? json_dumpb(j, t, sizeof t, JSON_OUT) : 0;
    json_decref(j);
    return n > 0 && n <= sizeof t && jl_add(l, t, n);
}

/* The real with significant digits d[0..n) (d[0] not 0, no trailing zeros, n <= 15) times 10^(e - n + 1),
 * as printf's "%.15g" writes it after jansson's touches: ".0" when it would read as an integer, no '+'
 * and no leading zeros in the exponent. */
static size_t real_text(char *o, bool neg, const char *d, int n, int e)
{
    char *p = o;
    if (neg) *p++ = '-';
    if (e < -4 || e >= 15) {
        *p++ = d[0];
        if (n > 1) {
            *p++ = '.';
            memcpy(p, d + 1, (size_t)n - 1);
            p += n - 1;
        }
        *p++ = 'e';
        if (e < 0) *p++ = '-';
        char t[8];
        int k = 0;
        for (unsigned u = (unsigned)abs(e); u || !k; u /= 10) t[k++] = (char)('0' + u % 10);
        while (k) *p++ = t[--k];
    } else if (e >= 0) {
        int ni = e + 1; /* digits before the point */
        if (n <= ni) {
            memcpy(p, d, (size_t)n);
            memset(p + n, '0', (size_t)(ni - n));
            p += ni;
            *p++ = '.';
            *p++ = '0';
        } else {
            memcpy(p, d, (size_t)ni);
            p += ni;
            *p++ = '.';
            memcpy(p, d + ni, (size_t)(n - ni));
            p += n - ni;
        }
    } else {
        *p++ = '0';
        *p++ = '.';
        memset(p, '0', (size_t)(-e - 1));
        p += -e - 1;
        memcpy(p, d, (size_t)n);
        p += n;
    }
    return (size_t)(p - o);
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* The number at *sp as jansson's lexer reads it (integer or real) and its dump writes it. A real with at
 * most 15 significant digits is that decimal, which a double keeps exactly to 15 digits. With more, the
 * digits past the 15th decide the rounding unless they are near a tie (the stored double may then lie
 * on either side: it is within half an ulp, at most 11.1 units of the 17th digit, of the text), in which
 * case strtod and jansson's own dump decide. */
static bool jl_number(struct jline *l, const char **sp)
{
    const char *s = *sp, *tok = s;
    bool neg = *s == '-';
    if (neg) s++;
    const char *ip = s;
    if (*s == '0') {
        if (is_digit(*++s)) return false;
    } else if (*s >= '1' && *s <= '9') {
        while (is_digit(*s)) s++;
    } else {
        return false;
    }
    const char *ie = s, *fp = s, *fe = s;
    if (*s != '.' && *s != 'e' && *s != 'E') { /* an integer: written back as is, but -0 */
        *sp = s;
        if (ie - ip > 18) return false; /* may not fit a json_int_t */
        if (neg && ie - ip == 1 && *ip == '0') return JL_LIT(l, "0");
        return jl_add(l, tok, (size_t)(s - tok));
    }
    if (*s == '.') {
        fp = ++s;
        if (!is_digit(*s)) return false;
        while (is_digit(*s)) s++;
        fe = s;
    }
    int ex = 0;
    if (*s == 'e' || *s == 'E') {
        bool eneg = *++s == '-';
        if (*s == '-' || *s == '+') s++;
        if (!is_digit(*s)) return false;
        for (; is_digit(*s); s++)
            if (ex < 100000) ex = ex * 10 + (*s - '0');
        if (eneg) ex = -ex;
    }
    *sp = s;
    if (s - tok > JL_NUMBER_MAX) return false;
    char all[JL_NUMBER_MAX], r[16];
    int ni = (int)(ie - ip), na = ni + (int)(fe - fp), i = 0;
    memcpy(all, ip, (size_t)ni);
    memcpy(all + ni, fp, (size_t)(fe - fp));
    while (i < na && all[i] == '0') i++;
    if (i == na) return neg ? JL_LIT(l, "-0.0") : JL_LIT(l, "0.0");
    int e = ni - 1 - i + ex; /* the power of ten of the first significant digit */
    const char *d = all + i;
    int n = na - i;
    while (d[n - 1] == '0') n--;
    if (e > 300 || e < -300) goto exact; /* near overflow and subnormals */
    if (n <= 15) {
        memcpy(r, d, (size_t)n);
    } else {
        int tail = (d[15] - '0') * 10 + (n > 16 ? d[16] - '0' : 0);
        if (tail >= 29 && tail <= 70) goto exact;
        memcpy(r, d, 15);
        n = 15;
        if (tail > 70) {
            int k = 14;
            while (k >= 0 && r[k] == '9') r[k--] = '0';
            if (k < 0) {
                r[0] = '1';
                e++;
            } else {
                r[k]++;
            }
        }
        while (r[n - 1] == '0') n--;
    }
    char o[32];
    return jl_add(l, o, real_text(o, neg, r, n, e));
exact: {
    char t[JL_NUMBER_MAX + 1];
    memcpy(t, tok, (size_t)(s - tok));
    t[s - tok] = '\0';
    errno = 0;
    double v = strtod(t, NULL);
    if ((v == HUGE_VAL || v == -HUGE_VAL) && errno == ERANGE) return false; /* jansson refuses it */
    return jl_real(l, v);
}
}

/* fmt_number(v) as dumped. A confidence is a count of millionths: that decimal is exact to 15 digits. */
static bool jl_double(struct jline *l, double v)
{
    if (!isfinite(v)) return jl_real(l, 0);
    if (v == floor(v) && fabs(v) < 9007199254740992.0) return jl_int(l, (int64_t)v);
    double ppm = nearbyint(v * 1e6);
    if (fabs(ppm) < 1e15 && ppm / 1e6 == v) {
        char t[32];
        const char *s = t;
        snprintf(t, sizeof t, "%llde-6", (long long)ppm);
        return jl_number(l, &s);
    }
    return jl_real(l, v);
}

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    return s;
}

static bool jl_value(struct jline *l, const char **sp, int depth);

static bool jl_word(struct jline *l, const char **sp, const char *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((*sp)[i] != w[i]) return false; /* stops at the text's end, where w differs */
    const char *e = *sp + n;
    if ((*e >= 'a' && *e <= 'z') || (*e >= 'A' && *e <= 'Z')) return false;
    *sp = e;
    return jl_add(l, w, n);
}

static bool jl_object(struct jline *l, const char **sp, int depth)
{
    const char *s = skip_ws(*sp + 1);
    int base = l->nkeys;
    bool ok = JL_LIT(l, "{");
    while (ok && *s != '}') {
        size_t k0 = l->len;
        if (*s != '"' || l->nkeys == JL_KEYS || !jl_string(l, &s)) {
            ok = false;
            break;
        }
        size_t kn = l->len - k0;
        for (int i = base; ok && i < l->nkeys; i++)
            ok = l->keys[i].len != kn || memcmp(l->p + l->keys[i].off, l->p + k0, kn);
        l->keys[l->nkeys].off = k0;
        l->keys[l->nkeys++].len = kn;
        s = skip_ws(s);
        if (!ok || *s != ':' || !JL_LIT(l, ":")) {
            ok = false;
            break;
        }
        s = skip_ws(s + 1);
        ok = jl_value(l, &s, depth + 1);
        s = skip_ws(s);
        if (ok && *s == ',') {
            s = skip_ws(s + 1);
            ok = JL_LIT(l, ",") && *s != '}';
        } else if (*s != '}') {
            ok = false;
        }
    }
    l->nkeys = base;
    if (!ok) return false;
    *sp = s + 1;
    return JL_LIT(l, "}");
}

static bool jl_array(struct jline *l, const char **sp, int depth)
{
    const char *s = skip_ws(*sp + 1);
    if (!JL_LIT(l, "[")) return false;
    while (*s != ']') {
        if (!jl_value(l, &s, depth + 1)) return false;
        s = skip_ws(s);
        if (*s == ',') {
            s = skip_ws(s + 1);
            if (*s == ']' || !JL_LIT(l, ",")) return false;
        } else if (*s != ']') {
            return false;
        }
    }
    *sp = s + 1;
    return JL_LIT(l, "]");
}

static bool jl_value(struct jline *l, const char **sp, int depth)
{
    if (depth > JL_DEPTH) return false;
    switch (**sp) {
    case '{': return jl_object(l, sp, depth);
    case '[': return jl_array(l, sp, depth);
    case '"': return jl_string(l, sp);
    case 't': return jl_word(l, sp, "true", 4);
    case 'f': return jl_word(l, sp, "false", 5);
    case 'n': return jl_word(l, sp, "null", 4);
    default: return jl_number(l, sp);
    }
}

/* Appends the stored text (an object or array, as json_loads without JSON_DECODE_ANY wants) as dumped. */
static bool jl_json(struct jline *l, const char *text)
{
    const char *s = skip_ws(text);
    size_t len0 = l->len;
    if ((*s == '{' || *s == '[') && jl_value(l, &s, 1) && !*skip_ws(s)) return true;
    l->len = len0;
    l->nkeys = 0;
    return false;
}

char *fmt_json_copy(const char *text, size_t *len)
{
    struct jline *l = calloc(1, sizeof *l);
    char *out = NULL;
    if (l && text && jl_json(l, text) && jl_reserve(l, 1)) {
        l->p[l->len] = '\0';
        *len = l->len;
        out = l->p;
        l->p = NULL;
    }
    if (l) free(l->p);
    free(l);
    return out;
}

/* clock_iso8601 without gmtime and printf: days to a civil date (H. Hinnant's algorithm). */
static bool jl_time(struct jline *l, int64_t ms)
{
    char t[40];
    if (ms < 0 || ms >= 253402300800000LL) { /* outside years 1970-9999 */
        clock_iso8601(ms, t, sizeof t);
        return jl_add(l, t, strlen(t));
    }
    int64_t secs = ms / 1000, z = secs / 86400 + 719468, sod = secs % 86400;
    int64_t era = z / 146097, doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    int day = (int)(doy - (153 * mp + 2) / 5 + 1), mon = (int)(mp < 10 ? mp + 3 : mp - 9);
    int year = (int)(yoe + era * 400 + (mon <= 2));
    int f[7] = {year, mon, day, (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60), (int)(ms % 1000)};
    static const char sep[] = "--T::.Z"; /* after each field */
    char *p = t;
    for (int i = 0; i < 7; i++) {
        int w = i == 0 ? 4 : i == 6 ? 3 : 2;
        for (int k = w - 1, v = f[i]; k >= 0; k--, v /= 10) p[k] = (char)('0' + v % 10);
        p += w;
        *p++ = sep[i];
    }
    return jl_add(l, t, (size_t)(p - t));
}

/* jsonl_task's line from the stored texts; false when jansson must build it. */
static bool jsonl_line(struct jline *l, const struct fmt_task *t)
{
    if (t->predictions_text || !t->data_text) return false; /* the prediction diff needs the parsed values */
    l->len = 0;
    l->nkeys = 0;
    bool ok = JL_LIT(l, "{\"task_id\":") && jl_int(l, t->task_id) && JL_LIT(l, ",\"external_id\":") &&
              (t->external_id ? jl_cstring(l, t->external_id) : JL_LIT(l, "null")) && JL_LIT(l, ",\"data\":") &&
              jl_json(l, t->data_text) && JL_LIT(l, ",\"result\":");
    if (ok && t->result.answer_text)
        ok = JL_LIT(l, "{\"answer\":") && jl_json(l, t->result.answer_text) && JL_LIT(l, ",\"confidence\":") &&
             jl_double(l, t->result.confidence) && JL_LIT(l, ",\"method\":") &&
             jl_cstring(l, t->result.method ? t->result.method : "") && JL_LIT(l, ",\"version\":") &&
             jl_int(l, t->result.version) &&
             (t->result.final ? JL_LIT(l, ",\"final\":true}") : JL_LIT(l, ",\"final\":false}"));
    else
        ok = ok && JL_LIT(l, "null");
    ok = ok && JL_LIT(l, ",\"answers\":[");
    for (size_t i = 0; ok && i < t->n_answers; i++) {
        const struct fmt_answer *a = &t->answers[i];
        ok = (!i || JL_LIT(l, ",")) && JL_LIT(l, "{\"assignment_id\":") && jl_int(l, a->assignment_id) &&
             JL_LIT(l, ",\"worker_id\":") && jl_int(l, a->worker_id) && JL_LIT(l, ",\"answer\":") &&
             (a->answer_text ? jl_json(l, a->answer_text) : JL_LIT(l, "null")) && JL_LIT(l, ",\"submitted_at\":\"") &&
             jl_time(l, a->submitted_at_ms) && JL_LIT(l, "\"");
        if (ok && a->review_state)
            ok = JL_LIT(l, ",\"review_state\":") && jl_cstring(l, a->review_state) && JL_LIT(l, ",\"answer_version\":") &&
                 jl_int(l, a->answer_version);
        ok = ok && JL_LIT(l, "}");
    }
    return ok && JL_LIT(l, "]}\n");
}

static int jsonl_task_text(fmt_export *x, const struct fmt_task *t)
{
    if (!jsonl_line(x->line, t)) return 0;
    return put(x, x->line->p, x->line->len) ? -1 : 1;
}

/* The copy assumes jansson writes reals with printf's "%.15g" (its build without dtoa); checked once per
 * export against jansson itself on numbers that tell the two apart. */
static bool jl_matches_jansson(void)
{
    static const char probe[] = "[30.100000000000001,0.1,1e15,1e14,123456789012345.6,0.0001,0.00001,-0.0,1.5e300,"
                                "2.675e-5,9.9999999999999999e22,1E2,0.30000000000000004,\"\\u00e9\\/\"]";
    json_t *j = json_loads(probe, 0, NULL);
    char *want = j ? json_dumps(j, JSON_OUT) : NULL;
    size_t n = 0;
    char *got = fmt_json_copy(probe, &n);
    bool same_text = want && got && !strcmp(want, got);
    json_decref(j);
    free(want);
    free(got);
    return same_text;
}

/* ---- label_studio ---- */

static int ls_begin(fmt_export *x) { return put(x, "[", 1); }
static int ls_end(fmt_export *x) { return put(x, "]", 1); }

static json_t *ls_item(const char *id, const char *from, const char *to, const char *type, json_t *value)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", id, "from_name", from, "to_name", to, "type", type,
                     "value", value);
}

/* An item's region id: its own string id, else prefix + index, with '_' appended while another
 * item of the list already uses that id. */
static void region_id(json_t *list, size_t i, char prefix, char *out, size_t n)
{
    const char *id = json_string_value(json_object_get(json_array_get(list, i), "id"));
    if (id) {
        snprintf(out, n, "%s", id);
        return;
    }
    snprintf(out, n, "%c%zu", prefix, i);
    for (size_t j = 0, len = strlen(out); j < json_array_size(list) && len + 1 < n; j++)
        if (!strcmp(sv(json_object_get(json_array_get(list, j), "id")), out)) {
            out[len++] = '_';
            out[len] = '\0';
            j = (size_t)-1; /* check again from the start */
        }
}

static void ls_spans(json_t *answer, const char *text, json_t *result)
{
    json_t *spans = json_object_get(answer, "spans"), *rels = json_object_get(answer, "relations");
    char id[128], to[128];
    for (size_t i = 0; i < json_array_size(spans); i++) {
        json_t *s = json_array_get(spans, i);
        json_int_t st = json_integer_value(json_object_get(s, "start")), en = json_integer_value(json_object_get(s, "end"));
        /* the covered text, cut by code points */
        const char *p = text ? text : "", *b = NULL, *e = NULL;
        json_int_t cp = 0;
        for (;; p++) {
            if ((*p & 0xC0) != 0x80) {
                if (cp == st) b = p;
                if (cp == en) e = p;
                cp++;
            }
            if (!*p) break;
        }
        region_id(spans, i, 's', id, sizeof id);
        json_t *v = json_pack("{s:I, s:I, s:s#, s:[O]}", "start", st, "end", en, "text", b ? b : "",
                              (b && e && e >= b) ? (size_t)(e - b) : (size_t)0, "labels", json_object_get(s, "label"));
        json_array_append_new(result, ls_item(id, "label", "text", "labels", v));
    }
    for (size_t i = 0; i < json_array_size(rels); i++) {
        json_t *r = json_array_get(rels, i);
        size_t f = (size_t)json_integer_value(json_object_get(r, "from"));
        size_t t = (size_t)json_integer_value(json_object_get(r, "to"));
        region_id(spans, f, 's', id, sizeof id);
        region_id(spans, t, 's', to, sizeof to);
        json_array_append_new(result, json_pack("{s:s, s:s, s:s, s:s, s:[O]}", "from_id", id, "to_id", to, "type",
                                                "relation", "direction", "right", "labels",
                                                json_object_get(r, "label")));
    }
}

static json_t *ls_image_item(const char *id, const char *from, const char *type, json_t *value, double W, double H)
{
    json_t *it = ls_item(id, from, "image", type, value);
    json_object_set_new(it, "original_width", fmt_number(W));
    json_object_set_new(it, "original_height", fmt_number(H));
    json_object_set_new(it, "image_rotation", json_integer(0));
    return it;
}

static json_t *pct_point(json_t *p, double W, double H)
{
    return json_pack("[o, o]", fmt_number(num_at(p, 0) / W * 100), fmt_number(num_at(p, 1) / H * 100));
}

static void ls_objects(json_t *schema, json_t *answer, double W, double H, json_t *result)
{
    json_t *objs = json_object_get(answer, "objects"), *classes = json_object_get(schema, "classes");
    char id[160];
    for (size_t i = 0; i < json_array_size(objs); i++) {
        json_t *o = json_array_get(objs, i);
        const char *type = sv(json_object_get(o, "type"));
        json_t *cls = json_object_get(o, "class");
        region_id(objs, i, 'o', id, sizeof id);
        if (!strcmp(type, "bbox")) {
            json_t *b = json_object_get(o, "bbox");
            json_t *v = json_pack("{s:o, s:o, s:o, s:o, s:i, s:[O]}", "x", fmt_number(num_at(b, 0) / W * 100), "y",
                                  fmt_number(num_at(b, 1) / H * 100), "width", fmt_number(num_at(b, 2) / W * 100),
                                  "height", fmt_number(num_at(b, 3) / H * 100), "rotation", 0, "rectanglelabels", cls);
            json_array_append_new(result, ls_image_item(id, "label", "rectanglelabels", v, W, H));
        } else if (!strcmp(type, "polygon")) {
            json_t *pts = json_array(), *src = json_object_get(o, "points");
            for (size_t j = 0; j < json_array_size(src); j++)
                json_array_append_new(pts, pct_point(json_array_get(src, j), W, H));
            json_t *v = json_pack("{s:o, s:b, s:[O]}", "points", pts, "closed", 1, "polygonlabels", cls);
            json_array_append_new(result, ls_image_item(id, "label", "polygonlabels", v, W, H));
        } else if (!strcmp(type, "keypoints")) { /* one result per labelled point, id "<object>-kp<index>" */
            json_t *kps = json_object_get(o, "keypoints");
            for (size_t j = 0; j < json_array_size(kps); j++) {
                json_t *p = json_array_get(kps, j);
                if (num_at(p, 2) <= 0) continue;
                char kid[200];
                snprintf(kid, sizeof kid, "%s-kp%zu", id, j);
                json_t *xy = pct_point(p, W, H);
                json_t *v = json_pack("{s:O, s:O, s:f, s:[O]}", "x", json_array_get(xy, 0), "y", json_array_get(xy, 1),
                                      "width", 0.5, "keypointlabels", cls);
                json_decref(xy);
                json_array_append_new(result, ls_image_item(kid, "label", "keypointlabels", v, W, H));
            }
        } else {
            continue;
        }
        /* attributes: per-region choices (bool as "true"/"false", enum) or textarea (text) */
        json_t *cdef = json_array_get(classes, (size_t)class_index(classes, json_string_value(cls)));
        const char *an;
        json_t *av;
        json_object_foreach(json_object_get(o, "attributes"), an, av) {
            json_t *adef = NULL;
            json_t *alist = json_object_get(cdef, "attributes");
            for (size_t j = 0; j < json_array_size(alist); j++)
                if (!strcmp(sv(json_object_get(json_array_get(alist, j), "name")), an))
                    adef = json_array_get(alist, j);
            bool text = !strcmp(sv(json_object_get(adef, "type")), "text");
            json_t *s = json_is_boolean(av) ? json_string(json_is_true(av) ? "true" : "false") : json_incref(av);
            json_t *v = json_pack("{s:[o]}", text ? "text" : "choices", s);
            json_array_append_new(result, ls_image_item(id, an, text ? "textarea" : "choices", v, W, H));
        }
    }
}

/* Our answer as a Label Studio result array. */
static int ls_result(fmt_export *x, const struct fmt_task *t, json_t *answer, json_t **out)
{
    json_t *r = json_array();
    *out = r;
    if (x->kind == KIND_TEXT_CLASSIFICATION) {
        json_t *labels = json_object_get(answer, "labels");
        json_t *choices = labels ? json_copy(labels) : json_pack("[O]", json_object_get(answer, "label"));
        json_array_append_new(r, ls_item("c0", "label", "text", "choices", json_pack("{s:o}", "choices", choices)));
    } else if (x->kind == KIND_TEXT_SPANS) {
        ls_spans(answer, json_string_value(json_object_get(t->data, "text")), r);
    } else {
        double W, H;
        if (need_size(x, t, &W, &H)) return -1;
        ls_objects(x->schema, answer, W, H, r);
    }
    return 0;
}

static int ls_task(fmt_export *x, const struct fmt_task *t)
{
    json_t *task = json_pack("{s:I}", "id", (json_int_t)t->task_id), *meta = json_object();
    json_t *data = json_deep_copy(t->data);
    json_t *img = json_object_get(data, "image");
    if (x->kind == KIND_IMAGE_ANNOTATION && json_is_object(img)) { /* LS wants the image as a URL string */
        json_object_set(meta, "image", img);
        const char *url = json_string_value(json_object_get(img, "url"));
        const char *mid = json_string_value(json_object_get(img, "media_id"));
        json_object_set_new(data, "image", url ? json_string(url) : json_sprintf("%s%s", x->media_prefix, mid ? mid : ""));
    }
    json_object_set_new(task, "data", data);
    if (t->external_id) json_object_set_new(meta, "external_id", json_string(t->external_id));
    if (json_object_size(meta)) json_object_set(task, "meta", meta);
    json_decref(meta);
    json_t *anns = json_array(), *r;
    json_object_set_new(task, "annotations", anns);
    for (size_t i = 0; i < t->n_answers; i++) {
        const struct fmt_answer *a = &t->answers[i];
        if (ls_result(x, t, a->answer, &r)) {
            json_decref(r);
            json_decref(task);
            return -1;
        }
        json_array_append_new(anns, json_pack("{s:I, s:I, s:o, s:o}", "id", (json_int_t)a->assignment_id,
                                              "completed_by", (json_int_t)a->worker_id, "created_at",
                                              time_json(a->submitted_at_ms), "result", r));
    }
    if (t->predictions) {
        if (ls_result(x, t, t->predictions, &r)) {
            json_decref(r);
            json_decref(task);
            return -1;
        }
        json_object_set_new(task, "predictions", json_pack("[{s:s, s:o}]", "model_version", "fairlabel", "result", r));
    }
    if (t->result.answer) { /* the consensus is a prediction with its confidence as the score */
        if (ls_result(x, t, t->result.answer, &r)) {
            json_decref(r);
            json_decref(task);
            return -1;
        }
        json_t *preds = json_object_get(task, "predictions");
        if (!preds) json_object_set_new(task, "predictions", preds = json_array());
        json_array_append_new(preds, json_pack("{s:s, s:o, s:o}", "model_version", "fairlabel-consensus", "score",
                                               fmt_number(t->result.confidence), "result", r));
    }
    return put_item(x, task);
}

/* ---- coco (two passes: images, then annotations) ---- */

static int coco_begin(fmt_export *x) { return puts_(x, "{\"images\":["); }

static int coco_between(fmt_export *x)
{
    x->items = 0;
    return puts_(x, "],\"annotations\":[");
}

static int coco_end(fmt_export *x)
{
    if (puts_(x, "],\"categories\":")) return -1;
    json_t *cats = json_array(), *classes = schema_classes(x);
    for (size_t i = 0; i < json_array_size(classes); i++) {
        json_t *c = json_array_get(classes, i);
        json_t *cat = json_pack("{s:I, s:O, s:s}", "id", (json_int_t)i + 1, "name", json_object_get(c, "name"),
                                "supercategory", "");
        json_t *sk = json_object_get(c, "skeleton");
        if (sk) {
            json_t *edges = json_array();
            json_t *se = json_object_get(sk, "edges");
            for (size_t j = 0; j < json_array_size(se); j++) /* COCO skeletons count points from 1 */
                json_array_append_new(edges, json_pack("[I, I]", json_integer_value(json_array_get(json_array_get(se, j), 0)) + 1,
                                                      json_integer_value(json_array_get(json_array_get(se, j), 1)) + 1));
            json_object_set(cat, "keypoints", json_object_get(sk, "points"));
            json_object_set_new(cat, "skeleton", edges);
        }
        json_array_append_new(cats, cat);
    }
    return put_json(x, cats) || put(x, "}", 1);
}

static json_t *coco_annotation(int64_t id, int64_t image_id, int cat, json_t *o, const struct fmt_answer *a)
{
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    const char *type = sv(json_object_get(o, "type"));
    if (!object_bounds(o, &x0, &y0, &x1, &y1)) x0 = y0 = x1 = y1 = 0;
    double box[4] = {x0, y0, x1 - x0, y1 - y0};
    json_t *ann = json_pack("{s:I, s:I, s:i, s:o, s:o, s:i}", "id", (json_int_t)id, "image_id", (json_int_t)image_id,
                            "category_id", cat, "bbox", nums(4, box), "area", json_null(), "iscrowd", 0);
    json_t *seg = json_array();
    double area = box[2] * box[3];
    if (!strcmp(type, "polygon")) {
        json_t *pts = json_object_get(o, "points"), *ring = json_array();
        for (size_t i = 0; i < json_array_size(pts); i++) {
            json_array_append_new(ring, fmt_number(num_at(json_array_get(pts, i), 0)));
            json_array_append_new(ring, fmt_number(num_at(json_array_get(pts, i), 1)));
        }
        json_array_append_new(seg, ring);
        area = polygon_area(pts);
    } else if (!strcmp(type, "keypoints")) {
        json_t *kps = json_object_get(o, "keypoints"), *flat = json_array();
        int labelled = 0;
        for (size_t i = 0; i < json_array_size(kps); i++) {
            json_t *p = json_array_get(kps, i);
            for (size_t j = 0; j < 3; j++) json_array_append_new(flat, fmt_number(num_at(p, j)));
            labelled += num_at(p, 2) > 0;
        }
        json_object_set_new(ann, "keypoints", flat);
        json_object_set_new(ann, "num_keypoints", json_integer(labelled));
    }
    json_object_set_new(ann, "segmentation", seg);
    json_object_set_new(ann, "area", fmt_number(area));
    json_t *attrs = json_object_get(o, "attributes");
    json_object_set_new(ann, "attributes", attrs ? json_incref(attrs) : json_object());
    if (a) {
        json_object_set_new(ann, "source", json_string("worker"));
        json_object_set_new(ann, "worker_id", json_integer((json_int_t)a->worker_id));
        json_object_set_new(ann, "assignment_id", json_integer((json_int_t)a->assignment_id));
    } else {
        json_object_set_new(ann, "source", json_string("consensus"));
    }
    return ann;
}

static int coco_task(fmt_export *x, const struct fmt_task *t)
{
    if (x->pass == 1) {
        double W, H;
        char file[2048];
        if (need_size(x, t, &W, &H)) return -1;
        image_file_name(t, file, sizeof file);
        json_t *im = json_pack("{s:I, s:s, s:o, s:o}", "id", (json_int_t)t->task_id, "file_name", file, "width",
                               fmt_number(W), "height", fmt_number(H));
        json_t *url = json_object_get(json_object_get(t->data, "image"), "url");
        if (url) json_object_set(im, "coco_url", url);
        if (t->external_id) json_object_set_new(im, "external_id", json_string(t->external_id));
        return put_item(x, im);
    }
    json_t *classes = schema_classes(x);
    for (size_t i = 0; i < t->n_answers; i++) {
        json_t *objs = json_object_get(t->answers[i].answer, "objects");
        for (size_t j = 0; j < json_array_size(objs); j++) {
            json_t *o = json_array_get(objs, j);
            int c = class_index(classes, json_string_value(json_object_get(o, "class")));
            if (c < 0) continue;
            if (put_item(x, coco_annotation(++x->next_id, t->task_id, c + 1, o, &t->answers[i]))) return -1;
        }
    }
    json_t *objs = json_object_get(t->result.answer, "objects");
    for (size_t j = 0; j < json_array_size(objs); j++) { /* the consensus, scored by its confidence */
        json_t *o = json_array_get(objs, j);
        int c = class_index(classes, json_string_value(json_object_get(o, "class")));
        if (c < 0) continue;
        json_t *ann = coco_annotation(++x->next_id, t->task_id, c + 1, o, NULL);
        if (ann) json_object_set_new(ann, "score", fmt_number(t->result.confidence));
        if (put_item(x, ann)) return -1;
    }
    return 0;
}

/* ---- yolo, voc (ZIP; the consensus of each task, else its first answer) ---- */

static int yolo_begin(fmt_export *x)
{
    json_t *classes = schema_classes(x);
    if (zip_open(x, "classes.txt")) return -1;
    for (size_t i = 0; i < json_array_size(classes); i++)
        if (puts_(x, sv(json_object_get(json_array_get(classes, i), "name"))) || put(x, "\n", 1)) return -1;
    return 0;
}

static int zip_end(fmt_export *x)
{
    return zipw_finish(x->zip) ? failx(x, "zip: %s", zipw_error(x->zip)) : 0;
}

static int yolo_task(fmt_export *x, const struct fmt_task *t)
{
    if (!t->n_answers) return 0;
    double W, H;
    char stem[STEM_MAX + 1];
    if (need_size(x, t, &W, &H)) return -1;
    image_stem(t, stem, sizeof stem);
    if (zip_open_task(x, "labels", stem, t->task_id, "txt")) return -1;
    json_t *objs = json_object_get(primary_answer(t), "objects");
    for (size_t i = 0; i < json_array_size(objs); i++) {
        json_t *o = json_array_get(objs, i);
        double x0, y0, x1, y1;
        const char *type = sv(json_object_get(o, "type"));
        int c = class_index(schema_classes(x), json_string_value(json_object_get(o, "class")));
        if (c < 0 || !strcmp(type, "keypoints") || !object_bounds(o, &x0, &y0, &x1, &y1)) continue;
        if (putf(x, "%d %.6f %.6f %.6f %.6f\n", c, (x0 + x1) / 2 / W, (y0 + y1) / 2 / H, (x1 - x0) / W, (y1 - y0) / H))
            return -1;
    }
    return 0;
}

/* XML text with & < > " ' escaped. */
static int put_xml(fmt_export *x, const char *s)
{
    for (const char *p = s; *p;) {
        size_t n = strcspn(p, "&<>\"'");
        if (n && put(x, p, n)) return -1;
        p += n;
        if (!*p) break;
        const char *ent = *p == '&' ? "&amp;" : *p == '<' ? "&lt;" : *p == '>' ? "&gt;" : *p == '"' ? "&quot;" : "&apos;";
        if (puts_(x, ent)) return -1;
        p++;
    }
    return 0;
}

static int attr_flag(json_t *o, const char *name)
{
    return json_is_true(json_object_get(json_object_get(o, "attributes"), name)) ? 1 : 0;
}

/* VOC boxes are 1-based inclusive pixel indices: a box covering pixel edges [x, x+w) becomes
 * xmin = round(x) + 1, xmax = round(x + w), clamped to 1..width. */
static long voc_coord(double v, double max, int first)
{
    long r = lround(v) + (first ? 1 : 0);
    if (r < 1) r = 1;
    if (r > (long)max) r = (long)max;
    return r;
}

static int voc_task(fmt_export *x, const struct fmt_task *t)
{
    if (!t->n_answers) return 0;
    double W, H;
    char stem[STEM_MAX + 1], file[2048];
    if (need_size(x, t, &W, &H)) return -1;
    image_stem(t, stem, sizeof stem);
    image_file_name(t, file, sizeof file);
    if (zip_open_task(x, "Annotations", stem, t->task_id, "xml")) return -1;
    if (puts_(x, "<annotation>\n  <folder>images</folder>\n  <filename>") || put_xml(x, file) ||
        putf(x, "</filename>\n  <size>\n    <width>%ld</width>\n    <height>%ld</height>\n    <depth>3</depth>\n"
                "  </size>\n  <segmented>0</segmented>\n", lround(W), lround(H)))
        return -1;
    json_t *objs = json_object_get(primary_answer(t), "objects");
    for (size_t i = 0; i < json_array_size(objs); i++) {
        json_t *o = json_array_get(objs, i);
        double x0, y0, x1, y1;
        const char *type = sv(json_object_get(o, "type"));
        if (!strcmp(type, "keypoints") || !object_bounds(o, &x0, &y0, &x1, &y1)) continue;
        if (puts_(x, "  <object>\n    <name>") || put_xml(x, sv(json_object_get(o, "class"))) ||
            putf(x, "</name>\n    <pose>Unspecified</pose>\n    <truncated>%d</truncated>\n"
                    "    <difficult>%d</difficult>\n    <bndbox>\n      <xmin>%ld</xmin>\n      <ymin>%ld</ymin>\n"
                    "      <xmax>%ld</xmax>\n      <ymax>%ld</ymax>\n    </bndbox>\n  </object>\n",
                 attr_flag(o, "truncated"), attr_flag(o, "difficult"), voc_coord(x0, W, 1), voc_coord(y0, H, 1),
                 voc_coord(x1, W, 0), voc_coord(y1, H, 0)))
            return -1;
    }
    return puts_(x, "</annotation>\n");
}

/* ---- kitti (ZIP of label_2/<frame>.txt; the first answer of each task) ---- */

static double wrap_pi(double a)
{
    a = fmod(a + M_PI, 2 * M_PI);
    if (a < 0) a += 2 * M_PI;
    return a - M_PI;
}

/* KITTI's velodyne frame is x forward, y left, z up; its camera frame x right, y down, z forward,
 * with the label's location at the bottom centre of the box. Without a calibration we apply only
 * this axis swap (no extrinsic translation or rotation). */
void fmt_kitti_from_lidar(const double c[3], const double s[3], double yaw, double loc[3], double *ry)
{
    loc[0] = -c[1];
    loc[1] = -c[2] + s[2] / 2;
    loc[2] = c[0];
    *ry = wrap_pi(-yaw - M_PI / 2);
}

void fmt_kitti_to_lidar(const double loc[3], const double dims[3], double ry, double c[3], double *yaw)
{
    c[0] = loc[2];
    c[1] = -loc[0];
    c[2] = -loc[1] + dims[0] / 2;
    *yaw = wrap_pi(-ry - M_PI / 2);
}

static int kitti_task(fmt_export *x, const struct fmt_task *t)
{
    if (!t->n_answers) return 0;
    char stem[STEM_MAX + 1], id[32];
    snprintf(id, sizeof id, "%06lld", (long long)t->task_id);
    safe_stem(t->external_id ? t->external_id : id, false, t->task_id, stem, sizeof stem);
    if (zip_open_task(x, "label_2", stem, t->task_id, "txt")) return -1;
    json_t *objs = json_object_get(primary_answer(t), "objects");
    for (size_t i = 0; i < json_array_size(objs); i++) {
        json_t *o = json_array_get(objs, i);
        json_t *c = json_object_get(o, "center"), *s = json_object_get(o, "size");
        double center[3] = {num_at(c, 0), num_at(c, 1), num_at(c, 2)};
        double size[3] = {num_at(s, 0), num_at(s, 1), num_at(s, 2)};
        double loc[3], ry;
        fmt_kitti_from_lidar(center, size, num(json_object_get(o, "yaw")), loc, &ry);
        char type[STEM_MAX + 1];
        const char *cls = json_string_value(json_object_get(o, "class"));
        if (!cls) cls = "DontCare";
        snprintf(type, sizeof type, "%s", cls);
        for (char *p = type; *p; p++)
            if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') *p = '_';
        if (putf(x, "%s 0.00 0 0.00 0.00 0.00 0.00 0.00 %.6f %.6f %.6f %.6f %.6f %.6f %.8f\n", type, size[2], size[1],
                 size[0], loc[0], loc[1], loc[2], ry))
            return -1;
    }
    return 0;
}

/* ---- conll (BIO) ---- */

/* Decodes the code point at s (valid UTF-8, as jansson guarantees); sets *len. */
static unsigned decode(const unsigned char *s, size_t *len)
{
    if (s[0] < 0x80) return *len = 1, s[0];
    if ((s[0] & 0xE0) == 0xC0) return *len = 2, ((s[0] & 0x1Fu) << 6) | (s[1] & 0x3Fu);
    if ((s[0] & 0xF0) == 0xE0) return *len = 3, ((s[0] & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
    return *len = 4, ((s[0] & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
}

static bool is_space(unsigned c)
{
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* ASCII, Latin-1, General Punctuation, CJK and full-width punctuation. */
static bool is_punct(unsigned c)
{
    if (c < 0x80) return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
                         (c >= 0x7B && c <= 0x7E);
    return c == 0xA1 || c == 0xA7 || c == 0xAB || c == 0xB6 || c == 0xB7 || c == 0xBB || c == 0xBF ||
           (c >= 0x2010 && c <= 0x2027) || (c >= 0x2030 && c <= 0x205E) || (c >= 0x3001 && c <= 0x3003) ||
           (c >= 0x3008 && c <= 0x3011) || (c >= 0x3014 && c <= 0x301F) || (c >= 0xFF01 && c <= 0xFF0F) ||
           (c >= 0xFF1A && c <= 0xFF20) || (c >= 0xFF3B && c <= 0xFF40) || (c >= 0xFF5B && c <= 0xFF65);
}

struct bio {
    size_t n;       /* code points */
    size_t *off;    /* byte offset of each code point, and of the end */
    unsigned *cp;
    long *span;     /* the answer span covering each code point (the first listed wins), or -1 */
    bool *cut;      /* a span starts or ends here: tokens split */
};

static void bio_free(struct bio *b)
{
    free(b->off);
    free(b->cp);
    free(b->span);
    free(b->cut);
}

static int bio_init(struct bio *b, const char *text, json_t *spans)
{
    memset(b, 0, sizeof *b);
    const unsigned char *s = (const unsigned char *)text;
    size_t bytes = strlen(text);
    for (size_t i = 0; i < bytes; i++) b->n += (s[i] & 0xC0) != 0x80;
    b->off = malloc((b->n + 1) * sizeof *b->off);
    b->cp = malloc((b->n + 1) * sizeof *b->cp);
    b->span = malloc((b->n + 1) * sizeof *b->span);
    b->cut = calloc(b->n + 1, sizeof *b->cut);
    if (!b->off || !b->cp || !b->span || !b->cut) return -1;
    size_t i = 0;
    for (size_t k = 0, len; k < bytes; k += len, i++) {
        b->off[i] = k;
        b->cp[i] = decode(s + k, &len);
        b->span[i] = -1;
    }
    b->off[b->n] = bytes;
    for (size_t j = 0; j < json_array_size(spans); j++) {
        json_t *sp = json_array_get(spans, j);
        json_int_t st = json_integer_value(json_object_get(sp, "start")), en = json_integer_value(json_object_get(sp, "end"));
        if (st < 0 || en > (json_int_t)b->n || st >= en) continue;
        b->cut[st] = b->cut[en] = true;
        for (json_int_t k = st; k < en; k++)
            if (b->span[k] < 0) b->span[k] = (long)j;
    }
    return 0;
}

static int conll_doc(fmt_export *x, const char *text, json_t *spans)
{
    struct bio b;
    if (bio_init(&b, text, spans)) {
        bio_free(&b);
        return failx(x, "out of memory");
    }
    long prev = -1;
    int rc = 0;
    for (size_t i = 0; i < b.n && !rc;) {
        if (is_space(b.cp[i])) {
            i++;
            continue;
        }
        size_t j = i + 1;
        if (!is_punct(b.cp[i]))
            while (j < b.n && !is_space(b.cp[j]) && !is_punct(b.cp[j]) && !b.cut[j]) j++;
        long s = b.span[i];
        const char *label = s >= 0 ? json_string_value(json_object_get(json_array_get(spans, (size_t)s), "label")) : NULL;
        char tag[160];
        if (s < 0) snprintf(tag, sizeof tag, "O");
        else snprintf(tag, sizeof tag, "%c-%s", s == prev ? 'I' : 'B', label ? label : "");
        rc = put(x, text + b.off[i], b.off[j] - b.off[i]) || putf(x, " -X- _ %s\n", tag);
        prev = s;
        i = j;
    }
    bio_free(&b);
    return rc ? -1 : put(x, "\n", 1);
}

static int conll_task(fmt_export *x, const struct fmt_task *t)
{
    const char *text = sv(json_object_get(t->data, "text"));
    for (size_t i = 0; i < t->n_answers; i++)
        if (putf(x, "# task_id=%lld assignment_id=%lld\n", (long long)t->task_id,
                 (long long)t->answers[i].assignment_id) ||
            conll_doc(x, text, json_object_get(t->answers[i].answer, "spans")))
            return -1;
    if (t->result.answer && (putf(x, "# task_id=%lld consensus confidence=%.6g\n", (long long)t->task_id,
                                  t->result.confidence) ||
                             conll_doc(x, text, json_object_get(t->result.answer, "spans"))))
        return -1;
    return 0;
}

/* ---- csv ---- */

/* One RFC 4180 field, quoted when it holds a comma, quote, CR or LF; sep is written before it. */
static int csv_field(fmt_export *x, const char *s, const char *sep)
{
    if (puts_(x, sep)) return -1;
    if (!s[strcspn(s, ",\"\r\n")]) return puts_(x, s);
    if (put(x, "\"", 1)) return -1;
    for (const char *p = s; *p;) {
        size_t n = strcspn(p, "\"");
        if (put(x, p, n)) return -1;
        p += n;
        if (*p) {
            if (put(x, "\"\"", 2)) return -1;
            p++;
        }
    }
    return put(x, "\"", 1);
}

static int csv_int(fmt_export *x, long long v, bool present)
{
    return present ? putf(x, ",%lld", v) : put(x, ",", 1);
}

static int csv_begin(fmt_export *x)
{
    if (x->kind == KIND_TEXT_CLASSIFICATION)
        return puts_(x, "task_id,external_id,text,worker_id,label,submitted_at,source,confidence\r\n");
    if (puts_(x, "task_id,external_id,prompt,worker_id,choice,strength,rationale")) return -1;
    json_t *crit = json_object_get(x->schema, "criteria");
    for (int p = 1; p <= CSV_MAX_RESPONSES; p++) {
        if (putf(x, ",response_%d_id", p)) return -1;
        for (size_t c = 0; c < json_array_size(crit); c++) {
            char col[160];
            snprintf(col, sizeof col, "response_%d_%s", p, sv(json_array_get(crit, c)));
            if (csv_field(x, col, ",")) return -1;
        }
    }
    return puts_(x, ",submitted_at,source,confidence\r\n");
}

/* The answer columns of a comparison row (empty without an answer). */
static int csv_comparison(fmt_export *x, const struct fmt_task *t, json_t *ans)
{
    json_t *pref = json_object_get(ans, "preference"), *ratings = json_object_get(ans, "ratings");
    json_t *st = json_object_get(pref, "strength"), *crit = json_object_get(x->schema, "criteria");
    json_t *resp = json_object_get(t->data, "responses");
    if (csv_field(x, sv(json_object_get(pref, "choice")), ",") ||
        csv_int(x, (long long)json_integer_value(st), json_is_integer(st)) ||
        csv_field(x, sv(json_object_get(ans, "rationale")), ","))
        return -1;
    for (size_t p = 0; p < CSV_MAX_RESPONSES; p++) {
        const char *rid = json_string_value(json_object_get(json_array_get(resp, p), "id"));
        if (csv_field(x, rid ? rid : "", ",")) return -1;
        for (size_t c = 0; c < json_array_size(crit); c++) {
            json_t *v = rid ? json_object_get(json_object_get(ratings, rid), json_string_value(json_array_get(crit, c)))
                            : NULL;
            if (csv_int(x, (long long)json_integer_value(v), json_is_integer(v))) return -1;
        }
    }
    return 0;
}

static int csv_row(fmt_export *x, const struct fmt_task *t, const struct fmt_answer *a)
{
    bool cls = x->kind == KIND_TEXT_CLASSIFICATION;
    if (putf(x, "%lld", (long long)t->task_id) || csv_field(x, t->external_id ? t->external_id : "", ",") ||
        csv_field(x, sv(json_object_get(t->data, cls ? "text" : "prompt")), ",") ||
        csv_int(x, a ? (long long)a->worker_id : 0, a != NULL && a->assignment_id))
        return -1;
    json_t *ans = a ? a->answer : NULL;
    if (cls) {
        json_t *labels = json_object_get(ans, "labels");
        char joined[8192];
        size_t o = 0;
        joined[0] = '\0';
        if (!labels) snprintf(joined, sizeof joined, "%s", sv(json_object_get(ans, "label")));
        for (size_t i = 0; i < json_array_size(labels) && o < sizeof joined; i++)
            o += (size_t)snprintf(joined + o, sizeof joined - o, "%s%s", i ? "|" : "",
                                  sv(json_array_get(labels, i)));
        if (csv_field(x, joined, ",")) return -1;
    } else if (csv_comparison(x, t, ans)) {
        return -1;
    }
    char when[40] = "";
    if (a && a->assignment_id) clock_iso8601(a->submitted_at_ms, when, sizeof when);
    if (a && !a->assignment_id) /* the consensus row */
        return putf(x, ",,consensus,%.6g\r\n", t->result.confidence);
    return putf(x, ",%s,%s,\r\n", when, a ? "worker" : "");
}

/* One row per answer; a task without answers gets one row with empty answer columns. */
static int csv_task(fmt_export *x, const struct fmt_task *t)
{
    if (!t->n_answers && !t->result.answer) return csv_row(x, t, NULL);
    for (size_t i = 0; i < t->n_answers; i++)
        if (csv_row(x, t, &t->answers[i])) return -1;
    if (!t->result.answer) return 0;
    struct fmt_answer consensus = {.answer = t->result.answer}; /* assignment_id 0 marks it */
    return csv_row(x, t, &consensus);
}

/* ---- the table ---- */

#define K(k) (1u << (k))
#define OBJ_ZIP "application/zip", "zip"

static const struct fmt_exporter exporters[] = {
    {"jsonl", "application/x-ndjson", "jsonl", (1u << KIND__COUNT) - 1, 1, NULL, jsonl_task, jsonl_task_text, NULL, NULL},
    {"label_studio", "application/json", "json",
     K(KIND_TEXT_CLASSIFICATION) | K(KIND_TEXT_SPANS) | K(KIND_IMAGE_ANNOTATION), 1, ls_begin, ls_task, NULL, NULL, ls_end},
    {"coco", "application/json", "json", K(KIND_IMAGE_ANNOTATION), 2, coco_begin, coco_task, NULL, coco_between, coco_end},
    {"yolo", OBJ_ZIP, K(KIND_IMAGE_ANNOTATION), 1, yolo_begin, yolo_task, NULL, NULL, zip_end},
    {"voc", OBJ_ZIP, K(KIND_IMAGE_ANNOTATION), 1, NULL, voc_task, NULL, NULL, zip_end},
    {"kitti", OBJ_ZIP, K(KIND_LIDAR_CUBOIDS), 1, NULL, kitti_task, NULL, NULL, zip_end},
    {"conll", "text/plain", "conll", K(KIND_TEXT_SPANS), 1, NULL, conll_task, NULL, NULL, NULL},
    {"csv", "text/csv", "csv", K(KIND_TEXT_CLASSIFICATION) | K(KIND_LLM_COMPARISON), 1, csv_begin, csv_task, NULL, NULL, NULL},
};

const struct fmt_exporter *fmt_exporter_for(const char *name)
{
    for (size_t i = 0; name && i < sizeof exporters / sizeof *exporters; i++)
        if (!strcmp(exporters[i].name, name)) return &exporters[i];
    return NULL;
}

int fmt_exporter_supports(const struct fmt_exporter *e, enum project_kind k)
{
    return e && (unsigned)k < KIND__COUNT && (e->kinds & K(k));
}

static int zip_sink(void *ctx, const void *p, size_t n)
{
    const struct fmt_sink *s = ctx;
    return s->write(s->ctx, p, n);
}

fmt_export *fmt_export_begin(const struct fmt_exporter *e, const char *kind, json_t *schema,
                             const struct fmt_sink *sink, const struct fmt_options *opt, char *err, size_t errlen)
{
    enum project_kind k;
    if (!kind_parse(kind, &k) || !fmt_exporter_supports(e, k)) {
        if (err) snprintf(err, errlen, "the %s format cannot export %s projects", e ? e->name : "(unknown)", kind ? kind : "");
        return NULL;
    }
    fmt_export *x = calloc(1, sizeof *x);
    if (!x) {
        if (err) snprintf(err, errlen, "out of memory");
        return NULL;
    }
    x->e = e;
    x->kind = k;
    x->schema = json_incref(schema);
    x->sink = *sink;
    x->media_prefix = opt && opt->media_url_prefix ? opt->media_url_prefix : "/api/v1/media/";
    x->now_ms = opt ? opt->now_ms : 0;
    x->pass = 1;
    if (e->task_text && !(opt && opt->no_text_copy) && jl_matches_jansson())
        x->line = calloc(1, sizeof *x->line); /* NULL: jansson builds every line */
    if (!strcmp(e->content_type, "application/zip")) {
        x->zip = zipw_new(zip_sink, &x->sink, x->now_ms / 1000);
        if (!x->zip) {
            fmt_export_free(x);
            if (err) snprintf(err, errlen, "out of memory");
            return NULL;
        }
    }
    if (e->begin && e->begin(x)) {
        if (err) snprintf(err, errlen, "%s", x->err);
        fmt_export_free(x);
        return NULL;
    }
    return x;
}

int fmt_export_task(fmt_export *x, const struct fmt_task *t)
{
    if (x->err[0]) return -1;
    return x->e->task(x, t) ? failx(x, "export failed") : 0;
}

int fmt_export_task_text(fmt_export *x, const struct fmt_task *t)
{
    if (x->err[0]) return -1;
    if (!x->e->task_text || !x->line) return 0;
    int rc = x->e->task_text(x, t);
    return rc < 0 ? failx(x, "export failed") : rc;
}

int fmt_export_next_pass(fmt_export *x)
{
    if (x->err[0]) return -1;
    if (x->pass >= x->e->passes) return failx(x, "the %s format has no pass %d", x->e->name, x->pass + 1);
    x->pass++;
    return x->e->between && x->e->between(x) ? failx(x, "export failed") : 0;
}

int fmt_export_end(fmt_export *x)
{
    if (x->err[0]) return -1;
    if (x->pass != x->e->passes) return failx(x, "the %s format needs %d passes", x->e->name, x->e->passes);
    return x->e->end && x->e->end(x) ? failx(x, "export failed") : 0;
}

const char *fmt_export_error(const fmt_export *x) { return x->err; }

void fmt_export_free(fmt_export *x)
{
    if (!x) return;
    zipw_free(x->zip);
    json_decref(x->schema);
    if (x->line) free(x->line->p);
    free(x->line);
    free(x);
}
