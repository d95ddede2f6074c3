/* Checking uploaded files, shared by media upload and the KITTI task import. */
#ifndef FL_API_MEDIA_H
#define FL_API_MEDIA_H
#include <stdbool.h>
#include <stddef.h>
#include <zip.h>

#include "store/store.h"
#include "util/arena.h"

#define ZIP_MAX_ENTRIES 10000
#define ZIP_MAX_FILE ((zip_uint64_t)128 << 20)
#define ZIP_MAX_TOTAL ((zip_uint64_t)1 << 30)

/* One uploaded file: a request body, or a member of an uploaded ZIP. */
struct upload_item {
    const char *path; /* the file name (a hint for point cloud formats), or the member's path */
    const unsigned char *bytes;
    size_t len;
    unsigned char *owned; /* bytes read out of a ZIP (the caller frees) */
    char id[65];
    struct media_info m;
    unsigned char *browser; /* point clouds: the FLPC layout (the caller frees) */
    size_t browser_len;
    bool existed;
};

/* Hashes it->bytes and proves the file is what it claims with a real decoder (images) or our strict
 * parsers (point clouds); fills it->id and it->m (strings in a). false with err on a bad file. */
bool media_inspect_item(struct upload_item *it, const char *content_type, arena *a, char *err, size_t errlen);
/* Reads one ZIP member whole (malloc'd), refusing more bytes than it declared and bad CRCs. */
unsigned char *media_zip_read(zip_t *za, zip_uint64_t index, zip_uint64_t size, char *err, size_t errlen);

#endif
