/* Point cloud parsing (PCD v0.7, KITTI velodyne .bin, nuScenes .pcd.bin) and the compact FLPC layout the
 * browser's lidar editor draws from; pure functions on memory buffers, no I/O. */
#ifndef FL_POINTCLOUD_H
#define FL_POINTCLOUD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Hostile-input limits: a cloud may hold at most PC_MAX_POINTS points, and the decoded point data
 * (POINTS × the PCD point size, or the decompressed size) may be at most PC_MAX_BYTES. */
#define PC_MAX_POINTS 10000000u
#define PC_MAX_BYTES ((size_t)512 << 20)

/* FLPC version 1, all little-endian, what GET /api/v1/media/{id}/points serves and
 * web/static/editors/lidar.js (parseFlpc) reads:
 *
 *   offset  size  field
 *        0     4  magic "FLPC"
 *        4     4  uint32 version = 1
 *        8     4  uint32 count (points)
 *       12     4  uint32 flags: bit 0 = intensity present; other bits are zero
 *       16    12  float32 min x, y, z  (0,0,0 when count = 0)
 *       28    12  float32 max x, y, z
 *       40     8  reserved, zero
 *       48  12×n  float32 x, y, z per point (interleaved, 4-byte aligned so the browser can view it in place)
 *   48+12n    n   uint8 intensity per point, only when flag bit 0 is set
 *
 * The total length is exactly 48 + 12n (+ n); coordinates are finite; every point lies within the
 * header's bounds, which are the exact minimum and maximum of the points. */
#define PC_FLPC_MAGIC "FLPC"
#define PC_FLPC_VERSION 1u
#define PC_FLPC_HEADER_BYTES 48u
#define PC_FLPC_HAS_INTENSITY 1u

struct pc_cloud {
    uint32_t count;
    float *xyz;         /* 3 × count floats: x, y, z of each point, all finite */
    uint8_t *intensity; /* count bytes: intensity scaled 0–255 over the cloud's own min..max; 0 when absent */
    float min[3], max[3];
    bool has_intensity;
};

/* Detects the format and parses it into out (released with pc_free, also zeroed on failure).
 * name_hint (the upload's file name, may be NULL) decides between the headerless formats: "*.pcd.bin" is
 * nuScenes (5 float32 per point: x, y, z, intensity, ring), "*.bin" is KITTI (4 float32: x, y, z,
 * reflectance). Otherwise a PCD header (or any text: it gets a PCD error) is parsed as PCD, and binary
 * content whose length is a non-zero multiple of 16 is read as KITTI. PCD data is checked against the
 * header's sizes before the point arrays are allocated. Points with a NaN coordinate are skipped (organized PCD
 * clouds mark missing returns that way); an infinite coordinate is an error. On failure err says what is
 * wrong in words, e.g. "PCD header: FIELDS has no z". */
bool pc_parse(const unsigned char *bytes, size_t len, const char *name_hint, struct pc_cloud *out, char *err,
              size_t errlen);

/* Frees what pc_parse or pc_decode allocated and zeroes the struct; safe on a zeroed struct. */
void pc_free(struct pc_cloud *c);

/* Encodes c in the FLPC layout above into a malloc'd *out (caller frees) of *len bytes. False when c is
 * inconsistent (too many points, missing arrays) or memory runs out. */
bool pc_encode(const struct pc_cloud *c, unsigned char **out, size_t *len);

/* Validates an FLPC buffer (magic, version, flags, exact length, reserved bytes, finite coordinates,
 * bounds that match the points) and reads it into out (released with pc_free). */
bool pc_decode(const unsigned char *bytes, size_t len, struct pc_cloud *out, char *err, size_t errlen);

#endif
