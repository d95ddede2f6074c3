/* Point cloud parsing and the FLPC encoding (see pointcloud.h); every size read from the input is checked
 * before it is used, because uploads are untrusted. */
#include "core/pointcloud.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PC_MAX_FIELDS 256
#define PC_MAX_FIELD_COUNT 65536u /* values per point, COUNT summed over all fields */
#define PC_HEADER_MAX (64 * 1024) /* a PCD header longer than this is not a PCD header */
#define PC_TOKEN_MAX 64           /* longest number token copied out for strtod and friends */

__attribute__((format(printf, 3, 4))) static bool pc_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        /* Messages quote input bytes; keep them printable (and valid UTF-8 for JSON replies): only the
         * "×" of our own messages survives above ASCII. */
        for (unsigned char *p = (unsigned char *)err; *p; p++) {
            if (p[0] == 0xC3 && p[1] == 0x97) p++;
            else if (*p < 0x20 || *p >= 0x7f) *p = '?';
        }
    }
    return false;
}

static bool pc_ends_with(const char *s, const char *suffix)
{
    if (!s) return false;
    size_t n = strlen(s), m = strlen(suffix);
    if (n < m) return false;
    for (size_t i = 0; i < m; i++) {
        char c = s[n - m + i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != suffix[i]) return false;
    }
    return true;
}

/* ---- reading little-endian values ---- */

/* One field of one point as a double: PCD binary data is little-endian in practice (every writer runs on
 * x86 or ARM), so it is assembled byte by byte and never read through an unaligned pointer. */
static double pc_read_value(const unsigned char *p, char type, unsigned size)
{
    uint64_t u = 0;
    for (unsigned i = 0; i < size; i++) u |= (uint64_t)p[i] << (8 * i);
    if (type == 'F') {
        if (size == 4) {
            uint32_t w = (uint32_t)u;
            float f;
            memcpy(&f, &w, sizeof f);
            return f;
        }
        double d;
        memcpy(&d, &u, sizeof d);
        return d;
    }
    if (type == 'I') {
        if (size < 8 && ((u >> (8 * size - 1)) & 1)) u |= ~(uint64_t)0 << (8 * size);
        int64_t s;
        memcpy(&s, &u, sizeof s);
        return (double)s;
    }
    return (double)u;
}

static uint32_t pc_u32le(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void pc_put_u32le(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static float pc_f32le(const unsigned char *p)
{
    uint32_t w = pc_u32le(p);
    float f;
    memcpy(&f, &w, sizeof f);
    return f;
}

static void pc_put_f32le(unsigned char *p, float f)
{
    uint32_t w;
    memcpy(&w, &f, sizeof w);
    pc_put_u32le(p, w);
}

/* ---- building the cloud ---- */

struct pc_builder {
    struct pc_cloud *c;
    double *raw_intensity; /* intensity of each kept point, scaled to 0–255 at the end */
    double ilo, ihi;
    const char *what; /* "PCD binary", "KITTI .bin", … for error messages */
};

static bool pc_builder_init(struct pc_builder *b, struct pc_cloud *out, uint32_t cap, bool intensity,
                            const char *what, char *err, size_t errlen)
{
    memset(b, 0, sizeof *b);
    b->c = out;
    b->what = what;
    size_t n = cap ? cap : 1; /* cap ≤ PC_MAX_POINTS, so none of these products overflow */
    out->xyz = malloc(n * 3 * sizeof(float));
    out->intensity = calloc(n, 1);
    if (intensity) b->raw_intensity = malloc(n * sizeof(double));
    out->has_intensity = intensity;
    if (!out->xyz || !out->intensity || (intensity && !b->raw_intensity))
        return pc_fail(err, errlen, "%s: out of memory for %" PRIu32 " points", what, cap);
    return true;
}

/* Adds one point. A point with a NaN coordinate is skipped: organized PCD clouds (and some lidar
 * drivers) mark a missing return that way, so it is data, not damage. An infinite coordinate has no such
 * meaning and is rejected, as is a value that does not fit a float (FLPC stores float32). */
static bool pc_builder_add(struct pc_builder *b, uint64_t index, const double v[3], double inten, char *err,
                           size_t errlen)
{
    if (isnan(v[0]) || isnan(v[1]) || isnan(v[2])) return true;
    static const char axis[3] = {'x', 'y', 'z'};
    for (int k = 0; k < 3; k++) {
        if (isinf(v[k])) return pc_fail(err, errlen, "%s: %c of point %" PRIu64 " is infinite", b->what, axis[k], index);
        if (fabs(v[k]) > FLT_MAX)
            return pc_fail(err, errlen, "%s: %c of point %" PRIu64 " (%g) does not fit a float", b->what, axis[k],
                           index, v[k]);
    }
    struct pc_cloud *c = b->c;
    uint32_t i = c->count;
    float *p = c->xyz + (size_t)i * 3;
    for (int k = 0; k < 3; k++) {
        p[k] = (float)v[k];
        if (i == 0 || p[k] < c->min[k]) c->min[k] = p[k];
        if (i == 0 || p[k] > c->max[k]) c->max[k] = p[k];
    }
    if (b->raw_intensity) {
        if (!isfinite(inten))
            return pc_fail(err, errlen, "%s: intensity of point %" PRIu64 " is not finite", b->what, index);
        b->raw_intensity[i] = inten;
        if (i == 0 || inten < b->ilo) b->ilo = inten;
        if (i == 0 || inten > b->ihi) b->ihi = inten;
    }
    c->count = i + 1;
    return true;
}

/* Scales the raw intensities to 0–255 over their own range, so a KITTI reflectance (0..1) and a SICK
 * intensity (0..4000) both use the full colour ramp. Halves keep hi - lo finite for huge doubles. */
static void pc_builder_finish(struct pc_builder *b)
{
    struct pc_cloud *c = b->c;
    if (b->raw_intensity) {
        double lo = b->ilo / 2, range = b->ihi / 2 - lo;
        for (uint32_t i = 0; i < c->count; i++) {
            double q = range > 0 ? (b->raw_intensity[i] / 2 - lo) / range * 255.0 + 0.5 : 0.0;
            if (!(q >= 0)) q = 0;
            if (q > 255) q = 255;
            c->intensity[i] = (uint8_t)q;
        }
    }
    free(b->raw_intensity);
    b->raw_intensity = NULL;
}

/* Where one field of every point lives: point i's value is at base + i × stride. */
struct pc_access {
    const unsigned char *base;
    size_t stride;
    char type;
    unsigned size;
};

/* Reads points × (x, y, z[, intensity]) through the accessors; the caller has checked that every access
 * stays inside the buffer. */
static bool pc_emit(struct pc_builder *b, const struct pc_access acc[4], bool has_i, uint64_t points, char *err,
                    size_t errlen)
{
    for (uint64_t i = 0; i < points; i++) {
        double v[3];
        for (int k = 0; k < 3; k++) v[k] = pc_read_value(acc[k].base + i * acc[k].stride, acc[k].type, acc[k].size);
        double inten = has_i ? pc_read_value(acc[3].base + i * acc[3].stride, acc[3].type, acc[3].size) : 0;
        if (!pc_builder_add(b, i, v, inten, err, errlen)) return false;
    }
    return true;
}

/* ---- KITTI and nuScenes: headerless float32 records ---- */

static bool pc_parse_floats(const unsigned char *bytes, size_t len, unsigned floats_per_point, const char *what,
                            struct pc_cloud *out, char *err, size_t errlen)
{
    size_t rec = (size_t)floats_per_point * 4;
    if (len == 0) return pc_fail(err, errlen, "%s: the file is empty", what);
    if (len % rec)
        return pc_fail(err, errlen, "%s: length %zu is not a multiple of %zu bytes (%u float32 per point)", what, len,
                       rec, floats_per_point);
    size_t points = len / rec;
    if (points > PC_MAX_POINTS)
        return pc_fail(err, errlen, "%s: %zu points exceed the limit of %u", what, points, PC_MAX_POINTS);
    struct pc_builder b;
    if (!pc_builder_init(&b, out, (uint32_t)points, true, what, err, errlen)) {
        free(b.raw_intensity);
        return false;
    }
    struct pc_access acc[4];
    for (int k = 0; k < 4; k++) acc[k] = (struct pc_access){bytes + 4 * k, rec, 'F', 4};
    bool ok = pc_emit(&b, acc, true, points, err, errlen);
    pc_builder_finish(&b);
    return ok;
}

/* ---- PCD ---- */

enum pc_data { PC_DATA_ASCII, PC_DATA_BINARY, PC_DATA_COMPRESSED };

struct pc_field {
    const char *name; /* points into the input, name_len bytes */
    size_t name_len;
    char type;
    unsigned size;
    uint32_t count;
    uint64_t offset;  /* within one point (binary) */
    uint64_t soa_off; /* sum of size × count of the fields before it (binary_compressed) */
};

struct pc_header {
    struct pc_field f[PC_MAX_FIELDS];
    unsigned nfields;
    bool seen_version, seen_fields, seen_size, seen_type, seen_count, seen_width, seen_height, seen_viewpoint,
        seen_points;
    uint64_t width, height, points, point_size;
    enum pc_data data;
    size_t data_offset;
    int ix, iy, iz, ii;
};

struct pc_tok {
    const char *s;
    size_t n;
};

static bool pc_tok_is(struct pc_tok t, const char *word)
{
    size_t n = strlen(word);
    return t.n == n && !memcmp(t.s, word, n);
}

/* Splits [s, s+n) at spaces and tabs into at most max tokens; returns the number found, or max + 1 when
 * there were more. */
static size_t pc_split(const char *s, size_t n, struct pc_tok *toks, size_t max)
{
    size_t k = 0, i = 0;
    while (i < n) {
        while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
        if (i == n) break;
        size_t start = i;
        while (i < n && s[i] != ' ' && s[i] != '\t') i++;
        if (k == max) return max + 1;
        toks[k++] = (struct pc_tok){s + start, i - start};
    }
    return k;
}

/* A decimal integer with no sign and no junk, below 2^63 (so later products are easy to check). */
static bool pc_tok_u64(struct pc_tok t, uint64_t *out)
{
    if (t.n == 0 || t.n > 18) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < t.n; i++) {
        if (t.s[i] < '0' || t.s[i] > '9') return false;
        v = v * 10 + (uint64_t)(t.s[i] - '0');
    }
    *out = v;
    return true;
}

/* Copies a token into a NUL-terminated buffer for the strto* functions, which must never run past the
 * end of the (unterminated) input. */
static bool pc_tok_cstr(struct pc_tok t, char buf[PC_TOKEN_MAX])
{
    if (t.n == 0 || t.n >= PC_TOKEN_MAX) return false;
    memcpy(buf, t.s, t.n);
    buf[t.n] = 0;
    return true;
}

/* Parses a number token as a value of the given PCD type and size; false when it is not one. */
static bool pc_tok_value(struct pc_tok t, char type, unsigned size, double *out)
{
    char buf[PC_TOKEN_MAX], *end;
    if (!pc_tok_cstr(t, buf)) return false;
    errno = 0;
    if (type == 'F') {
        double d = strtod(buf, &end);
        if (end != buf + t.n || (errno == ERANGE && isinf(d))) return false;
        *out = d;
        return true;
    }
    if (type == 'I') {
        long long v = strtoll(buf, &end, 10);
        if (end != buf + t.n || errno) return false;
        if (size < 8) {
            long long lim = 1LL << (8 * size - 1);
            if (v < -lim || v >= lim) return false;
        }
        *out = (double)v;
        return true;
    }
    if (buf[0] == '-') return false;
    unsigned long long v = strtoull(buf, &end, 10);
    if (end != buf + t.n || errno) return false;
    if (size < 8 && v >> (8 * size)) return false;
    *out = (double)v;
    return true;
}

static const char *pc_data_name(enum pc_data d)
{
    return d == PC_DATA_ASCII ? "PCD ascii" : d == PC_DATA_BINARY ? "PCD binary" : "PCD binary_compressed";
}

/* True when the text starts (after comment and blank lines) with a PCD header keyword. */
static bool pc_looks_like_pcd(const unsigned char *bytes, size_t len)
{
    static const char *const kw[] = {"VERSION", "FIELDS", "SIZE", "TYPE", "COUNT", "WIDTH", "HEIGHT", "VIEWPOINT",
                                     "POINTS", "DATA"};
    size_t pos = 0, lim = len < PC_HEADER_MAX ? len : PC_HEADER_MAX;
    while (pos < lim) {
        const char *line = (const char *)bytes + pos;
        const unsigned char *nl = memchr(line, '\n', lim - pos);
        size_t n = nl ? (size_t)(nl - (const unsigned char *)line) : lim - pos;
        struct pc_tok t[1];
        size_t k = pc_split(line, n && line[n - 1] == '\r' ? n - 1 : n, t, 1);
        if (k > 0 && t[0].s[0] != '#') {
            for (size_t i = 0; i < sizeof kw / sizeof *kw; i++)
                if (pc_tok_is(t[0], kw[i])) return true;
            return false;
        }
        if (!nl) break;
        pos += n + 1;
    }
    return false;
}

/* True when the first bytes are all printable text. A headerless float32 scan is essentially never text
 * (its first 64 points would all have to be), so text that is not a valid PCD gets a PCD error rather
 * than being read as a KITTI scan of garbage coordinates. */
static bool pc_is_text(const unsigned char *bytes, size_t len)
{
    size_t n = len < 1024 ? len : 1024;
    for (size_t i = 0; i < n; i++)
        if ((bytes[i] < 0x20 && bytes[i] != '\t' && bytes[i] != '\n' && bytes[i] != '\r') || bytes[i] > 0x7e) return false;
    return true;
}

static int pc_field_index(const struct pc_header *h, const char *name)
{
    for (unsigned i = 0; i < h->nfields; i++)
        if (h->f[i].name_len == strlen(name) && !memcmp(h->f[i].name, name, h->f[i].name_len)) return (int)i;
    return -1;
}

/* One header line (keyword and values) into h. */
static bool pc_header_line(struct pc_header *h, const struct pc_tok *t, size_t k, unsigned lineno, char *err,
                           size_t errlen)
{
    struct pc_tok kw = t[0];
    const struct pc_tok *v = t + 1;
    size_t nv = k - 1;
    bool *seen = NULL;
    if (pc_tok_is(kw, "VERSION")) seen = &h->seen_version;
    else if (pc_tok_is(kw, "FIELDS")) seen = &h->seen_fields;
    else if (pc_tok_is(kw, "SIZE")) seen = &h->seen_size;
    else if (pc_tok_is(kw, "TYPE")) seen = &h->seen_type;
    else if (pc_tok_is(kw, "COUNT")) seen = &h->seen_count;
    else if (pc_tok_is(kw, "WIDTH")) seen = &h->seen_width;
    else if (pc_tok_is(kw, "HEIGHT")) seen = &h->seen_height;
    else if (pc_tok_is(kw, "VIEWPOINT")) seen = &h->seen_viewpoint;
    else if (pc_tok_is(kw, "POINTS")) seen = &h->seen_points;
    else
        return pc_fail(err, errlen, "PCD header: unknown keyword '%.*s' on line %u", (int)(kw.n > 32 ? 32 : kw.n),
                       kw.s, lineno);
    if (*seen) return pc_fail(err, errlen, "PCD header: %.*s appears twice", (int)kw.n, kw.s);
    *seen = true;

    if (pc_tok_is(kw, "VERSION")) {
        if (nv != 1 || !(pc_tok_is(v[0], "0.7") || pc_tok_is(v[0], ".7")))
            return pc_fail(err, errlen, "PCD header: VERSION %.*s is not supported (only 0.7)",
                           (int)(nv ? (v[0].n > 16 ? 16 : v[0].n) : 0), nv ? v[0].s : "");
        return true;
    }
    if (pc_tok_is(kw, "FIELDS")) {
        if (nv == 0) return pc_fail(err, errlen, "PCD header: FIELDS is empty");
        if (nv > PC_MAX_FIELDS) return pc_fail(err, errlen, "PCD header: more than %d FIELDS", PC_MAX_FIELDS);
        h->nfields = (unsigned)nv;
        for (size_t i = 0; i < nv; i++) h->f[i] = (struct pc_field){.name = v[i].s, .name_len = v[i].n, .count = 1};
        return true;
    }
    if (pc_tok_is(kw, "SIZE") || pc_tok_is(kw, "TYPE") || pc_tok_is(kw, "COUNT")) {
        if (!h->seen_fields) return pc_fail(err, errlen, "PCD header: %.*s comes before FIELDS", (int)kw.n, kw.s);
        if (nv != h->nfields)
            return pc_fail(err, errlen, "PCD header: %.*s has %zu values for %u fields", (int)kw.n, kw.s, nv,
                           h->nfields);
        for (size_t i = 0; i < nv; i++) {
            struct pc_field *f = &h->f[i];
            uint64_t n = 0;
            if (pc_tok_is(kw, "TYPE")) {
                if (v[i].n != 1 || (v[i].s[0] != 'F' && v[i].s[0] != 'I' && v[i].s[0] != 'U'))
                    return pc_fail(err, errlen, "PCD header: TYPE of field %.*s is '%.*s' (must be F, I or U)",
                                   (int)f->name_len, f->name, (int)(v[i].n > 8 ? 8 : v[i].n), v[i].s);
                f->type = v[i].s[0];
            } else if (pc_tok_is(kw, "SIZE")) {
                if (!pc_tok_u64(v[i], &n) || (n != 1 && n != 2 && n != 4 && n != 8))
                    return pc_fail(err, errlen, "PCD header: SIZE of field %.*s is '%.*s' (must be 1, 2, 4 or 8)",
                                   (int)f->name_len, f->name, (int)(v[i].n > 20 ? 20 : v[i].n), v[i].s);
                f->size = (unsigned)n;
            } else {
                if (!pc_tok_u64(v[i], &n) || n == 0 || n > PC_MAX_FIELD_COUNT)
                    return pc_fail(err, errlen, "PCD header: COUNT of field %.*s is '%.*s' (must be 1 to %u)",
                                   (int)f->name_len, f->name, (int)(v[i].n > 20 ? 20 : v[i].n), v[i].s,
                                   PC_MAX_FIELD_COUNT);
                f->count = (uint32_t)n;
            }
        }
        return true;
    }
    if (pc_tok_is(kw, "WIDTH") || pc_tok_is(kw, "HEIGHT") || pc_tok_is(kw, "POINTS")) {
        uint64_t n;
        if (nv != 1 || !pc_tok_u64(v[0], &n))
            return pc_fail(err, errlen, "PCD header: %.*s '%.*s' is not a non-negative integer", (int)kw.n, kw.s,
                           (int)(nv ? (v[0].n > 20 ? 20 : v[0].n) : 0), nv ? v[0].s : "");
        if (pc_tok_is(kw, "WIDTH")) h->width = n;
        else if (pc_tok_is(kw, "HEIGHT")) h->height = n;
        else h->points = n;
        return true;
    }
    /* VIEWPOINT: tx ty tz qw qx qy qz. The editor shows the cloud in its own frame, so it is only
     * checked, not applied. */
    if (nv != 7) return pc_fail(err, errlen, "PCD header: VIEWPOINT has %zu values (must be 7)", nv);
    for (size_t i = 0; i < nv; i++) {
        double d;
        if (!pc_tok_value(v[i], 'F', 8, &d) || !isfinite(d))
            return pc_fail(err, errlen, "PCD header: VIEWPOINT value %zu is not a finite number", i + 1);
    }
    return true;
}

/* Checks the header as a whole once DATA was read: required lines, field types, the x/y/z/intensity
 * fields, POINTS against WIDTH × HEIGHT and the size limits. */
static bool pc_header_check(struct pc_header *h, char *err, size_t errlen)
{
    if (!h->seen_fields) return pc_fail(err, errlen, "PCD header: no FIELDS line");
    if (!h->seen_size) return pc_fail(err, errlen, "PCD header: no SIZE line");
    if (!h->seen_type) return pc_fail(err, errlen, "PCD header: no TYPE line");
    if (!h->seen_width) return pc_fail(err, errlen, "PCD header: no WIDTH line");
    if (!h->seen_height) h->height = 1;
    if (h->height && h->width > UINT64_MAX / h->height)
        return pc_fail(err, errlen, "PCD header: WIDTH × HEIGHT overflows");
    uint64_t wh = h->width * h->height;
    if (!h->seen_points) h->points = wh;
    if (h->points != wh)
        return pc_fail(err, errlen, "PCD header: POINTS %" PRIu64 " is not WIDTH × HEIGHT = %" PRIu64, h->points, wh);
    if (h->points > PC_MAX_POINTS)
        return pc_fail(err, errlen, "PCD header: POINTS %" PRIu64 " exceeds the limit of %u", h->points,
                       PC_MAX_POINTS);

    uint64_t off = 0;
    for (unsigned i = 0; i < h->nfields; i++) {
        struct pc_field *f = &h->f[i];
        if (f->type == 'F' && f->size != 4 && f->size != 8)
            return pc_fail(err, errlen, "PCD header: field %.*s has TYPE F with SIZE %u (F needs 4 or 8)",
                           (int)f->name_len, f->name, f->size);
        f->offset = f->soa_off = off;
        off += (uint64_t)f->size * f->count; /* ≤ 256 × 8 × 65536 in total: no overflow */
    }
    h->point_size = off;
    uint64_t values = 0;
    for (unsigned i = 0; i < h->nfields; i++) values += h->f[i].count;
    if (values > PC_MAX_FIELD_COUNT)
        return pc_fail(err, errlen, "PCD header: a point has %" PRIu64 " values (COUNT summed over FIELDS); the limit is %u",
                       values, PC_MAX_FIELD_COUNT);

    static const char *const req[3] = {"x", "y", "z"};
    int *idx[3] = {&h->ix, &h->iy, &h->iz};
    for (int k = 0; k < 3; k++) {
        *idx[k] = pc_field_index(h, req[k]);
        if (*idx[k] < 0) return pc_fail(err, errlen, "PCD header: FIELDS has no %s", req[k]);
    }
    h->ii = pc_field_index(h, "intensity");
    if (h->ii < 0) h->ii = pc_field_index(h, "i");
    static const char *const named[] = {"x", "y", "z", "intensity", "i"};
    for (size_t k = 0; k < sizeof named / sizeof *named; k++) {
        int first = pc_field_index(h, named[k]), n = 0;
        for (unsigned i = 0; first >= 0 && i < h->nfields; i++)
            if (h->f[i].name_len == strlen(named[k]) && !memcmp(h->f[i].name, named[k], h->f[i].name_len)) n++;
        if (n > 1) return pc_fail(err, errlen, "PCD header: field %s appears %d times", named[k], n);
    }
    int used[4] = {h->ix, h->iy, h->iz, h->ii};
    for (int k = 0; k < 4; k++)
        if (used[k] >= 0 && h->f[used[k]].count != 1)
            return pc_fail(err, errlen, "PCD header: field %.*s has COUNT %" PRIu32 " (must be 1)",
                           (int)h->f[used[k]].name_len, h->f[used[k]].name, h->f[used[k]].count);

    if (h->point_size && h->points > PC_MAX_BYTES / h->point_size)
        return pc_fail(err, errlen,
                       "PCD header: %" PRIu64 " points of %" PRIu64 " bytes exceed the %zu MiB limit on point data",
                       h->points, h->point_size, PC_MAX_BYTES >> 20);
    return true;
}

/* Reads header lines up to and including DATA. Comments (#) and blank lines are allowed anywhere in it. */
static bool pc_header_parse(const unsigned char *bytes, size_t len, struct pc_header *h, char *err, size_t errlen)
{
    memset(h, 0, sizeof *h);
    h->ix = h->iy = h->iz = h->ii = -1;
    size_t pos = 0;
    unsigned lineno = 0;
    struct pc_tok toks[PC_MAX_FIELDS + 2];
    for (;;) {
        if (pos >= len) return pc_fail(err, errlen, "PCD header: ends before the DATA line");
        if (pos >= PC_HEADER_MAX) return pc_fail(err, errlen, "PCD header: no DATA line in the first %d bytes", PC_HEADER_MAX);
        lineno++;
        const char *line = (const char *)bytes + pos;
        size_t lim = len < PC_HEADER_MAX ? len : PC_HEADER_MAX, avail = lim - pos;
        const unsigned char *nl = memchr(line, '\n', avail);
        if (!nl && lim < len)
            return pc_fail(err, errlen, "PCD header: no DATA line in the first %d bytes", PC_HEADER_MAX);
        size_t n = nl ? (size_t)(nl - (const unsigned char *)line) : avail;
        size_t next = pos + n + (nl ? 1 : 0);
        if (n && line[n - 1] == '\r') n--;
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
                return pc_fail(err, errlen, "PCD header: line %u contains a control byte", lineno);
        size_t k = pc_split(line, n, toks, PC_MAX_FIELDS + 2);
        pos = next;
        if (k == 0 || toks[0].s[0] == '#') continue;
        if (k > PC_MAX_FIELDS + 1)
            return pc_fail(err, errlen, "PCD header: line %u has more than %d values", lineno, PC_MAX_FIELDS);
        if (pc_tok_is(toks[0], "DATA")) {
            if (k != 2) return pc_fail(err, errlen, "PCD header: DATA needs one value (ascii, binary or binary_compressed)");
            if (pc_tok_is(toks[1], "ascii")) h->data = PC_DATA_ASCII;
            else if (pc_tok_is(toks[1], "binary")) h->data = PC_DATA_BINARY;
            else if (pc_tok_is(toks[1], "binary_compressed")) h->data = PC_DATA_COMPRESSED;
            else
                return pc_fail(err, errlen, "PCD header: DATA '%.*s' is not ascii, binary or binary_compressed",
                               (int)(toks[1].n > 32 ? 32 : toks[1].n), toks[1].s);
            if (!nl && h->data != PC_DATA_ASCII)
                return pc_fail(err, errlen, "PCD header: the DATA line is not terminated (truncated)");
            h->data_offset = pos;
            return pc_header_check(h, err, errlen);
        }
        if (!pc_header_line(h, toks, k, lineno, err, errlen)) return false;
    }
}

/* Builds the accessors of x, y, z and intensity over decoded point data: interleaved (binary) or one
 * block per field (binary_compressed). */
static void pc_accessors(const struct pc_header *h, const unsigned char *data, bool soa, struct pc_access acc[4])
{
    int idx[4] = {h->ix, h->iy, h->iz, h->ii};
    for (int k = 0; k < 4; k++) {
        if (idx[k] < 0) continue;
        const struct pc_field *f = &h->f[idx[k]];
        if (soa)
            acc[k] = (struct pc_access){data + h->points * f->soa_off, (size_t)f->size * f->count, f->type, f->size};
        else
            acc[k] = (struct pc_access){data + f->offset, h->point_size, f->type, f->size};
    }
}

/* A bounded LZF decoder (liblzf's format, as PCL writes it): every literal run and back-reference is
 * checked against both buffers, and the output must come out at exactly out_len bytes. */
static bool pc_lzf_decompress(const unsigned char *in, size_t in_len, unsigned char *out, size_t out_len, char *err,
                              size_t errlen)
{
    size_t ip = 0, op = 0;
    while (ip < in_len) {
        size_t ctrl = in[ip++];
        if (ctrl < 32) {
            size_t run = ctrl + 1;
            if (run > in_len - ip)
                return pc_fail(err, errlen,
                               "binary_compressed: LZF literal run of %zu bytes at offset %zu passes the end of the "
                               "compressed data",
                               run, ip - 1);
            if (run > out_len - op)
                return pc_fail(err, errlen, "binary_compressed: LZF data grows past the uncompressed size %zu",
                               out_len);
            memcpy(out + op, in + ip, run);
            ip += run;
            op += run;
            continue;
        }
        size_t n = ctrl >> 5;
        if (n == 7) {
            if (ip >= in_len)
                return pc_fail(err, errlen, "binary_compressed: LZF data ends inside a back-reference");
            n += in[ip++];
        }
        n += 2;
        if (ip >= in_len) return pc_fail(err, errlen, "binary_compressed: LZF data ends inside a back-reference");
        size_t back = ((ctrl & 0x1f) << 8) + in[ip++] + 1;
        if (back > op)
            return pc_fail(err, errlen,
                           "binary_compressed: LZF back-reference at offset %zu reaches %zu bytes before the start of "
                           "the output",
                           ip - 2, back - op);
        if (n > out_len - op)
            return pc_fail(err, errlen, "binary_compressed: LZF data grows past the uncompressed size %zu", out_len);
        const unsigned char *ref = out + op - back;
        for (size_t i = 0; i < n; i++) out[op + i] = ref[i]; /* may overlap: byte by byte on purpose */
        op += n;
    }
    if (op != out_len)
        return pc_fail(err, errlen, "binary_compressed: LZF data decompresses to %zu bytes, the header says %zu", op,
                       out_len);
    return true;
}

/* ASCII data: one point per line, each value checked against its field's type; blank lines are ignored.
 * Lines beyond POINTS must be blank. */
static bool pc_parse_ascii(const struct pc_header *h, const unsigned char *bytes, size_t len, struct pc_builder *b,
                           char *err, size_t errlen)
{
    uint64_t values = 0;
    for (unsigned i = 0; i < h->nfields; i++) values += h->f[i].count; /* ≤ PC_MAX_FIELD_COUNT (header check) */
    struct pc_tok *toks = malloc((size_t)(values + 1) * sizeof *toks);
    if (!toks) return pc_fail(err, errlen, "PCD ascii: out of memory");
    size_t pos = h->data_offset;
    uint64_t point = 0;
    bool ok = true;
    while (ok && pos < len) {
        const char *line = (const char *)bytes + pos;
        const unsigned char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (const unsigned char *)line) : len - pos;
        pos += n + (nl ? 1 : 0);
        if (n && line[n - 1] == '\r') n--;
        size_t k = pc_split(line, n, toks, (size_t)values);
        if (k == 0) continue;
        if (point == h->points) {
            ok = pc_fail(err, errlen, "PCD ascii: data after the last of the %" PRIu64 " points", h->points);
            break;
        }
        if (k != values) {
            ok = pc_fail(err, errlen, "PCD ascii: point %" PRIu64 " has %s%zu values, expected %" PRIu64, point,
                         k > values ? "more than " : "", k > values ? (size_t)values : k, values);
            break;
        }
        double v[3] = {0, 0, 0}, inten = 0;
        size_t t = 0;
        for (unsigned f = 0; ok && f < h->nfields; f++) {
            const struct pc_field *fd = &h->f[f];
            for (uint32_t j = 0; j < fd->count; j++, t++) {
                double d;
                if (!pc_tok_value(toks[t], fd->type, fd->size, &d)) {
                    ok = pc_fail(err, errlen, "PCD ascii: point %" PRIu64 ": '%.*s' is not a valid %c%u value for field %.*s",
                                 point, (int)(toks[t].n > 32 ? 32 : toks[t].n), toks[t].s, fd->type, fd->size,
                                 (int)fd->name_len, fd->name);
                    break;
                }
                if ((int)f == h->ix) v[0] = d;
                else if ((int)f == h->iy) v[1] = d;
                else if ((int)f == h->iz) v[2] = d;
                else if ((int)f == h->ii) inten = d;
            }
        }
        if (ok) ok = pc_builder_add(b, point, v, inten, err, errlen);
        point++;
    }
    free(toks);
    if (ok && point < h->points)
        return pc_fail(err, errlen, "PCD ascii: only %" PRIu64 " of %" PRIu64 " points present (truncated)", point,
                       h->points);
    return ok;
}

/* LZF's best case: a 3-byte back-reference yields 264 bytes. A claimed uncompressed size beyond that
 * ratio cannot be real, so it is refused before the buffer for it is allocated. */
#define PC_LZF_MAX_RATIO 88u

/* Checks that the data section can hold what the header promises, before the point arrays (up to
 * hundreds of MiB) are allocated for it: a 200-byte upload must not cost a 200 MiB allocation. */
static bool pc_data_fits(const struct pc_header *h, const unsigned char *bytes, size_t len, char *err, size_t errlen)
{
    size_t left = len - h->data_offset;
    size_t need = (size_t)(h->points * h->point_size); /* ≤ PC_MAX_BYTES, checked in the header */
    if (h->data == PC_DATA_ASCII) {
        /* Each value is at least one character and a separator (the last newline may be missing). */
        uint64_t values = 0;
        for (unsigned i = 0; i < h->nfields; i++) values += h->f[i].count;
        uint64_t min_bytes = h->points ? h->points * 2 * values - 1 : 0; /* ≤ 10^7 × 2 × 65536 */
        if (min_bytes > left)
            return pc_fail(err, errlen,
                           "PCD ascii: %zu bytes of data cannot hold %" PRIu64 " points of %" PRIu64 " values (truncated)",
                           left, h->points, values);
        return true;
    }
    if (h->data == PC_DATA_BINARY) {
        /* Bytes after the points are tolerated: PCL pads its mmap'd files. */
        if (left < need)
            return pc_fail(err, errlen, "PCD binary: %zu bytes of point data expected, only %zu present (truncated)",
                           need, left);
        return true;
    }
    if (left < 8)
        return pc_fail(err, errlen, "binary_compressed: %zu bytes left, the 8-byte size header is missing", left);
    const unsigned char *p = bytes + h->data_offset;
    size_t csize = pc_u32le(p), usize = pc_u32le(p + 4);
    left -= 8;
    /* Bytes after the compressed block are tolerated, as PCL leaves them (page padding). */
    if (csize > left)
        return pc_fail(err, errlen, "binary_compressed: compressed size %zu exceeds the %zu bytes left", csize, left);
    if (usize != need)
        return pc_fail(err, errlen, "binary_compressed: uncompressed size %zu is not POINTS × point size = %zu", usize,
                       need);
    if ((uint64_t)usize > (uint64_t)csize * PC_LZF_MAX_RATIO)
        return pc_fail(err, errlen, "binary_compressed: %zu compressed bytes cannot hold %zu bytes of LZF data", csize,
                       usize);
    return true;
}

static bool pc_parse_pcd(const unsigned char *bytes, size_t len, struct pc_cloud *out, char *err, size_t errlen)
{
    struct pc_header *h = malloc(sizeof *h);
    if (!h) return pc_fail(err, errlen, "PCD: out of memory");
    bool ok = pc_header_parse(bytes, len, h, err, errlen) && pc_data_fits(h, bytes, len, err, errlen);
    struct pc_builder b = {0};
    unsigned char *inflated = NULL;
    if (ok) ok = pc_builder_init(&b, out, (uint32_t)h->points, h->ii >= 0, pc_data_name(h->data), err, errlen);
    struct pc_access acc[4] = {{0}};
    if (ok && h->data == PC_DATA_ASCII) {
        ok = pc_parse_ascii(h, bytes, len, &b, err, errlen);
    } else if (ok && h->data == PC_DATA_BINARY) {
        pc_accessors(h, bytes + h->data_offset, false, acc);
        ok = pc_emit(&b, acc, h->ii >= 0, h->points, err, errlen);
    } else if (ok) {
        const unsigned char *p = bytes + h->data_offset;
        size_t csize = pc_u32le(p), usize = pc_u32le(p + 4); /* both checked by pc_data_fits */
        if (!(inflated = malloc(usize ? usize : 1)))
            ok = pc_fail(err, errlen, "binary_compressed: out of memory for %zu bytes", usize);
        if (ok) ok = pc_lzf_decompress(p + 8, csize, inflated, usize, err, errlen);
        if (ok) pc_accessors(h, inflated, true, acc);
        if (ok) ok = pc_emit(&b, acc, h->ii >= 0, h->points, err, errlen);
    }
    if (b.c) pc_builder_finish(&b);
    free(inflated);
    free(h);
    return ok;
}

bool pc_parse(const unsigned char *bytes, size_t len, const char *name_hint, struct pc_cloud *out, char *err,
              size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (err && errlen) err[0] = 0;
    bool ok;
    if (!bytes || len == 0) ok = pc_fail(err, errlen, "point cloud: the file is empty");
    else if (pc_ends_with(name_hint, ".pcd.bin")) ok = pc_parse_floats(bytes, len, 5, "nuScenes .pcd.bin", out, err, errlen);
    else if (pc_ends_with(name_hint, ".bin")) ok = pc_parse_floats(bytes, len, 4, "KITTI .bin", out, err, errlen);
    else if (pc_looks_like_pcd(bytes, len) || pc_ends_with(name_hint, ".pcd") || pc_is_text(bytes, len)) ok = pc_parse_pcd(bytes, len, out, err, errlen);
    else if (len % 16 == 0) ok = pc_parse_floats(bytes, len, 4, "KITTI .bin", out, err, errlen);
    else
        ok = pc_fail(err, errlen,
                     "point cloud: no PCD header, and the length %zu is not a multiple of 16 bytes (KITTI .bin)", len);
    if (!ok) pc_free(out);
    return ok;
}

void pc_free(struct pc_cloud *c)
{
    if (!c) return;
    free(c->xyz);
    free(c->intensity);
    memset(c, 0, sizeof *c);
}

/* ---- FLPC ---- */

bool pc_encode(const struct pc_cloud *c, unsigned char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (!c || c->count > PC_MAX_POINTS || (c->count && (!c->xyz || (c->has_intensity && !c->intensity)))) return false;
    size_t n = c->count;
    size_t total = PC_FLPC_HEADER_BYTES + n * 12 + (c->has_intensity ? n : 0);
    unsigned char *p = calloc(total, 1);
    if (!p) return false;
    memcpy(p, PC_FLPC_MAGIC, 4);
    pc_put_u32le(p + 4, PC_FLPC_VERSION);
    pc_put_u32le(p + 8, c->count);
    pc_put_u32le(p + 12, c->has_intensity ? PC_FLPC_HAS_INTENSITY : 0);
    for (int k = 0; k < 3; k++) {
        pc_put_f32le(p + 16 + 4 * k, c->min[k]);
        pc_put_f32le(p + 28 + 4 * k, c->max[k]);
    }
    unsigned char *q = p + PC_FLPC_HEADER_BYTES;
    for (size_t i = 0; i < n * 3; i++, q += 4) pc_put_f32le(q, c->xyz[i]);
    if (c->has_intensity) memcpy(q, c->intensity, n);
    *out = p;
    *len = total;
    return true;
}

bool pc_decode(const unsigned char *bytes, size_t len, struct pc_cloud *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (err && errlen) err[0] = 0;
    if (!bytes || len < PC_FLPC_HEADER_BYTES)
        return pc_fail(err, errlen, "FLPC: %zu bytes, shorter than the %u-byte header", bytes ? len : 0,
                       PC_FLPC_HEADER_BYTES);
    if (memcmp(bytes, PC_FLPC_MAGIC, 4)) return pc_fail(err, errlen, "FLPC: bad magic (not an FLPC point cloud)");
    uint32_t version = pc_u32le(bytes + 4), count = pc_u32le(bytes + 8), flags = pc_u32le(bytes + 12);
    if (version != PC_FLPC_VERSION) return pc_fail(err, errlen, "FLPC: version %" PRIu32 " is not supported", version);
    if (flags & ~PC_FLPC_HAS_INTENSITY) return pc_fail(err, errlen, "FLPC: unknown flags 0x%" PRIx32, flags);
    if (count > PC_MAX_POINTS)
        return pc_fail(err, errlen, "FLPC: %" PRIu32 " points exceed the limit of %u", count, PC_MAX_POINTS);
    bool has_i = flags & PC_FLPC_HAS_INTENSITY;
    size_t need = PC_FLPC_HEADER_BYTES + (size_t)count * 12 + (has_i ? count : 0);
    if (len != need)
        return pc_fail(err, errlen, "FLPC: length %zu, expected %zu for %" PRIu32 " points", len, need, count);
    for (int i = 40; i < 48; i++)
        if (bytes[i]) return pc_fail(err, errlen, "FLPC: reserved header bytes are not zero");
    float hmin[3], hmax[3];
    for (int k = 0; k < 3; k++) {
        hmin[k] = pc_f32le(bytes + 16 + 4 * k);
        hmax[k] = pc_f32le(bytes + 28 + 4 * k);
    }
    out->xyz = malloc((count ? count : 1) * 3 * sizeof(float));
    out->intensity = calloc(count ? count : 1, 1);
    if (!out->xyz || !out->intensity) {
        pc_free(out);
        return pc_fail(err, errlen, "FLPC: out of memory");
    }
    const unsigned char *q = bytes + PC_FLPC_HEADER_BYTES;
    for (size_t i = 0; i < (size_t)count * 3; i++, q += 4) {
        float f = pc_f32le(q);
        if (!isfinite(f)) {
            pc_free(out);
            return pc_fail(err, errlen, "FLPC: coordinate %zu of point %zu is not finite", i % 3, i / 3);
        }
        size_t k = i % 3;
        out->xyz[i] = f;
        if (i < 3 || f < out->min[k]) out->min[k] = f;
        if (i < 3 || f > out->max[k]) out->max[k] = f;
    }
    if (has_i) memcpy(out->intensity, q, count);
    for (int k = 0; k < 3; k++)
        if (out->min[k] != hmin[k] || out->max[k] != hmax[k]) {
            pc_free(out);
            return pc_fail(err, errlen, "FLPC: header bounds do not match the points");
        }
    out->count = count;
    out->has_intensity = has_i;
    return true;
}
