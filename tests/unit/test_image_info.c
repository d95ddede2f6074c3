/* Unit tests for image validation (core/image_info.h) on the real samples in ../shared/data (read in
 * place) and on PNG, JPEG and WebP files generated here, intact, truncated, oversized and corrupt. */
#include <dirent.h>
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
#include <jpeglib.h>
#include <png.h>
#include <webp/encode.h>
#include <zlib.h>

#include "core/image_info.h"

#include "sample_data.h"

static void nuscenes_jpg(char *out, size_t n)
{
    sample_find("lidar/nuscenes", ".jpg", out, n);
}

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

/* Inspects a copy of exactly n bytes (so ASan sees any over-read) and expects failure containing want. */
static void expect_fail(const unsigned char *b, size_t n, const char *want)
{
    unsigned char *p = malloc(n ? n : 1);
    if (n) memcpy(p, b, n);
    struct img_info info;
    char err[256];
    bool ok = img_inspect(p, n, &info, err, sizeof err);
    free(p);
    if (ok) fail_msg("expected failure '%s' for %zu bytes, got a %s %ux%u", want ? want : "", n, info.format,
                     info.width, info.height);
    assert_true(err[0] != 0);
    if (want && !strstr(err, want)) fail_msg("error '%s' does not contain '%s'", err, want);
}

static void expect_ok(const unsigned char *b, size_t n, const char *format, uint32_t w, uint32_t h)
{
    struct img_info info;
    char err[256];
    if (!img_inspect(b, n, &info, err, sizeof err)) fail_msg("inspect failed: %s", err);
    assert_string_equal(info.format, format);
    assert_int_equal(info.width, w);
    assert_int_equal(info.height, h);
}

/* ---- generated images ---- */

#define GW 37
#define GH 23

static void gen_pixels(unsigned char *rgba)
{
    for (int y = 0; y < GH; y++)
        for (int x = 0; x < GW; x++) {
            unsigned char *p = rgba + 4 * (y * GW + x);
            p[0] = (unsigned char)(x * 7), p[1] = (unsigned char)(y * 11), p[2] = (unsigned char)rnd();
            p[3] = (unsigned char)(200 + x % 50);
        }
}

static unsigned char *gen_png(size_t *len)
{
    unsigned char rgba[GW * GH * 4];
    gen_pixels(rgba);
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = GW, img.height = GH, img.format = PNG_FORMAT_RGBA;
    png_alloc_size_t n = 0;
    assert_true(png_image_write_to_memory(&img, NULL, &n, 0, rgba, 0, NULL));
    unsigned char *out = malloc(n);
    assert_true(png_image_write_to_memory(&img, out, &n, 0, rgba, 0, NULL));
    *len = n;
    return out;
}

static unsigned char *gen_jpeg(size_t *len, bool progressive)
{
    unsigned char rgba[GW * GH * 4], rgb[GW * 3];
    gen_pixels(rgba);
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    unsigned char *mem = NULL;
    unsigned long n = 0;
    jpeg_mem_dest(&c, &mem, &n);
    c.image_width = GW, c.image_height = GH, c.input_components = 3, c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    if (progressive) jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < GH) {
        for (int x = 0; x < GW; x++) memcpy(rgb + 3 * x, rgba + 4 * (c.next_scanline * GW + (unsigned)x), 3);
        JSAMPROW row = rgb;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    unsigned char *out = malloc(n);
    memcpy(out, mem, n);
    free(mem);
    *len = n;
    return out;
}

static unsigned char *gen_webp(size_t *len, bool lossless)
{
    unsigned char rgba[GW * GH * 4];
    gen_pixels(rgba);
    uint8_t *w = NULL;
    size_t n = lossless ? WebPEncodeLosslessRGBA(rgba, GW, GH, GW * 4, &w) : WebPEncodeRGBA(rgba, GW, GH, GW * 4, 80, &w);
    assert_true(n > 0);
    unsigned char *out = malloc(n);
    memcpy(out, w, n);
    WebPFree(w);
    *len = n;
    return out;
}

/* Rewrites the PNG's IHDR dimensions and its CRC, so only the size check can object. */
static void png_set_dims(unsigned char *png, uint32_t w, uint32_t h)
{
    for (int i = 0; i < 4; i++) {
        png[16 + i] = (unsigned char)(w >> (24 - 8 * i));
        png[20 + i] = (unsigned char)(h >> (24 - 8 * i));
    }
    uint32_t crc = (uint32_t)crc32(0, png + 12, 17);
    for (int i = 0; i < 4; i++) png[29 + i] = (unsigned char)(crc >> (24 - 8 * i));
}

/* ---- tests ---- */

static void test_real_images(void **state)
{
    (void)state;
    char jpg[512];
    nuscenes_jpg(jpg, sizeof jpg);
    const struct {
        const char *rel, *format;
        uint32_t w, h;
    } files[] = {
        {"images/astronaut.png", "png", 512, 512},  {"images/chelsea.png", "png", 451, 300},
        {"images/coffee.png", "png", 600, 400},     {"images/kitti_000007.png", "png", 1242, 375},
        {"lidar/kitti/image_2/000001.png", "png", 1242, 375}, {jpg, "jpeg", 1600, 900},
    };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        size_t len;
        unsigned char *b = read_data(files[i].rel, &len);
        print_message("%s\n", files[i].rel);
        expect_ok(b, len, files[i].format, files[i].w, files[i].h);
        /* A truncated tail, cut at several depths, down to the last byte. */
        size_t cuts[] = {len / 2, len * 9 / 10, len - 16, len - 12, len - 1};
        for (size_t k = 0; k < sizeof cuts / sizeof *cuts; k++) expect_fail(b, cuts[k], NULL);
        free(b);
    }
}

static void test_generated_and_prefixes(void **state)
{
    (void)state;
    for (int kind = 0; kind < 5; kind++) {
        size_t len;
        unsigned char *b = kind == 0 ? gen_png(&len) : kind <= 2 ? gen_jpeg(&len, kind == 2) : gen_webp(&len, kind == 4);
        const char *fmt = kind == 0 ? "png" : kind <= 2 ? "jpeg" : "webp";
        print_message("%s (%d), %zu bytes\n", fmt, kind, len);
        expect_ok(b, len, fmt, GW, GH);
        for (size_t n = 0; n < len; n++) expect_fail(b, n, NULL); /* every prefix is truncated */
        free(b);
    }
}

static void test_oversized_headers(void **state)
{
    (void)state;
    size_t len;
    unsigned char *png = gen_png(&len);
    png_set_dims(png, 100000, 100000);
    expect_fail(png, len, "PNG: the header claims 100000x100000 pixels; the limit is 20000 per side");
    png_set_dims(png, 15000, 15000);
    expect_fail(png, len, "the limit is 100 megapixels");
    png_set_dims(png, 0, GH);
    expect_fail(png, len, "a side of 0");
    png_set_dims(png, 0xffffffffu, 0xffffffffu);
    expect_fail(png, len, "the limit is 20000 per side");
    png_set_dims(png, 20000, 5000); /* within the limits, but 1.5 KB cannot inflate to 400 MB */
    expect_fail(png, len, "bytes of IDAT data cannot hold 20000x5000 pixels");
    png_set_dims(png, GW + 1, GH); /* plausible but wrong: the pixel data no longer fits */
    expect_fail(png, len, "PNG");
    free(png);

    unsigned char *jpg = gen_jpeg(&len, false);
    size_t sof = 0;
    for (size_t i = 2; i + 9 < len; i++)
        if (jpg[i] == 0xff && jpg[i + 1] == 0xc0) {
            sof = i;
            break;
        }
    assert_true(sof > 0);
    jpg[sof + 5] = 0xea, jpg[sof + 6] = 0x60; /* height 60000 */
    expect_fail(jpg, len, "JPEG: the header claims 37x60000 pixels; the limit is 20000 per side");
    jpg[sof + 5] = 0x3a, jpg[sof + 6] = 0x98, jpg[sof + 7] = 0x3a, jpg[sof + 8] = 0x98; /* 15000x15000 */
    expect_fail(jpg, len, "megapixels");
    free(jpg);

    unsigned char *webp = gen_webp(&len, true);
    assert_memory_equal(webp + 12, "VP8L", 4);
    webp[21] = webp[22] = webp[23] = 0xff; /* 14-bit width and height - 1, all ones: 16384 x 16384 */
    webp[24] |= 0x0f;
    expect_fail(webp, len, "WebP: the header claims 16384x16384 = 268435456 pixels; the limit is 100 megapixels");
    free(webp);
}

static void test_corrupt_and_foreign(void **state)
{
    (void)state;
    expect_fail((const unsigned char *)"", 0, "empty");
    expect_fail((const unsigned char *)"GIF89a\x01\x00\x01\x00", 10, "GIF files are not supported");
    expect_fail((const unsigned char *)"BM\x00\x00\x00\x00", 6, "BMP files are not supported");
    expect_fail((const unsigned char *)"hello world", 11, "not a PNG, JPEG or WebP file");
    expect_fail((const unsigned char *)"RIFF\x04\x00\x00\x00WAVE", 12, "not a PNG, JPEG or WebP");
    expect_fail((const unsigned char *)"RIFF\xff\x00\x00\x00WEBPVP8 ", 16, "WebP: the RIFF header says 263 bytes, only 16 present");

    size_t len;
    unsigned char *png = gen_png(&len);
    size_t idat = 0;
    for (size_t i = 8; i + 4 < len; i++)
        if (!memcmp(png + i, "IDAT", 4)) {
            idat = i;
            break;
        }
    assert_true(idat > 0);
    png[idat + 10] ^= 0x55; /* IDAT bytes no longer match their CRC */
    expect_fail(png, len, "PNG");
    png[idat + 10] ^= 0x55;
    memcpy(png + 12, "IHDX", 4);
    expect_fail(png, len, "does not start with an IHDR chunk");
    free(png);

    /* Random bytes, alone and behind each format's magic. */
    static const struct {
        const char *magic;
        size_t n;
    } magics[] = {{"", 0}, {"\x89PNG\r\n\x1a\n", 8}, {"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x10\0\0\0\x10", 24},
                  {"\xff\xd8\xff", 3}, {"\xff\xd8\xff\xe0\x00\x10JFIF\x00", 11}, {"RIFF\x40\x00\x00\x00WEBPVP8 ", 16},
                  {"RIFF\x40\x00\x00\x00WEBPVP8L", 16}, {"RIFF\x40\x00\x00\x00WEBPVP8X", 16}};
    for (int r = 0; r < 4000; r++) {
        size_t m = (size_t)r % (sizeof magics / sizeof *magics);
        size_t n = magics[m].n + rnd() % 120;
        unsigned char *b = malloc(n);
        memcpy(b, magics[m].magic, magics[m].n);
        for (size_t i = magics[m].n; i < n; i++) b[i] = (unsigned char)rnd();
        expect_fail(b, n, NULL);
        free(b);
    }
}

/* Mutated images: each inspection ends cleanly either way; the sanitizers check the memory accesses. */
static void test_mutations(void **state)
{
    (void)state;
    for (int kind = 0; kind < 5; kind++) {
        size_t len;
        unsigned char *orig = kind == 0 ? gen_png(&len) : kind <= 2 ? gen_jpeg(&len, kind == 2) : gen_webp(&len, kind == 4);
        unsigned char *b = malloc(len);
        for (int r = 0; r < 400; r++) {
            memcpy(b, orig, len);
            int flips = 1 + (int)(rnd() % 6);
            for (int k = 0; k < flips; k++) b[rnd() % len] = (unsigned char)rnd();
            struct img_info info;
            char err[256];
            if (img_inspect(b, len, &info, err, sizeof err))
                assert_true(info.width > 0 && info.width <= IMG_MAX_SIDE && info.height > 0 && info.height <= IMG_MAX_SIDE);
            else
                assert_true(err[0] != 0);
        }
        free(b);
        free(orig);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_images),
        cmocka_unit_test(test_generated_and_prefixes),
        cmocka_unit_test(test_oversized_headers),
        cmocka_unit_test(test_corrupt_and_foreign),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
