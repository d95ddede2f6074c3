/* libFuzzer harness for the KITTI parsers: the first byte picks what the rest is, a velodyne .bin
 * point cloud (0), a nuScenes .pcd.bin (1), or a label_2 text file of a lidar_cuboids project (2). */
#include <stdint.h>
#include <stdlib.h>

#include "core/import_formats.h"
#include "fuzz/fuzz_kinds.h"
#include "fuzz/fuzz_pointcloud.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *p = fz_upload(data, size);
    if (!p) return 0;
    switch (data[0] % 3) {
    case 0: fz_cloud_round_trip(p, size - 1, "000001.bin"); break;
    case 1: fz_cloud_round_trip(p, size - 1, "sweep.pcd.bin"); break;
    default: {
        struct fz_check c = {.kind = KIND_LIDAR_CUBOIDS, .schema = fz_schema(KIND_LIDAR_CUBOIDS)};
        struct imp_options o = fz_imp_options(KIND_LIDAR_CUBOIDS, size);
        struct imp_report *r = malloc(sizeof *r);
        if (!r) break;
        /* The server fills data in (the frame's point cloud) before the check; so does this. */
        long n = imp_kitti("000001", (const char *)p, size - 1, &o, fz_kitti_line, &c, r);
        fz_report_check(n, r, &c);
        free(r);
    }
    }
    free(p);
    return 0;
}
