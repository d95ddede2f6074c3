/* libFuzzer harness for the image checks (img_inspect: PNG, JPEG, WebP header limits, then a full
 * decode); the input is the upload. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/image_info.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *p = malloc(size ? size : 1);
    if (!p) return 0;
    memcpy(p, data, size);
    struct img_info info;
    char err[256];
    if (img_inspect(p, size, &info, err, sizeof err)) {
        /* What it accepts is within the limits it promises. */
        if (!info.width || !info.height || info.width > IMG_MAX_SIDE || info.height > IMG_MAX_SIDE ||
            (unsigned long long)info.width * info.height > IMG_MAX_PIXELS || !info.format)
            abort();
    } else if (!memchr(err, '\0', sizeof err) || !err[0]) {
        abort();
    }
    free(p);
    return 0;
}
