/* Unit tests for the point cloud parsers and the FLPC encoding (core/pointcloud.h), on the real samples in
 * ../shared/data (read in place: the KITTI and nuScenes files are non-commercial) and on generated files. */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/pointcloud.h"

#include "sample_data.h"

static void nuscenes_name(char *out, size_t n)
{
    sample_find("lidar/nuscenes", ".pcd.bin", out, n);
}

/* ---- little helpers ---- */

struct tbuf {
    unsigned char *p;
    size_t n, cap;
};

static void tb_put(struct tbuf *b, const void *d, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    if (n) memcpy(b->p + b->n, d, n);
    b->n += n;
}

__attribute__((format(printf, 2, 3))) static void tb_printf(struct tbuf *b, const char *fmt, ...)
{
    char tmp[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && n < (int)sizeof tmp);
    tb_put(b, tmp, (size_t)n);
}

static void tb_le(struct tbuf *b, uint64_t v, unsigned size)
{
    unsigned char t[8];
    for (unsigned i = 0; i < size; i++) t[i] = (unsigned char)(v >> (8 * i));
    tb_put(b, t, size);
}

static void tb_f32(struct tbuf *b, float f)
{
    uint32_t w;
    memcpy(&w, &f, 4);
    tb_le(b, w, 4);
}

static void tb_f64(struct tbuf *b, double d)
{
    uint64_t w;
    memcpy(&w, &d, 8);
    tb_le(b, w, 8);
}

static float rd_f32(const unsigned char *p)
{
    uint32_t w = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    float f;
    memcpy(&f, &w, 4);
    return f;
}

static uint32_t rd_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

/* Parses and expects failure with an error containing want. */
static void expect_fail(const unsigned char *b, size_t n, const char *hint, const char *want)
{
    struct pc_cloud c;
    char err[256];
    bool ok = pc_parse(b, n, hint, &c, err, sizeof err);
    if (ok) fail_msg("expected failure '%s', parsed %u points", want, c.count);
    assert_null(c.xyz);
    assert_int_equal(c.count, 0);
    if (want && !strstr(err, want)) fail_msg("error '%s' does not contain '%s'", err, want);
}

static void parse_ok(const unsigned char *b, size_t n, const char *hint, struct pc_cloud *c)
{
    char err[256];
    if (!pc_parse(b, n, hint, c, err, sizeof err)) fail_msg("parse failed: %s", err);
}

/* ---- LZF written independently of the parser: a tiny greedy compressor and a decoder ---- */

/* Greedy LZF (liblzf's format): back-references of 3..264 bytes up to 8192 back, literal runs of ≤ 32. */
static size_t t_lzf_compress(const unsigned char *in, size_t n, unsigned char *out)
{
    size_t ip = 0, op = 0, lit = 0;
    while (ip < n) {
        size_t best = 0, off = 0;
        for (size_t back = 1; back <= 8192 && back <= ip; back++) {
            size_t l = 0;
            while (ip + l < n && l < 264 && in[ip + l] == in[ip - back + l]) l++;
            if (l > best) best = l, off = back;
        }
        if (best < 3) {
            ip++;
            continue;
        }
        while (lit < ip) {
            size_t run = ip - lit > 32 ? 32 : ip - lit;
            out[op++] = (unsigned char)(run - 1);
            memcpy(out + op, in + lit, run);
            op += run, lit += run;
        }
        size_t len = best - 2, o = off - 1;
        if (len < 7) {
            out[op++] = (unsigned char)((len << 5) | (o >> 8));
        } else {
            out[op++] = (unsigned char)((7 << 5) | (o >> 8));
            out[op++] = (unsigned char)(len - 7);
        }
        out[op++] = (unsigned char)(o & 0xff);
        ip += best;
        lit = ip;
    }
    while (lit < n) {
        size_t run = n - lit > 32 ? 32 : n - lit;
        out[op++] = (unsigned char)(run - 1);
        memcpy(out + op, in + lit, run);
        op += run, lit += run;
    }
    return op;
}

/* Only literal runs: valid LZF that any decoder must accept. */
static size_t t_lzf_literal(const unsigned char *in, size_t n, unsigned char *out)
{
    size_t op = 0;
    for (size_t i = 0; i < n; i += 32) {
        size_t run = n - i > 32 ? 32 : n - i;
        out[op++] = (unsigned char)(run - 1);
        memcpy(out + op, in + i, run);
        op += run;
    }
    return op;
}

static size_t t_lzf_decompress(const unsigned char *in, size_t n, unsigned char *out, size_t cap)
{
    size_t ip = 0, op = 0;
    while (ip < n) {
        unsigned c = in[ip++];
        if (c < 32) {
            assert_true(ip + c + 1 <= n && op + c + 1 <= cap);
            memcpy(out + op, in + ip, c + 1);
            ip += c + 1, op += c + 1;
        } else {
            size_t l = c >> 5;
            if (l == 7) l += in[ip++];
            size_t back = ((c & 31u) << 8) + in[ip++] + 1;
            assert_true(back <= op && op + l + 2 <= cap);
            for (size_t i = 0; i < l + 2; i++, op++) out[op] = out[op - back];
        }
    }
    return op;
}

/* ---- round trip ---- */

static void check_roundtrip(const struct pc_cloud *c)
{
    unsigned char *enc;
    size_t len;
    assert_true(pc_encode(c, &enc, &len));
    assert_int_equal(len, 48 + (size_t)c->count * 12 + (c->has_intensity ? c->count : 0));
    assert_memory_equal(enc, "FLPC", 4);
    assert_int_equal(rd_u32(enc + 4), 1);
    assert_int_equal(rd_u32(enc + 8), c->count);
    assert_int_equal(rd_u32(enc + 12), c->has_intensity ? 1 : 0);
    for (int k = 0; k < 3; k++) {
        assert_true(rd_f32(enc + 16 + 4 * k) == c->min[k]);
        assert_true(rd_f32(enc + 28 + 4 * k) == c->max[k]);
    }
    for (int i = 40; i < 48; i++) assert_int_equal(enc[i], 0);
    if (c->count) assert_true(rd_f32(enc + 48) == c->xyz[0]);

    struct pc_cloud d;
    char err[256];
    if (!pc_decode(enc, len, &d, err, sizeof err)) fail_msg("decode failed: %s", err);
    assert_int_equal(d.count, c->count);
    assert_int_equal(d.has_intensity, c->has_intensity);
    assert_memory_equal(d.min, c->min, sizeof c->min);
    assert_memory_equal(d.max, c->max, sizeof c->max);
    if (c->count) {
        assert_memory_equal(d.xyz, c->xyz, (size_t)c->count * 3 * sizeof(float));
        assert_memory_equal(d.intensity, c->intensity, c->count);
    }
    unsigned char *enc2;
    size_t len2;
    assert_true(pc_encode(&d, &enc2, &len2));
    assert_int_equal(len2, len);
    assert_memory_equal(enc2, enc, len);
    free(enc2);
    free(enc);
    pc_free(&d);
}

/* Every point inside the bounds, and the bounds attained. */
static void check_bounds(const struct pc_cloud *c, float plausible)
{
    assert_true(c->count > 0);
    float lo[3], hi[3];
    for (int k = 0; k < 3; k++) lo[k] = hi[k] = c->xyz[k];
    for (size_t i = 0; i < c->count; i++)
        for (int k = 0; k < 3; k++) {
            float v = c->xyz[i * 3 + k];
            assert_true(isfinite(v));
            if (v < lo[k]) lo[k] = v;
            if (v > hi[k]) hi[k] = v;
        }
    for (int k = 0; k < 3; k++) {
        assert_true(lo[k] == c->min[k] && hi[k] == c->max[k]);
        assert_true(c->min[k] < c->max[k]);
        assert_true(c->min[k] > -plausible && c->max[k] < plausible);
    }
}

/* ---- real files ---- */

static void test_real_ascii(void **state)
{
    (void)state;
    size_t len;
    unsigned char *b = read_data("lidar/pcl/test_pcd_ascii.pcd", &len);
    /* Independent count and bounds: data lines after "DATA ascii", minus lines holding a NaN. */
    char *text = malloc(len + 1);
    memcpy(text, b, len);
    text[len] = 0;
    char *data = strstr(text, "DATA ascii\n");
    assert_non_null(data);
    assert_non_null(strstr(text, "POINTS 1771\n"));
    size_t lines = 0, nan_lines = 0;
    float lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (char *line = strtok(data + 11, "\n"); line; line = strtok(NULL, "\n")) {
        lines++;
        float v[3];
        assert_int_equal(sscanf(line, "%f %f %f", &v[0], &v[1], &v[2]), 3);
        if (isnan(v[0]) || isnan(v[1]) || isnan(v[2])) {
            nan_lines++;
            continue;
        }
        for (int k = 0; k < 3; k++) lo[k] = fminf(lo[k], v[k]), hi[k] = fmaxf(hi[k], v[k]);
    }
    assert_int_equal(lines, 1771);

    struct pc_cloud c;
    parse_ok(b, len, "test_pcd_ascii.pcd", &c);
    assert_int_equal(c.count, lines - nan_lines);
    assert_false(c.has_intensity);
    for (size_t i = 0; i < c.count; i++) assert_int_equal(c.intensity[i], 0);
    assert_true(c.xyz[0] == -10.0f && c.xyz[1] == 0.0f && c.xyz[2] == 0.0f);
    assert_true(c.xyz[3] == -10.015625f && c.xyz[5] == 0.042999268f);
    for (int k = 0; k < 3; k++) assert_true(c.min[k] == lo[k] && c.max[k] == hi[k]);
    check_bounds(&c, 1000);
    check_roundtrip(&c);
    pc_free(&c);

    parse_ok(b, len, NULL, &c); /* detected by content, without a name */
    assert_int_equal(c.count, lines - nan_lines);
    pc_free(&c);
    free(text);
    free(b);
}

/* Decodes a binary_compressed sample with the test's own LZF decoder and returns the SoA data. */
static unsigned char *independent_soa(const unsigned char *b, size_t len, size_t *usize)
{
    const char *tag = "DATA binary_compressed\n";
    const unsigned char *p = memmem(b, len, tag, strlen(tag));
    assert_non_null(p);
    p += strlen(tag);
    uint32_t cs = rd_u32(p), us = rd_u32(p + 4);
    assert_true((size_t)(p - b) + 8 + cs <= len);
    unsigned char *out = malloc(us);
    assert_non_null(out);
    assert_int_equal(t_lzf_decompress(p + 8, cs, out, us), us);
    *usize = us;
    return out;
}

static void check_compressed_sample(const char *rel, uint32_t points, unsigned nfields, bool intensity)
{
    size_t len;
    unsigned char *b = read_data(rel, &len);
    char want[64];
    snprintf(want, sizeof want, "POINTS %u\n", points);
    assert_non_null(memmem(b, 400, want, strlen(want)));
    assert_non_null(memmem(b, 400, "DATA binary_compressed\n", 23)); /* the DATA type this test is about */

    size_t us;
    unsigned char *soa = independent_soa(b, len, &us);
    assert_int_equal(us, (size_t)points * nfields * 4);
    size_t kept = 0;
    double ilo = INFINITY, ihi = -INFINITY;
    for (size_t i = 0; i < points; i++) {
        float x = rd_f32(soa + 4 * i), y = rd_f32(soa + 4 * (points + i)), z = rd_f32(soa + 4 * (2 * (size_t)points + i));
        if (isnan(x) || isnan(y) || isnan(z)) continue;
        kept++;
        if (intensity) {
            double v = rd_f32(soa + 4 * (3 * (size_t)points + i));
            ilo = fmin(ilo, v), ihi = fmax(ihi, v);
        }
    }

    struct pc_cloud c;
    parse_ok(b, len, rel, &c);
    assert_int_equal(c.count, kept);
    assert_int_equal(c.has_intensity, intensity);
    check_bounds(&c, 100);
    /* Point by point against the independent decode (the samples hold no NaN, so indexes line up). */
    if (kept == points)
        for (size_t i = 0; i < points; i++) {
            assert_true(c.xyz[3 * i] == rd_f32(soa + 4 * i));
            assert_true(c.xyz[3 * i + 2] == rd_f32(soa + 4 * (2 * (size_t)points + i)));
            if (intensity) {
                double v = rd_f32(soa + 4 * (3 * (size_t)points + i));
                int q = (int)((v - ilo) / (ihi - ilo) * 255.0 + 0.5);
                assert_true(abs(q - c.intensity[i]) <= 1);
            }
        }
    check_roundtrip(&c);
    pc_free(&c);
    free(soa);
    free(b);
}

static void test_real_bun0(void **state)
{
    (void)state;
    check_compressed_sample("lidar/pcl/bun0.pcd", 112586, 3, false);
}

static void test_real_table_scene(void **state)
{
    (void)state;
    check_compressed_sample("lidar/pcl/table_scene_lms400.pcd", 460400, 6, true);
}

/* KITTI or nuScenes: float32 records, counted and bounded independently. */
static void check_float_records(const char *rel, const char *hint, unsigned per_point, float plausible)
{
    size_t len;
    unsigned char *b = read_data(rel, &len);
    assert_int_equal(len % (per_point * 4), 0);
    size_t n = len / (per_point * 4), kept = 0, first = SIZE_MAX;
    float lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = b + i * per_point * 4;
        float v[3] = {rd_f32(p), rd_f32(p + 4), rd_f32(p + 8)};
        if (isnan(v[0]) || isnan(v[1]) || isnan(v[2])) continue;
        if (first == SIZE_MAX) first = i;
        kept++;
        for (int k = 0; k < 3; k++) lo[k] = fminf(lo[k], v[k]), hi[k] = fmaxf(hi[k], v[k]);
    }
    struct pc_cloud c;
    parse_ok(b, len, hint, &c);
    assert_int_equal(c.count, kept);
    assert_true(c.has_intensity);
    for (int k = 0; k < 3; k++) assert_true(c.min[k] == lo[k] && c.max[k] == hi[k]);
    const unsigned char *p = b + first * per_point * 4;
    assert_true(c.xyz[0] == rd_f32(p) && c.xyz[1] == rd_f32(p + 4) && c.xyz[2] == rd_f32(p + 8));
    bool some_lo = false, some_hi = false;
    for (size_t i = 0; i < c.count; i++) some_lo |= c.intensity[i] == 0, some_hi |= c.intensity[i] == 255;
    assert_true(some_lo && some_hi); /* scaled over the cloud's own range */
    check_bounds(&c, plausible);
    check_roundtrip(&c);
    pc_free(&c);
    free(b);
}

static void test_real_kitti(void **state)
{
    (void)state;
    check_float_records("lidar/kitti/velodyne/000001.bin", "000001.bin", 4, 200);
    /* Without a name the length (a multiple of 16) and the missing PCD header decide. */
    size_t len;
    unsigned char *b = read_data("lidar/kitti/velodyne/000001.bin", &len);
    struct pc_cloud c;
    parse_ok(b, len, NULL, &c);
    assert_int_equal(c.count, 120268); /* lidar/README.md */
    pc_free(&c);
    expect_fail(b, len - 2, "000001.bin", "KITTI .bin: length 1924286 is not a multiple of 16 bytes");
    free(b);
}

static void test_real_nuscenes(void **state)
{
    (void)state;
    char rel[512];
    nuscenes_name(rel, sizeof rel);
    const char *base = strrchr(rel, '/') + 1;
    check_float_records(rel, base, 5, 300);
    size_t len;
    unsigned char *b = read_data(rel, &len);
    struct pc_cloud c;
    parse_ok(b, len, base, &c);
    assert_int_equal(c.count, 34688); /* lidar/README.md */
    pc_free(&c);
    expect_fail(b, len - 4, base, "nuScenes .pcd.bin: length 693756 is not a multiple of 20 bytes");
    free(b);
}

/* ---- generated files with exact values ---- */

static const char ascii_pcd[] = "# .PCD v0.7 - made by the test\n"
                                "VERSION 0.7\n"
                                "FIELDS x y z rgb intensity normal\n"
                                "SIZE 4 4 4 4 2 4\n"
                                "TYPE F F F F U F\n"
                                "COUNT 1 1 1 1 1 2\n"
                                "WIDTH 2\n"
                                "HEIGHT 2\n"
                                "VIEWPOINT 0 0 0 1 0 0 0\n"
                                "POINTS 4\n"
                                "DATA ascii\n"
                                "1 2 3 4.2108e+06 0 0.5 0.5\n"
                                "-1.5 0.25 -3 0 100 1 1\n"
                                "nan nan nan 0 65535 0 0\n"
                                "4 5 6 1 200 -1e-3 0\n";

static void check_ascii_cloud(const struct pc_cloud *c)
{
    assert_int_equal(c->count, 3); /* the NaN point is skipped */
    assert_true(c->has_intensity);
    static const float xyz[9] = {1, 2, 3, -1.5f, 0.25f, -3, 4, 5, 6};
    assert_memory_equal(c->xyz, xyz, sizeof xyz);
    assert_int_equal(c->intensity[0], 0);
    assert_int_equal(c->intensity[1], 128); /* 100 of 0..200 (the NaN point's 65535 does not count) */
    assert_int_equal(c->intensity[2], 255);
    assert_true(c->min[0] == -1.5f && c->min[1] == 0.25f && c->min[2] == -3);
    assert_true(c->max[0] == 4 && c->max[1] == 5 && c->max[2] == 6);
}

static void test_generated_ascii(void **state)
{
    (void)state;
    struct pc_cloud c;
    parse_ok((const unsigned char *)ascii_pcd, strlen(ascii_pcd), "cloud.pcd", &c);
    check_ascii_cloud(&c);
    check_roundtrip(&c);
    pc_free(&c);

    /* CRLF line ends and no final newline read the same. */
    struct tbuf t = {0};
    for (const char *s = ascii_pcd; *s; s++) {
        if (*s == '\n') tb_put(&t, "\r", 1);
        tb_put(&t, s, 1);
    }
    t.n -= 2;
    parse_ok(t.p, t.n, NULL, &c);
    check_ascii_cloud(&c);
    pc_free(&c);
    free(t.p);

    /* "i" is intensity too; blank data lines are ignored; no VERSION, HEIGHT, COUNT or POINTS lines is fine (defaults 1 and W×H). */
    static const char minimal[] = "FIELDS x y z i\nSIZE 4 4 4 1\nTYPE F F F I\nWIDTH 2\nDATA ascii\n"
                                  "0 0 0 -128\n\n  \n1 1 1 127\n";
    parse_ok((const unsigned char *)minimal, strlen(minimal), NULL, &c);
    assert_int_equal(c.count, 2);
    assert_true(c.has_intensity);
    assert_int_equal(c.intensity[0], 0);
    assert_int_equal(c.intensity[1], 255);
    pc_free(&c);

    /* A cloud without points is a valid PCD. */
    static const char empty[] = "VERSION .7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 0\nHEIGHT 1\nPOINTS 0\nDATA ascii\n";
    parse_ok((const unsigned char *)empty, strlen(empty), NULL, &c);
    assert_int_equal(c.count, 0);
    check_roundtrip(&c);
    pc_free(&c);
}

/* The binary test cloud: 4 points of mixed types, one of them NaN, with a COUNT 3 padding field. */
struct gen_point {
    unsigned char pad[3];
    double x;
    int16_t y;
    uint32_t z;
    float i;
};
static const struct gen_point gen_points[4] = {
    {{1, 2, 3}, 1.5, -7, 100, 0.25f},
    {{4, 5, 6}, -2.25, 32767, 0, 0.75f},
    {{7, 8, 9}, NAN, 0, 0, 100.0f},
    {{0, 0, 0}, 0, -32768, 4000000000u, 0.5f},
};
static const char gen_header_fmt[] = "# generated\nVERSION 0.7\nFIELDS _ x y z i\nSIZE 1 8 2 4 4\nTYPE U F I U F\n"
                                     "COUNT 3 1 1 1 1\nWIDTH 4\nHEIGHT 1\nVIEWPOINT 0 0 0 1 0 0 0\nPOINTS 4\nDATA %s\n";
#define GEN_POINT_SIZE 21

static void gen_field(struct tbuf *t, const struct gen_point *p, int f)
{
    switch (f) {
    case 0: tb_put(t, p->pad, 3); break;
    case 1: tb_f64(t, p->x); break;
    case 2: tb_le(t, (uint16_t)p->y, 2); break;
    case 3: tb_le(t, p->z, 4); break;
    default: tb_f32(t, p->i); break;
    }
}

static struct tbuf gen_binary(void)
{
    struct tbuf t = {0};
    tb_printf(&t, gen_header_fmt, "binary");
    for (int i = 0; i < 4; i++)
        for (int f = 0; f < 5; f++) gen_field(&t, &gen_points[i], f);
    return t;
}

/* binary_compressed: field by field (struct of arrays), then LZF, behind the two size words. */
static struct tbuf gen_compressed(bool literal_only)
{
    struct tbuf soa = {0};
    for (int f = 0; f < 5; f++)
        for (int i = 0; i < 4; i++) gen_field(&soa, &gen_points[i], f);
    assert_int_equal(soa.n, 4 * GEN_POINT_SIZE);
    unsigned char z[512];
    size_t zn = literal_only ? t_lzf_literal(soa.p, soa.n, z) : t_lzf_compress(soa.p, soa.n, z);
    struct tbuf t = {0};
    tb_printf(&t, gen_header_fmt, "binary_compressed");
    tb_le(&t, zn, 4);
    tb_le(&t, soa.n, 4);
    tb_put(&t, z, zn);
    free(soa.p);
    return t;
}

static void check_gen_cloud(const struct pc_cloud *c)
{
    assert_int_equal(c->count, 3);
    assert_true(c->has_intensity);
    static const float xyz[9] = {1.5f, -7, 100, -2.25f, 32767, 0, 0, -32768, 4000000000.0f};
    assert_memory_equal(c->xyz, xyz, sizeof xyz);
    assert_int_equal(c->intensity[0], 0);
    assert_int_equal(c->intensity[1], 255);
    assert_int_equal(c->intensity[2], 128);
    assert_true(c->min[0] == -2.25f && c->min[1] == -32768 && c->min[2] == 0);
    assert_true(c->max[0] == 1.5f && c->max[1] == 32767 && c->max[2] == 4000000000.0f);
}

static void test_generated_binary(void **state)
{
    (void)state;
    struct tbuf t = gen_binary();
    struct pc_cloud c;
    parse_ok(t.p, t.n, "gen.pcd", &c);
    check_gen_cloud(&c);
    check_roundtrip(&c);
    pc_free(&c);
    tb_put(&t, "\0\0\0\0pad", 7); /* PCL pads files; bytes after the points are ignored */
    parse_ok(t.p, t.n, "gen.pcd", &c);
    check_gen_cloud(&c);
    pc_free(&c);
    free(t.p);
}

static void test_generated_compressed(void **state)
{
    (void)state;
    for (int lit = 0; lit < 2; lit++) {
        struct tbuf t = gen_compressed(lit);
        struct pc_cloud c;
        parse_ok(t.p, t.n, "gen.pcd", &c);
        check_gen_cloud(&c);
        check_roundtrip(&c);
        pc_free(&c);
        free(t.p);
    }
    /* A larger cloud through the real compressor (back-references across fields) equals its binary twin. */
    enum { N = 300 };
    struct tbuf bin = {0}, soa = {0}, cmp = {0};
    static const char hdr[] = "FIELDS x y z normal intensity\nSIZE 4 4 4 4 2\nTYPE F F F F U\nCOUNT 1 1 1 3 1\n"
                              "WIDTH 300\nHEIGHT 1\nPOINTS 300\nDATA %s\n";
    tb_printf(&bin, hdr, "binary");
    float v[N][7];
    for (int i = 0; i < N; i++) {
        for (int k = 0; k < 6; k++) v[i][k] = (float)((i * 7 + k * 3) % 11) * 0.5f - (float)k;
        v[i][6] = (float)(i % 50);
        for (int k = 0; k < 6; k++) tb_f32(&bin, v[i][k]);
        tb_le(&bin, (uint16_t)v[i][6], 2);
    }
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < N; i++) tb_f32(&soa, v[i][k]);
    for (int i = 0; i < N; i++)
        for (int k = 3; k < 6; k++) tb_f32(&soa, v[i][k]);
    for (int i = 0; i < N; i++) tb_le(&soa, (uint16_t)v[i][6], 2);
    unsigned char *z = malloc(soa.n * 2);
    size_t zn = t_lzf_compress(soa.p, soa.n, z);
    assert_true(zn < soa.n / 2); /* it really used back-references */
    tb_printf(&cmp, hdr, "binary_compressed");
    tb_le(&cmp, zn, 4);
    tb_le(&cmp, soa.n, 4);
    tb_put(&cmp, z, zn);
    struct pc_cloud a, b;
    parse_ok(bin.p, bin.n, NULL, &a);
    parse_ok(cmp.p, cmp.n, NULL, &b);
    assert_int_equal(a.count, N);
    assert_int_equal(b.count, N);
    assert_memory_equal(a.xyz, b.xyz, N * 3 * sizeof(float));
    assert_memory_equal(a.intensity, b.intensity, N);
    assert_true(a.xyz[3 * 17 + 1] == v[17][1] && a.intensity[49] == 255 && a.intensity[50] == 0);
    pc_free(&a);
    pc_free(&b);
    free(z);
    free(bin.p);
    free(soa.p);
    free(cmp.p);
}

/* ---- broken input ---- */

static void test_truncated_prefixes(void **state)
{
    (void)state;
    struct tbuf files[3] = {gen_binary(), gen_compressed(false), gen_compressed(true)};
    for (int f = 0; f < 3; f++) {
        for (size_t n = 0; n < files[f].n; n++) {
            /* A copy of exactly n bytes so ASan catches any read past the prefix. */
            unsigned char *p = malloc(n ? n : 1);
            memcpy(p, files[f].p, n);
            expect_fail(p, n, "gen.pcd", NULL);
            expect_fail(p, n, NULL, NULL);
            free(p);
        }
        free(files[f].p);
    }
    /* ascii: every prefix that cuts before the last line fails; a cut inside the last number can still
     * be a number, so later prefixes must either fail or give the full cloud. */
    size_t len = strlen(ascii_pcd);
    const char *last = strstr(ascii_pcd, "4 5 6 1 200");
    for (size_t n = 0; n < len; n++) {
        unsigned char *p = malloc(n ? n : 1);
        memcpy(p, ascii_pcd, n);
        struct pc_cloud c;
        char err[256];
        bool ok = pc_parse(p, n, "a.pcd", &c, err, sizeof err);
        if (n <= (size_t)(last - ascii_pcd)) assert_false(ok);
        else if (ok) assert_int_equal(c.count, 3);
        pc_free(&c);
        free(p);
    }
}

struct header_case {
    const char *text;
    const char *want;
};

static void test_header_errors(void **state)
{
    (void)state;
    static const struct header_case cases[] = {
        {"FIELDS x y\nSIZE 4 4\nTYPE F F\nWIDTH 2\nDATA ascii\n1 2\n3 4\n", "PCD header: FIELDS has no z"},
        {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 2\nDATA foo\n", "PCD header: DATA 'foo' is not ascii, binary or binary_compressed"},
        {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 2\nHEIGHT 1\nPOINTS 3\nDATA ascii\n1 2 3\n1 2 3\n1 2 3\n", "PCD header: POINTS 3 is not WIDTH × HEIGHT = 2"},
        {"FIELDS x y z\nSIZE 4 4 3\nTYPE F F F\nWIDTH 1\nDATA ascii\n1 2 3\n", "SIZE of field z is '3'"},
        {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F X\nWIDTH 1\nDATA ascii\n1 2 3\n", "TYPE of field z is 'X'"},
        {"FIELDS x y z\nSIZE 4 4 2\nTYPE F F F\nWIDTH 1\nDATA ascii\n1 2 3\n", "field z has TYPE F with SIZE 2"},
        {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 0 1\nWIDTH 1\nDATA ascii\n1 2 3\n", "COUNT of field y is '0'"},
        {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 2 1\nWIDTH 1\nDATA ascii\n1 2 2 3\n", "field y has COUNT 2 (must be 1)"},
        {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH -1\nDATA ascii\n", "WIDTH '-1' is not a non-negative integer"},
        {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1x\nDATA ascii\n", "WIDTH '1x' is not"},
        {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\nFOO 1\nDATA ascii\n1 2 3\n", "unknown keyword 'FOO' on line 5"},
        {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\nWIDTH 1\nDATA ascii\n1 2 3\n", "WIDTH appears twice"},
        {"SIZE 4 4 4\nFIELDS x y z\nTYPE F F F\nWIDTH 1\nDATA ascii\n1 2 3\n", "SIZE comes before FIELDS"},
        {"FIELDS x y z\nSIZE 4 4\nTYPE F F F\nWIDTH 1\nDATA ascii\n1 2 3\n", "SIZE has 2 values for 3 fields"},
        {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 20000000\nDATA binary\n", "POINTS 20000000 exceeds the limit of 10000000"},
        {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 4294967296\nHEIGHT 4294967296\nPOINTS 0\nDATA binary\n", "WIDTH × HEIGHT overflows"},
        {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 999999999999999999999\nDATA binary\n", "is not a non-negative integer"},
        {"FIELDS x y z h\nSIZE 4 4 4 8\nTYPE F F F F\nCOUNT 1 1 1 60000\nWIDTH 2000\nDATA binary\n", "exceed the 512 MiB limit"},
        {"FIELDS x y z h\nSIZE 4 4 4 8\nTYPE F F F F\nCOUNT 1 1 1 65536\nWIDTH 1\nDATA binary\n", "the limit is 65536"},
        {"FIELDS x y z x\nSIZE 4 4 4 4\nTYPE F F F F\nWIDTH 1\nDATA ascii\n1 2 3 4\n", "field x appears 2 times"},
        {"VERSION 0.5\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\nDATA ascii\n1 2 3\n", "VERSION 0.5 is not supported"},
        {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\nVIEWPOINT 0 0 0\nDATA ascii\n1 2 3\n", "VIEWPOINT has 3 values"},
        {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\nVIEWPOINT 0 0 0 1 0 0 nan\nDATA ascii\n1 2 3\n", "VIEWPOINT value 7"},
        {"FIELDS x y\x01 z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\nDATA ascii\n1 2 3\n", "line 1 contains a control byte"},
        {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\n", "ends before the DATA line"},
        {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nDATA ascii\n1 2 3\n", "no WIDTH line"},
        {"FIELDS x y z\nTYPE F F F\nWIDTH 1\nDATA ascii\n1 2 3\n", "no SIZE line"},
        {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\nDATA\n", "DATA needs one value"},
        {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\nDATA binary", "DATA line is not terminated"},
        {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\nDATA ascii\ninf 2 3\n", "PCD ascii: x of point 0 is infinite"},
        {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\nDATA ascii\n1 2 -inf\n", "z of point 0 is infinite"},
        {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\nDATA ascii\n1 2 1e999\n", "'1e999' is not a valid F4 value for field z"},
        {"FIELDS x y z\nSIZE 8 4 4\nTYPE F F F\nWIDTH 1\nDATA ascii\n1e300 2 3\n", "x of point 0 (1e+300) does not fit a float"},
        {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 2\nDATA ascii\n1 2 3\n10 20\n", "point 1 has 2 values, expected 3"},
        {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\nDATA ascii\n1 2 3 4\n", "point 0 has more than 3 values"},
        {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\nDATA ascii\n1 2 abc\n", "'abc' is not a valid F4 value for field z"},
        {"FIELDS x y z i\nSIZE 4 4 4 1\nTYPE F F F U\nWIDTH 1\nDATA ascii\n1 2 3 256\n", "'256' is not a valid U1 value"},
        {"FIELDS x y z i\nSIZE 4 4 4 2\nTYPE F F F U\nWIDTH 1\nDATA ascii\n1 2 3 -1\n", "'-1' is not a valid U2 value"},
        {"FIELDS x y z i\nSIZE 4 4 4 1\nTYPE F F F I\nWIDTH 1\nDATA ascii\n1 2 3 -129\n", "'-129' is not a valid I1 value"},
        {"FIELDS x y z i\nSIZE 4 4 4 4\nTYPE F F F F\nWIDTH 1\nDATA ascii\n1 2 3 nan\n", "intensity of point 0 is not finite"},
        {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\nDATA ascii\n1 2 3\n4 5 6\n", "data after the last of the 1 points"},
        {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 3\nDATA ascii\n1 2 3\n4 5 6\n", "12 bytes of data cannot hold 3 points of 3 values (truncated)"},
        {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 3\nDATA ascii\n10 20 30\n\n40 50 60\n", "only 2 of 3 points present"},
        {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1000000\nDATA binary\n\x01\x02\x03", "12000000 bytes of point data expected, only 3"},
        {"# a comment\n\x01", "line 2 contains a control byte"},
        {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\nDATA binary\n\x01\x02\x03", "12 bytes of point data expected, only 3 present"},
        {"FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\nDATA binary_compressed\n\x01\x02\x03", "3 bytes left, the 8-byte size header is missing"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        print_message("case %zu\n", i);
        expect_fail((const unsigned char *)cases[i].text, strlen(cases[i].text), "c.pcd", cases[i].want);
    }

    /* A header line may not run on for ever. */
    size_t big = 70000;
    unsigned char *longline = malloc(big);
    memset(longline, 'A', big);
    expect_fail(longline, big, "c.pcd", "no DATA line in the first 65536 bytes");
    memcpy(longline, "FIELDS ", 7);
    expect_fail(longline, big, NULL, "no DATA line in the first 65536 bytes");
    free(longline);

    /* Quoted input bytes come back printable. */
    static const char hostile[] = "FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\n\xff\xfe\x80 1\nDATA ascii\n1 2 3\n";
    struct pc_cloud hc;
    char herr[256];
    assert_false(pc_parse((const unsigned char *)hostile, strlen(hostile), NULL, &hc, herr, sizeof herr));
    assert_non_null(strstr(herr, "unknown keyword '\?\?\?' on line 5"));
    static const char hostile2[] = "FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\nDATA ascii\n1 2 \x01\xc3\n";
    assert_false(pc_parse((const unsigned char *)hostile2, strlen(hostile2), NULL, &hc, herr, sizeof herr));
    assert_non_null(strstr(herr, "'\?\?' is not a valid F4 value"));

    /* Binary values: infinity is rejected, NaN skipped. */
    struct tbuf t = {0};
    tb_printf(&t, "FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 2\nDATA binary\n");
    tb_f32(&t, NAN), tb_f32(&t, INFINITY), tb_f32(&t, 0);
    tb_f32(&t, 1), tb_f32(&t, -INFINITY), tb_f32(&t, 0);
    expect_fail(t.p, t.n, NULL, "PCD binary: y of point 1 is infinite");
    free(t.p);
}

/* A binary_compressed file around the given LZF payload and sizes. */
static struct tbuf compressed_with(uint32_t csize, uint32_t usize, const unsigned char *z, size_t zn)
{
    struct tbuf t = {0};
    tb_printf(&t, "FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\nDATA binary_compressed\n");
    tb_le(&t, csize, 4);
    tb_le(&t, usize, 4);
    tb_put(&t, z, zn);
    return t;
}

static void test_lzf_garbage(void **state)
{
    (void)state;
    static const struct {
        const char *z;
        size_t zn;
        uint32_t csize, usize;
        const char *want;
    } cases[] = {
        {"", 60, 100, 12, "binary_compressed: compressed size 100 exceeds the 60 bytes left"},
        {"\x20\x00", 2, 2, 12, "back-reference at offset 0 reaches 1 bytes before the start of the output"},
        {"\x00\x41\xe0\x00\x10", 5, 5, 12, "reaches 16 bytes before"},
        {"\x1f\x01\x02", 3, 3, 12, "literal run of 32 bytes at offset 0 passes the end of the compressed data"},
        {"\x0c" "0123456789abc", 14, 14, 12, "grows past the uncompressed size 12"},
        {"\x00\x41\xe0", 3, 3, 12, "ends inside a back-reference"},
        {"\x00\x41\x20", 3, 3, 12, "ends inside a back-reference"},
        {"\x00\x41\x20\x00", 4, 4, 12, "decompresses to 4 bytes, the header says 12"},
        {"\x00\x41\xe0\xff\x00", 5, 5, 12, "grows past the uncompressed size 12"},
        {"\x0b" "0123456789ab", 13, 13, 24, "uncompressed size 24 is not POINTS × point size = 12"},
        {"\x20\x00", 2, 2, 12, "reaches 1 bytes"},
        {"", 0, 0, 12, "0 compressed bytes cannot hold 12 bytes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        unsigned char z[64] = {0};
        if (cases[i].zn <= 16) memcpy(z, cases[i].z, cases[i].zn); /* the 60-byte case is all zeros */
        struct tbuf t = compressed_with(cases[i].csize, cases[i].usize, z, cases[i].zn);
        print_message("lzf case %zu\n", i);
        expect_fail(t.p, t.n, NULL, cases[i].want);
        free(t.p);
    }
    /* Random payloads with plausible sizes: they may only fail cleanly (ASan/UBSan watch the reads). */
    for (int r = 0; r < 3000; r++) {
        unsigned char z[64];
        size_t zn = rnd() % sizeof z;
        for (size_t i = 0; i < zn; i++) z[i] = (unsigned char)rnd();
        struct tbuf t = compressed_with((uint32_t)zn, 12, z, zn);
        struct pc_cloud c;
        char err[256];
        if (pc_parse(t.p, t.n, NULL, &c, err, sizeof err)) assert_true(c.count <= 1);
        pc_free(&c);
        free(t.p);
    }
}

static void test_headerless_errors(void **state)
{
    (void)state;
    unsigned char b[64] = {0};
    expect_fail(b, 30, "scan.bin", "KITTI .bin: length 30 is not a multiple of 16 bytes");
    expect_fail(b, 30, "SCAN.BIN", "KITTI .bin: length 30 is not a multiple of 16 bytes");
    expect_fail(b, 32, "x.pcd.bin", "nuScenes .pcd.bin: length 32 is not a multiple of 20 bytes");
    expect_fail(b, 0, "scan.bin", "empty");
    expect_fail(b, 30, NULL, "no PCD header, and the length 30 is not a multiple of 16 bytes");
    expect_fail(NULL, 0, NULL, "empty");

    /* KITTI: NaN points are skipped, infinities rejected. */
    struct tbuf t = {0};
    float pts[3][4] = {{1, 2, 3, 0.5f}, {NAN, 0, 0, 0}, {-1, -2, -3, 1.5f}};
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 4; k++) tb_f32(&t, pts[i][k]);
    struct pc_cloud c;
    parse_ok(t.p, t.n, "a.bin", &c);
    assert_int_equal(c.count, 2);
    assert_true(c.xyz[3] == -1 && c.intensity[0] == 0 && c.intensity[1] == 255);
    pc_free(&c);
    memcpy(t.p + 16 + 4, &(float){INFINITY}, 4);
    memcpy(t.p + 16, &(float){0}, 4);
    expect_fail(t.p, t.n, "a.bin", "KITTI .bin: y of point 1 is infinite");
    memcpy(t.p + 16 + 4, &(float){0}, 4);
    memcpy(t.p + 16 + 12, &(float){NAN}, 4);
    expect_fail(t.p, t.n, "a.bin", "KITTI .bin: intensity of point 1 is not finite");
    free(t.p);
}

/* Random bytes and mutated files: every call ends in a clean success or a clean error. */
static void test_random_and_mutated(void **state)
{
    (void)state;
    static const char *const hints[] = {NULL, "r.pcd", "r.bin", "r.pcd.bin", "r.txt"};
    for (int r = 0; r < 2000; r++) {
        size_t n = rnd() % 200;
        unsigned char *b = malloc(n ? n : 1);
        for (size_t i = 0; i < n; i++) b[i] = (unsigned char)rnd();
        struct pc_cloud c;
        char err[256];
        bool ok = pc_parse(b, n, hints[r % 5], &c, err, sizeof err);
        if (!ok) assert_true(err[0] != 0);
        if (n % 16 && n % 20 && r % 5 != 1) assert_false(ok);
        pc_free(&c);
        struct pc_cloud d;
        assert_false(pc_decode(b, n, &d, err, sizeof err));
        free(b);
    }
    struct tbuf files[4] = {gen_binary(), gen_compressed(false), {0}, {0}};
    tb_put(&files[2], ascii_pcd, strlen(ascii_pcd));
    static const char tiny[] = "FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\nDATA ascii\n1 2 3\n";
    tb_put(&files[3], tiny, strlen(tiny));
    for (int f = 0; f < 4; f++) {
        for (int r = 0; r < 3000; r++) {
            unsigned char *b = malloc(files[f].n);
            memcpy(b, files[f].p, files[f].n);
            int flips = 1 + (int)(rnd() % 4);
            for (int k = 0; k < flips; k++) {
                size_t at = rnd() % files[f].n;
                b[at] = (rnd() & 1) ? (unsigned char)rnd() : (unsigned char)"0123456789 \n.-x#"[rnd() % 16];
            }
            struct pc_cloud c;
            char err[256];
            if (pc_parse(b, files[f].n, "m.pcd", &c, err, sizeof err)) {
                assert_true(c.count <= 8);
                for (size_t i = 0; i < (size_t)c.count * 3; i++) assert_true(isfinite(c.xyz[i]));
            } else {
                assert_true(err[0] != 0);
            }
            pc_free(&c);
            free(b);
        }
        free(files[f].p);
    }
}

static void test_flpc_decode_errors(void **state)
{
    (void)state;
    struct tbuf t = gen_binary();
    struct pc_cloud c, d;
    parse_ok(t.p, t.n, NULL, &c);
    free(t.p);
    unsigned char *enc;
    size_t len;
    assert_true(pc_encode(&c, &enc, &len));
    assert_int_equal(len, 48 + 3 * 13);
    char err[256];
    unsigned char *b = malloc(len + 1);
    struct {
        size_t at;
        unsigned char v;
        const char *want;
    } pokes[] = {
        {0, 'X', "bad magic"},        {4, 2, "version 2 is not supported"},
        {12, 3, "unknown flags 0x3"}, {44, 1, "reserved header bytes are not zero"},
        {16, 0x7f, "header bounds do not match"}, {48 + 3, 0x7f, "not finite"},
        {11, 0xff, "exceed the limit"},
    };
    for (size_t i = 0; i < sizeof pokes / sizeof *pokes; i++) {
        memcpy(b, enc, len);
        b[pokes[i].at] = pokes[i].v;
        if (pokes[i].at == 48 + 3) b[48 + 2] = 0x80; /* 0x7f80.... is +inf */
        assert_false(pc_decode(b, len, &d, err, sizeof err));
        if (!strstr(err, pokes[i].want)) fail_msg("'%s' lacks '%s'", err, pokes[i].want);
        assert_null(d.xyz);
    }
    for (size_t n = 0; n < len; n++) assert_false(pc_decode(enc, n, &d, err, sizeof err)); /* every prefix */
    memcpy(b, enc, len);
    b[len] = 0;
    assert_false(pc_decode(b, len + 1, &d, err, sizeof err));
    assert_non_null(strstr(err, "expected 87"));
    /* Without intensity the flag is clear and the section absent. */
    c.has_intensity = false;
    free(enc);
    assert_true(pc_encode(&c, &enc, &len));
    assert_int_equal(len, 48 + 3 * 12);
    assert_true(pc_decode(enc, len, &d, err, sizeof err));
    assert_false(d.has_intensity);
    assert_int_equal(d.intensity[0], 0);
    pc_free(&d);
    /* Inconsistent clouds are not encoded. */
    free(enc);
    struct pc_cloud bad = c;
    bad.xyz = NULL;
    assert_false(pc_encode(&bad, &enc, &len));
    assert_null(enc);
    bad = c;
    bad.count = PC_MAX_POINTS + 1;
    assert_false(pc_encode(&bad, &enc, &len));
    free(b);
    pc_free(&c);
    pc_free(&c); /* safe twice */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_ascii),
        cmocka_unit_test(test_real_bun0),
        cmocka_unit_test(test_real_table_scene),
        cmocka_unit_test(test_real_kitti),
        cmocka_unit_test(test_real_nuscenes),
        cmocka_unit_test(test_generated_ascii),
        cmocka_unit_test(test_generated_binary),
        cmocka_unit_test(test_generated_compressed),
        cmocka_unit_test(test_truncated_prefixes),
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_lzf_garbage),
        cmocka_unit_test(test_headerless_errors),
        cmocka_unit_test(test_random_and_mutated),
        cmocka_unit_test(test_flpc_decode_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
