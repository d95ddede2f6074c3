/* The point cloud round trip both point cloud harnesses run (fuzz_pcd.c, fuzz_kitti.c). */
#ifndef FL_FUZZ_POINTCLOUD_H
#define FL_FUZZ_POINTCLOUD_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pointcloud.h"

/* Parses p (an exact-size copy) with the hint; a cloud it accepts must hold the promised invariants,
 * encode to FLPC and decode back to the same points. Aborts when any of that breaks. */
static inline void fz_cloud_round_trip(const unsigned char *p, size_t n, const char *hint)
{
    struct pc_cloud c;
    char err[256];
    if (!pc_parse(p, n, hint, &c, err, sizeof err)) {
        if (!memchr(err, '\0', sizeof err) || !err[0]) abort(); /* a failure says why */
        return;
    }
    if (c.count > PC_MAX_POINTS || (c.count && (!c.xyz || !c.intensity))) abort();
    for (size_t i = 0; i < 3 * (size_t)c.count; i++)
        if (!isfinite(c.xyz[i]) || c.xyz[i] < c.min[i % 3] || c.xyz[i] > c.max[i % 3]) {
            fprintf(stderr, "fuzz: point value %zu (%g) is not finite or outside the bounds\n", i, c.xyz[i]);
            abort();
        }
    unsigned char *flpc = NULL;
    size_t len = 0;
    if (!pc_encode(&c, &flpc, &len)) abort();
    struct pc_cloud back;
    if (!pc_decode(flpc, len, &back, err, sizeof err)) {
        fprintf(stderr, "fuzz: a parsed cloud does not decode from its own FLPC: %s\n", err);
        abort();
    }
    if (back.count != c.count || (c.count && memcmp(back.xyz, c.xyz, 3 * sizeof(float) * c.count)) ||
        back.has_intensity != c.has_intensity)
        abort();
    pc_free(&back);
    free(flpc);
    pc_free(&c);
}

#endif
