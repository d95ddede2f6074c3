/* Validation of uploaded images (PNG, JPEG, WebP): the header is checked against size limits, then the
 * whole file is decoded by the real decoder to prove it is intact; pure, on memory buffers, no I/O. */
#ifndef FL_IMAGE_INFO_H
#define FL_IMAGE_INFO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Larger images are refused before any pixel memory is allocated. */
#define IMG_MAX_SIDE 20000u
#define IMG_MAX_PIXELS 100000000ull /* 100 megapixels */

struct img_info {
    const char *format; /* "png", "jpeg" or "webp" (static strings) */
    uint32_t width, height;
};

/* Identifies the image by its magic bytes, reads its dimensions from the header, rejects 0 or more than
 * IMG_MAX_SIDE per side or more than IMG_MAX_PIXELS, then decodes every pixel (into a scratch buffer
 * freed before returning) so a truncated or corrupt file is refused at upload rather than in a worker's
 * browser. On failure err says what is wrong, e.g. "PNG: the header claims 100000x100000 pixels; the
 * limit is 20000 per side". Decoder warnings (such as libjpeg's "premature end of data") count as errors. */
bool img_inspect(const unsigned char *bytes, size_t len, struct img_info *out, char *err, size_t errlen);

#endif
