/* A streaming ZIP writer: stored (uncompressed) members with data descriptors, written front to back
 * through a callback, so an archive of any size needs neither seeking nor the archive in memory. */
#ifndef FL_ZIPSTREAM_H
#define FL_ZIPSTREAM_H
#include <stddef.h>
#include <stdint.h>

/* Receives the archive's bytes in order; returns 0, or non-zero to fail the archive. */
typedef int (*zipw_sink_fn)(void *ctx, const void *p, size_t n);

#define ZIPW_MAX_ENTRIES 1000000u   /* central directory entries kept in memory */
#define ZIPW_MAX_NAME 1024u         /* bytes in a member name */
#define ZIPW_MAX_BYTES 0xFFFFFFFFu  /* a member and the whole archive (no ZIP64 offsets) */

typedef struct zipw zipw;

/* A writer stamping every member with mtime_unix (seconds, UTC; before 1980 means 1980-01-01).
 * NULL when out of memory. */
zipw *zipw_new(zipw_sink_fn sink, void *ctx, int64_t mtime_unix);
void zipw_free(zipw *z);

/* Each returns 0, or -1 with zipw_error() set; after a failure every later call fails too.
 * Names are UTF-8 paths with '/' separators: not empty, not absolute, no "..", no '\\', at most
 * ZIPW_MAX_NAME bytes, and unique in the archive. Starting a member ends the open one. */
int zipw_begin_file(zipw *z, const char *name);
int zipw_write(zipw *z, const void *p, size_t n);
int zipw_end_file(zipw *z);
/* Ends the open member and writes the central directory. More than 65535 members get a ZIP64 end
 * record (the only ZIP64 structure used); offsets and sizes still stop at ZIPW_MAX_BYTES. */
int zipw_finish(zipw *z);

/* True when a member of that name was already begun (exporters pick another name). */
int zipw_has(const zipw *z, const char *name);
/* Why the writer failed, or "" while it has not. */
const char *zipw_error(const zipw *z);
/* Bytes handed to the sink so far. */
uint64_t zipw_offset(const zipw *z);

#endif
