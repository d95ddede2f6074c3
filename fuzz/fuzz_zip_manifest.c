/* libFuzzer harness for uploaded ZIP archives, through the real handlers: the input is the archive,
 * sent to POST /api/v1/media (manifest.json, or every file) or, when the first byte is odd, to the
 * KITTI task import (velodyne/, label_2/, image_2/ members) of the demo project. */
#include <stdint.h>
#include <string.h>

#include "fuzz/fuzz_routes.h"
#include "fuzz/fuzz_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Variant bits: role (requester), id 1 (the demo project), format 0 (zip) / 4 (kitti). */
    static const struct route media = {"POST", "/api/v1/media", NULL, ROLE_REQUESTER, 0};
    static const struct route tasks = {"POST", "/api/v1/projects/{id}/tasks", NULL, ROLE_REQUESTER, 0};
    if (size < 1) return 0;
    if (data[0] & 1)
        fz_route_send(&tasks, 4 << 5, data + 1, size - 1);
    else
        fz_route_send(&media, 0, data + 1, size - 1);
    return 0;
}
