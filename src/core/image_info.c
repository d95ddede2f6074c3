/* Image validation with libpng, libjpeg-turbo and libwebp (see image_info.h): dimensions are read from the
 * header and bounded before the decoder allocates anything for pixels. */
#include "core/image_info.h"

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>
#include <webp/decode.h>

#define IMG_JPEG_MAX_SCANS 500               /* progressive files with thousands of scans are a CPU bomb */
#define IMG_JPEG_MAX_MEMORY (1024L * 1024 * 1024) /* libjpeg's own working memory (coefficient buffers) */

__attribute__((format(printf, 3, 4))) static bool img_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        for (char *p = err; *p; p++) /* decoder messages and chunk names may quote input bytes */
            if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f) *p = '?';
    }
    return false;
}

/* The size limits, checked on the header's numbers before any pixel buffer exists. */
static bool img_check_size(const char *fmt, uint64_t w, uint64_t h, char *err, size_t errlen)
{
    if (w == 0 || h == 0)
        return img_fail(err, errlen, "%s: the header claims %" PRIu64 "x%" PRIu64 " pixels; a side of 0 is not an image",
                        fmt, w, h);
    if (w > IMG_MAX_SIDE || h > IMG_MAX_SIDE)
        return img_fail(err, errlen, "%s: the header claims %" PRIu64 "x%" PRIu64 " pixels; the limit is %u per side",
                        fmt, w, h, IMG_MAX_SIDE);
    if (w * h > IMG_MAX_PIXELS)
        return img_fail(err, errlen,
                        "%s: the header claims %" PRIu64 "x%" PRIu64 " = %" PRIu64 " pixels; the limit is %llu megapixels",
                        fmt, w, h, w * h, IMG_MAX_PIXELS / 1000000);
    return true;
}

static uint32_t img_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint32_t img_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- PNG ---- */

/* Walks the chunk list to the IEND chunk. libpng's simplified API stops after the image data, so a file
 * cut anywhere after the last IDAT would otherwise pass as intact. Bytes after IEND are tolerated. */
static bool img_png_chunks(const unsigned char *bytes, size_t len, uint64_t *idat_bytes, char *err, size_t errlen)
{
    size_t pos = 8;
    *idat_bytes = 0;
    while (len - pos >= 12) {
        uint32_t clen = img_be32(bytes + pos);
        if (clen > 0x7fffffffu) return img_fail(err, errlen, "PNG: chunk length %" PRIu32 " is invalid", clen);
        if (clen > len - pos - 12)
            return img_fail(err, errlen, "PNG: a %.4s chunk of %" PRIu32 " bytes runs past the end of the file (truncated)",
                            (const char *)bytes + pos + 4, clen);
        if (!memcmp(bytes + pos + 4, "IEND", 4)) {
            if (clen != 0 || img_be32(bytes + pos + 8) != 0xAE426082u)
                return img_fail(err, errlen, "PNG: the IEND chunk is corrupt");
            return true;
        }
        if (!memcmp(bytes + pos + 4, "IDAT", 4)) *idat_bytes += clen;
        pos += 12 + (size_t)clen;
    }
    return img_fail(err, errlen, "PNG: no IEND chunk (truncated)");
}

/* PNG through libpng's simplified API. The IHDR chunk must come first (the PNG spec says so), which lets
 * us check the dimensions before libpng sees the file. libpng warnings (a dubious iCCP profile, say) are
 * not errors; a bad CRC in IDAT, a truncated stream or a missing IEND are. */
static bool img_png(const unsigned char *bytes, size_t len, struct img_info *out, char *err, size_t errlen)
{
    if (len < 33 || img_be32(bytes + 8) != 13 || memcmp(bytes + 12, "IHDR", 4))
        return img_fail(err, errlen, "PNG: the file does not start with an IHDR chunk (truncated or corrupt)");
    uint32_t w = img_be32(bytes + 16), h = img_be32(bytes + 20);
    uint64_t idat;
    if (!img_check_size("PNG", w, h, err, errlen) || !img_png_chunks(bytes, len, &idat, err, errlen)) return false;
    /* deflate expands at most 1032:1, so IDAT data too small for the claimed rows is refused before
     * libpng (and we) allocate for pixels that cannot be there. */
    static const unsigned channels[7] = {1, 0, 3, 1, 2, 0, 4}; /* by colour type */
    unsigned bpp = bytes[24] * (bytes[25] < 7 && channels[bytes[25]] ? channels[bytes[25]] : 1);
    uint64_t raw_min = (uint64_t)h * (((uint64_t)w * bpp + 7) / 8);
    if (idat * 1032 + 1024 < raw_min)
        return img_fail(err, errlen, "PNG: %" PRIu64 " bytes of IDAT data cannot hold %" PRIu32 "x%" PRIu32 " pixels (truncated)",
                        idat, w, h);

    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&image, bytes, len))
        return img_fail(err, errlen, "PNG: %s", image.message[0] ? image.message : "unreadable header");
    if (image.width != w || image.height != h) {
        png_image_free(&image);
        return img_fail(err, errlen, "PNG: libpng read %" PRIu32 "x%" PRIu32 ", the IHDR says %" PRIu32 "x%" PRIu32,
                        (uint32_t)image.width, (uint32_t)image.height, w, h);
    }
    /* Decode in the file's own channel layout (no colour conversion work); palette images expand. */
    image.format &= ~PNG_FORMAT_FLAG_COLORMAP;
    size_t stride = (size_t)PNG_IMAGE_PIXEL_CHANNELS(image.format) * w; /* ≤ 4 × 20000 */
    size_t bytes_needed = (size_t)PNG_IMAGE_PIXEL_COMPONENT_SIZE(image.format) * stride * h; /* ≤ 8 × 10^8 */
    void *pixels = malloc(bytes_needed);
    if (!pixels) {
        png_image_free(&image);
        return img_fail(err, errlen, "PNG: out of memory for %zu bytes of pixels", bytes_needed);
    }
    int ok = png_image_finish_read(&image, NULL, pixels, 0, NULL);
    free(pixels);
    if (!ok) {
        char msg[64];
        snprintf(msg, sizeof msg, "%s", image.message[0] ? image.message : "decoding failed");
        png_image_free(&image);
        return img_fail(err, errlen, "PNG: corrupt or truncated image data (%s)", msg);
    }
    png_image_free(&image);
    *out = (struct img_info){"png", w, h};
    return true;
}

/* ---- JPEG ---- */

/* libjpeg's default error handler calls exit(); this one jumps back to img_jpeg with the message. It
 * also turns warnings into errors: libjpeg only warns about a truncated file (and pads it with grey), but
 * for an upload that is damage. */
struct img_jpeg_err {
    struct jpeg_error_mgr mgr;
    struct jpeg_progress_mgr progress;
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
    unsigned char *row; /* owned here so the longjmp path frees it */
};

static void img_jpeg_error_exit(j_common_ptr cinfo)
{
    struct img_jpeg_err *e = (struct img_jpeg_err *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, e->msg);
    longjmp(e->jump, 1);
}

static void img_jpeg_emit(j_common_ptr cinfo, int level)
{
    if (level < 0) img_jpeg_error_exit(cinfo); /* -1 is a warning; ≥ 0 are trace messages */
}

static void img_jpeg_progress(j_common_ptr cinfo)
{
    struct img_jpeg_err *e = (struct img_jpeg_err *)cinfo->err;
    j_decompress_ptr d = (j_decompress_ptr)cinfo;
    if (cinfo->is_decompressor && d->input_scan_number > IMG_JPEG_MAX_SCANS) {
        snprintf(e->msg, sizeof e->msg, "more than %d progressive scans", IMG_JPEG_MAX_SCANS);
        longjmp(e->jump, 1);
    }
}

static bool img_jpeg(const unsigned char *bytes, size_t len, struct img_info *out, char *err, size_t errlen)
{
    if ((unsigned long)len != len) return img_fail(err, errlen, "JPEG: the file is too large");
    struct jpeg_decompress_struct cinfo;
    struct img_jpeg_err e;
    memset(&e, 0, sizeof e);
    cinfo.err = jpeg_std_error(&e.mgr);
    e.mgr.error_exit = img_jpeg_error_exit;
    e.mgr.emit_message = img_jpeg_emit;
    e.progress.progress_monitor = img_jpeg_progress;
    if (setjmp(e.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(e.row);
        return img_fail(err, errlen, "JPEG: corrupt or truncated (%s)", e.msg);
    }
    jpeg_create_decompress(&cinfo);
    cinfo.progress = &e.progress;
    cinfo.mem->max_memory_to_use = IMG_JPEG_MAX_MEMORY;
    jpeg_mem_src(&cinfo, bytes, (unsigned long)len);
    jpeg_read_header(&cinfo, TRUE);
    if (!img_check_size("JPEG", cinfo.image_width, cinfo.image_height, err, errlen)) {
        jpeg_destroy_decompress(&cinfo);
        return false;
    }
    jpeg_start_decompress(&cinfo);
    /* Rows are decoded into one reused buffer of rec_outbuf_height rows: validating needs every pixel
     * decoded, not kept, and this keeps a 100-megapixel JPEG at a few hundred KiB. */
    size_t stride = (size_t)cinfo.output_width * (size_t)cinfo.output_components; /* ≤ 20000 × 4 */
    size_t rows = cinfo.rec_outbuf_height > 0 ? (size_t)cinfo.rec_outbuf_height : 1;
    e.row = malloc(stride * rows);
    if (!e.row) {
        jpeg_destroy_decompress(&cinfo);
        return img_fail(err, errlen, "JPEG: out of memory");
    }
    JSAMPROW rowptr[16];
    if (rows > sizeof rowptr / sizeof *rowptr) rows = sizeof rowptr / sizeof *rowptr;
    for (size_t i = 0; i < rows; i++) rowptr[i] = e.row + i * stride;
    while (cinfo.output_scanline < cinfo.output_height) jpeg_read_scanlines(&cinfo, rowptr, (JDIMENSION)rows);
    jpeg_finish_decompress(&cinfo);
    *out = (struct img_info){"jpeg", cinfo.image_width, cinfo.image_height};
    jpeg_destroy_decompress(&cinfo);
    free(e.row);
    return true;
}

/* ---- WebP ---- */

static const char *img_webp_status(VP8StatusCode s)
{
    switch (s) {
    case VP8_STATUS_OUT_OF_MEMORY: return "out of memory";
    case VP8_STATUS_INVALID_PARAM: return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR: return "bitstream error";
    case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature";
    case VP8_STATUS_SUSPENDED: return "suspended";
    case VP8_STATUS_USER_ABORT: return "aborted";
    case VP8_STATUS_NOT_ENOUGH_DATA: return "not enough data (truncated)";
    default: return "error";
    }
}

/* WebP: the RIFF size must fit the buffer (a shorter file is truncated), the features give the
 * dimensions, and WebPDecodeRGBAInto decodes every pixel into our bounded buffer. Animations are refused
 * (the editors show one frame). */
static bool img_webp(const unsigned char *bytes, size_t len, struct img_info *out, char *err, size_t errlen)
{
    uint64_t riff = (uint64_t)img_le32(bytes + 4) + 8;
    if (riff > len)
        return img_fail(err, errlen, "WebP: the RIFF header says %" PRIu64 " bytes, only %zu present (truncated)", riff,
                        len);
    size_t n = (size_t)riff;
    WebPBitstreamFeatures feat;
    VP8StatusCode st = WebPGetFeatures(bytes, n, &feat);
    if (st != VP8_STATUS_OK) return img_fail(err, errlen, "WebP: invalid header (%s)", img_webp_status(st));
    if (feat.has_animation) return img_fail(err, errlen, "WebP: animated images are not supported");
    if (feat.width < 0 || feat.height < 0) return img_fail(err, errlen, "WebP: negative dimensions");
    if (!img_check_size("WebP", (uint64_t)feat.width, (uint64_t)feat.height, err, errlen)) return false;
    size_t stride = (size_t)feat.width * 4, size = stride * (size_t)feat.height; /* ≤ 4 × 10^8 */
    uint8_t *pixels = malloc(size);
    if (!pixels) return img_fail(err, errlen, "WebP: out of memory for %zu bytes of pixels", size);
    uint8_t *r = WebPDecodeRGBAInto(bytes, n, pixels, size, (int)stride);
    free(pixels);
    if (!r) return img_fail(err, errlen, "WebP: corrupt or truncated image data");
    *out = (struct img_info){"webp", (uint32_t)feat.width, (uint32_t)feat.height};
    return true;
}

/* ---- dispatch ---- */

bool img_inspect(const unsigned char *bytes, size_t len, struct img_info *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (err && errlen) err[0] = 0;
    if (!bytes || len == 0) return img_fail(err, errlen, "image: the file is empty");
    if (len >= 8 && !memcmp(bytes, "\x89PNG\r\n\x1a\n", 8)) return img_png(bytes, len, out, err, errlen);
    if (len >= 3 && !memcmp(bytes, "\xff\xd8\xff", 3)) return img_jpeg(bytes, len, out, err, errlen);
    if (len >= 12 && !memcmp(bytes, "RIFF", 4) && !memcmp(bytes + 8, "WEBP", 4))
        return img_webp(bytes, len, out, err, errlen);
    static const struct {
        const char *magic;
        size_t n;
        const char *name;
    } other[] = {
        {"GIF87a", 6, "GIF"}, {"GIF89a", 6, "GIF"}, {"BM", 2, "BMP"}, {"II*\0", 4, "TIFF"}, {"MM\0*", 4, "TIFF"},
        {"\0\0\0\x0cjP  ", 8, "JPEG 2000"}, {"8BPS", 4, "Photoshop"}, {"%PDF", 4, "PDF"},
    };
    for (size_t i = 0; i < sizeof other / sizeof *other; i++)
        if (len >= other[i].n && !memcmp(bytes, other[i].magic, other[i].n))
            return img_fail(err, errlen, "image: %s files are not supported (PNG, JPEG or WebP only)", other[i].name);
    if (len >= 12 && !memcmp(bytes + 4, "ftyp", 4))
        return img_fail(err, errlen, "image: HEIC/AVIF files are not supported (PNG, JPEG or WebP only)");
    return img_fail(err, errlen, "image: not a PNG, JPEG or WebP file (unrecognised magic bytes)");
}
