/* libFuzzer harness for the PCD v0.7 parser (ascii, binary, binary_compressed): the first byte
 * picks the file name hint (none or "cloud.pcd"), the rest is the upload. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_pointcloud.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    unsigned char *p = malloc(size - 1 ? size - 1 : 1);
    if (!p) return 0;
    memcpy(p, data + 1, size - 1);
    fz_cloud_round_trip(p, size - 1, data[0] & 1 ? "cloud.pcd" : NULL);
    free(p);
    return 0;
}
