/* libFuzzer harness for the PCD v0.7 parser (ascii, binary, binary_compressed): the first byte
 * picks the file name hint (none or "cloud.pcd"), the rest is the upload. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz/fuzz_kinds.h"
#include "fuzz/fuzz_pointcloud.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *p = fz_upload(data, size);
    if (!p) return 0;
    fz_cloud_round_trip(p, size - 1, data[0] & 1 ? "cloud.pcd" : NULL);
    free(p);
    return 0;
}
