/* Streaming ZIP writer (see zipstream.h): local header, data, data descriptor per member, then the
 * central directory built from the entries remembered in memory. */
#include "util/zipstream.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

struct zipw_entry {
    char *name;
    uint32_t crc, size, offset;
};

struct zipw {
    zipw_sink_fn sink;
    void *ctx;
    uint16_t dos_time, dos_date;
    uint64_t offset;
    struct zipw_entry *entries;
    size_t n, cap;
    uint32_t *slots;   /* open-addressed name index: entry index + 1, 0 = empty */
    size_t nslots;
    int open, finished;
    uint32_t crc;
    uint64_t size;
    char err[160];
};

static int fail(zipw *z, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(zipw *z, const char *fmt, ...)
{
    if (!z->err[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(z->err, sizeof z->err, fmt, ap);
        va_end(ap);
    }
    return -1;
}

zipw *zipw_new(zipw_sink_fn sink, void *ctx, int64_t mtime_unix)
{
    zipw *z = calloc(1, sizeof *z);
    if (!z) return NULL;
    z->sink = sink;
    z->ctx = ctx;
    z->dos_date = (0 << 9) | (1 << 5) | 1; /* 1980-01-01 00:00:00 */
    time_t t = (time_t)mtime_unix;
    struct tm tm;
    if (mtime_unix >= 315532800 && gmtime_r(&t, &tm) && tm.tm_year >= 80 && tm.tm_year < 80 + 127) {
        z->dos_date = (uint16_t)(((tm.tm_year - 80) << 9) | ((tm.tm_mon + 1) << 5) | tm.tm_mday);
        z->dos_time = (uint16_t)((tm.tm_hour << 11) | (tm.tm_min << 5) | (tm.tm_sec / 2));
    }
    return z;
}

void zipw_free(zipw *z)
{
    if (!z) return;
    for (size_t i = 0; i < z->n; i++) free(z->entries[i].name);
    free(z->entries);
    free(z->slots);
    free(z);
}

const char *zipw_error(const zipw *z) { return z->err; }
uint64_t zipw_offset(const zipw *z) { return z->offset; }

static int emit(zipw *z, const void *p, size_t n)
{
    if (z->err[0]) return -1;
    if (n > ZIPW_MAX_BYTES - z->offset) return fail(z, "the archive would exceed 4 GiB - 1 bytes (no ZIP64)");
    if (n && z->sink(z->ctx, p, n)) return fail(z, "the output failed");
    z->offset += n;
    return 0;
}

static void le16(unsigned char *p, uint32_t v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); }
static void le32(unsigned char *p, uint32_t v) { le16(p, v & 0xFFFF); le16(p + 2, v >> 16); }
static void le64(unsigned char *p, uint64_t v) { le32(p, (uint32_t)v); le32(p + 4, (uint32_t)(v >> 32)); }

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

int zipw_has(const zipw *z, const char *name)
{
    if (!z->nslots) return 0;
    for (size_t i = name_hash(name) & (z->nslots - 1);; i = (i + 1) & (z->nslots - 1)) {
        if (!z->slots[i]) return 0;
        if (!strcmp(z->entries[z->slots[i] - 1].name, name)) return 1;
    }
}

/* Keeps the index at most half full. */
static int index_add(zipw *z, size_t entry)
{
    if ((z->n + 1) * 2 > z->nslots) {
        size_t ns = z->nslots ? z->nslots * 2 : 64;
        uint32_t *s = calloc(ns, sizeof *s);
        if (!s) return -1;
        for (size_t e = 0; e < z->n; e++) {
            size_t i = name_hash(z->entries[e].name) & (ns - 1);
            while (s[i]) i = (i + 1) & (ns - 1);
            s[i] = (uint32_t)(e + 1);
        }
        free(z->slots);
        z->slots = s;
        z->nslots = ns;
    }
    size_t i = name_hash(z->entries[entry].name) & (z->nslots - 1);
    while (z->slots[i]) i = (i + 1) & (z->nslots - 1);
    z->slots[i] = (uint32_t)(entry + 1);
    return 0;
}

static int name_ok(const char *name)
{
    size_t len = strlen(name);
    if (!len || len > ZIPW_MAX_NAME || name[0] == '/' || strchr(name, '\\')) return 0;
    for (const char *p = name; (p = strstr(p, "..")); p += 2)
        if ((p == name || p[-1] == '/') && (p[2] == '\0' || p[2] == '/')) return 0;
    return 1;
}

#define FLAGS (0x0008 | 0x0800) /* sizes in a data descriptor; UTF-8 names */

int zipw_begin_file(zipw *z, const char *name)
{
    if (z->finished) return fail(z, "the archive is already finished");
    if (z->open && zipw_end_file(z)) return -1;
    if (z->err[0]) return -1;
    if (!name_ok(name)) return fail(z, "bad member name \"%.80s\"", name);
    if (zipw_has(z, name)) return fail(z, "duplicate member name \"%.80s\"", name);
    if (z->n >= ZIPW_MAX_ENTRIES) return fail(z, "more than %u members", ZIPW_MAX_ENTRIES);
    if (z->n == z->cap) {
        size_t cap = z->cap ? z->cap * 2 : 64;
        struct zipw_entry *e = realloc(z->entries, cap * sizeof *e);
        if (!e) return fail(z, "out of memory");
        z->entries = e;
        z->cap = cap;
    }
    size_t len = strlen(name);
    struct zipw_entry *e = &z->entries[z->n];
    e->name = malloc(len + 1);
    if (!e->name) return fail(z, "out of memory");
    memcpy(e->name, name, len + 1);
    e->offset = (uint32_t)z->offset;
    e->crc = e->size = 0;
    if (index_add(z, z->n)) {
        free(e->name);
        return fail(z, "out of memory");
    }
    z->n++;
    unsigned char h[30];
    le32(h, 0x04034b50);
    le16(h + 4, 20);
    le16(h + 6, FLAGS);
    le16(h + 8, 0); /* stored */
    le16(h + 10, z->dos_time);
    le16(h + 12, z->dos_date);
    le32(h + 14, 0); /* crc and sizes follow in the data descriptor */
    le32(h + 18, 0);
    le32(h + 22, 0);
    le16(h + 26, (uint32_t)len);
    le16(h + 28, 0);
    if (emit(z, h, sizeof h) || emit(z, name, len)) return -1;
    z->open = 1;
    z->crc = (uint32_t)crc32(0L, Z_NULL, 0);
    z->size = 0;
    return 0;
}

int zipw_write(zipw *z, const void *p, size_t n)
{
    if (!z->open) return fail(z, "no member is open");
    if (n > ZIPW_MAX_BYTES - z->size) return fail(z, "a member would exceed 4 GiB - 1 bytes (no ZIP64)");
    if (emit(z, p, n)) return -1;
    const unsigned char *b = p;
    for (size_t done = 0; done < n;) { /* crc32 takes a uInt length */
        uInt chunk = (uInt)(n - done > 0x40000000u ? 0x40000000u : n - done);
        z->crc = (uint32_t)crc32(z->crc, b + done, chunk);
        done += chunk;
    }
    z->size += n;
    return 0;
}

int zipw_end_file(zipw *z)
{
    if (!z->open) return fail(z, "no member is open");
    z->open = 0;
    struct zipw_entry *e = &z->entries[z->n - 1];
    e->crc = z->crc;
    e->size = (uint32_t)z->size;
    unsigned char d[16];
    le32(d, 0x08074b50);
    le32(d + 4, e->crc);
    le32(d + 8, e->size);
    le32(d + 12, e->size);
    return emit(z, d, sizeof d);
}

int zipw_finish(zipw *z)
{
    if (z->finished) return fail(z, "the archive is already finished");
    if (z->open && zipw_end_file(z)) return -1;
    if (z->err[0]) return -1;
    z->finished = 1;
    uint64_t cd_start = z->offset;
    for (size_t i = 0; i < z->n; i++) {
        const struct zipw_entry *e = &z->entries[i];
        size_t len = strlen(e->name);
        unsigned char c[46];
        le32(c, 0x02014b50);
        le16(c + 4, (3 << 8) | 20); /* made by Unix, spec 2.0 */
        le16(c + 6, 20);
        le16(c + 8, FLAGS);
        le16(c + 10, 0);
        le16(c + 12, z->dos_time);
        le16(c + 14, z->dos_date);
        le32(c + 16, e->crc);
        le32(c + 20, e->size);
        le32(c + 24, e->size);
        le16(c + 28, (uint32_t)len);
        le16(c + 30, 0);
        le16(c + 32, 0);
        le16(c + 34, 0);
        le16(c + 36, 0);
        le32(c + 38, 0100644u << 16); /* regular file, rw-r--r-- */
        le32(c + 42, e->offset);
        if (emit(z, c, sizeof c) || emit(z, e->name, len)) return -1;
    }
    uint64_t cd_size = z->offset - cd_start;
    int zip64 = z->n > 0xFFFF;
    if (zip64) {
        unsigned char r[56 + 20];
        uint64_t rec = z->offset;
        le32(r, 0x06064b50);
        le64(r + 4, 44); /* size of the rest of the record */
        le16(r + 12, (3 << 8) | 45);
        le16(r + 14, 45);
        le32(r + 16, 0);
        le32(r + 20, 0);
        le64(r + 24, z->n);
        le64(r + 32, z->n);
        le64(r + 40, cd_size);
        le64(r + 48, cd_start);
        le32(r + 56, 0x07064b50); /* locator */
        le32(r + 60, 0);
        le64(r + 64, rec);
        le32(r + 72, 1);
        if (emit(z, r, sizeof r)) return -1;
    }
    unsigned char eocd[22];
    uint32_t count = zip64 ? 0xFFFF : (uint32_t)z->n;
    le32(eocd, 0x06054b50);
    le16(eocd + 4, 0);
    le16(eocd + 6, 0);
    le16(eocd + 8, count);
    le16(eocd + 10, count);
    le32(eocd + 12, (uint32_t)cd_size);
    le32(eocd + 16, (uint32_t)cd_start);
    le16(eocd + 20, 0);
    return emit(z, eocd, sizeof eocd);
}
