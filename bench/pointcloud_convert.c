/* bench/pointcloud_convert.c — point cloud conversion throughput (pc_parse + pc_encode, what
 * POST /api/v1/media does to every point cloud) next to a plain read of the same file.
 *
 * usage: pointcloud_convert [--reps N] [--min-seconds S] FILE...
 *
 * For each file, R repetitions (at least N, and more until S seconds have passed) of:
 *   read:    open, read the whole file into a malloc'd buffer, sum its bytes (8 at a time), close;
 *   convert: pc_parse (name hint = the file's base name, as the upload's ?name= would give) on the
 *            bytes already in memory, then pc_encode to FLPC, then free both.
 * Prints one table row per file (reps = conversions timed; best and median MB/s of input, 1 MB = 10^6 bytes) and a last
 * "RESULT file=… read_mbs=… convert_mbs=… ratio=…" line per file for scripts. The ratio is
 * median convert time / median read time: how many plain reads one conversion costs.
 *
 * Built by bench/pointcloud_convert: cc -O2 -Isrc bench/pointcloud_convert.c src/core/pointcloud.c -lm */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/pointcloud.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile uint64_t sink; /* keeps the checksum and sizes alive */

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) != 0) { fclose(f); return NULL; }
    long n = ftell(f);
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0) { fclose(f); return NULL; }
    unsigned char *buf = malloc(n ? (size_t)n : 1);
    if (!buf) { fclose(f); return NULL; }
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    if (got != (size_t)n) { free(buf); return NULL; }
    *len = (size_t)n;
    return buf;
}

static uint64_t checksum(const unsigned char *p, size_t n)
{
    uint64_t s = 0, w;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, p + i, 8);
        s += w;
    }
    for (; i < n; i++) s += p[i];
    return s;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define MAX_REPS 100000

int main(int argc, char **argv)
{
    int reps = 10;
    double min_seconds = 2.0;
    int first = 1;
    while (first < argc && argv[first][0] == '-') {
        if (!strcmp(argv[first], "--reps") && first + 1 < argc) {
            reps = atoi(argv[first + 1]);
            first += 2;
        } else if (!strcmp(argv[first], "--min-seconds") && first + 1 < argc) {
            min_seconds = atof(argv[first + 1]);
            first += 2;
        } else {
            fprintf(stderr, "usage: %s [--reps N] [--min-seconds S] FILE...\n", argv[0]);
            return 2;
        }
    }
    if (first >= argc || reps < 1 || reps > MAX_REPS) {
        fprintf(stderr, "usage: %s [--reps N (1-%d)] [--min-seconds S] FILE...\n", argv[0], MAX_REPS);
        return 2;
    }
    double *tr = malloc(sizeof(double) * MAX_REPS), *tc = malloc(sizeof(double) * MAX_REPS);
    if (!tr || !tc) return 1;

    printf("%-28s %10s %9s %5s %11s %11s %11s %11s %9s %10s\n", "file", "MB", "points", "reps", "read MB/s",
           "(best)", "conv MB/s", "(best)", "conv/read", "FLPC MB");
    int failed = 0;
    for (int fi = first; fi < argc; fi++) {
        const char *path = argv[fi];
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        size_t len = 0;
        unsigned char *bytes = read_file(path, &len); /* warms the page cache, kept for the conversion */
        if (!bytes) {
            fprintf(stderr, "pointcloud_convert: cannot read %s: %s\n", path, strerror(errno));
            failed = 1;
            continue;
        }
        /* reference: plain read + checksum */
        int nr = 0;
        double t0 = now_s();
        while (nr < MAX_REPS && (nr < reps || now_s() - t0 < min_seconds)) {
            double a = now_s();
            size_t l2 = 0;
            unsigned char *b = read_file(path, &l2);
            if (!b) { fprintf(stderr, "pointcloud_convert: read failed: %s\n", path); return 1; }
            sink += checksum(b, l2);
            free(b);
            tr[nr++] = now_s() - a;
        }
        /* conversion */
        int nc = 0;
        uint32_t points = 0;
        size_t flpc_len = 0;
        t0 = now_s();
        while (nc < MAX_REPS && (nc < reps || now_s() - t0 < min_seconds)) {
            double a = now_s();
            struct pc_cloud c;
            char err[256];
            if (!pc_parse(bytes, len, base, &c, err, sizeof err)) {
                fprintf(stderr, "pointcloud_convert: %s: %s\n", path, err);
                return 1;
            }
            unsigned char *out = NULL;
            size_t out_len = 0;
            if (!pc_encode(&c, &out, &out_len)) { fprintf(stderr, "pointcloud_convert: pc_encode failed\n"); return 1; }
            points = c.count;
            flpc_len = out_len;
            sink += out[out_len - 1];
            free(out);
            pc_free(&c);
            tc[nc++] = now_s() - a;
        }
        free(bytes);
        double mb = (double)len / 1e6;
        double best_r = tr[0], best_c = tc[0];
        for (int i = 1; i < nr; i++) if (tr[i] < best_r) best_r = tr[i];
        for (int i = 1; i < nc; i++) if (tc[i] < best_c) best_c = tc[i];
        double med_r = median(tr, nr), med_c = median(tc, nc);
        printf("%-28.28s %10.3f %9u %5d %11.1f %11.1f %11.1f %11.1f %9.1f %10.3f\n", base, mb, points,
               nc, mb / med_r, mb / best_r, mb / med_c, mb / best_c, med_c / med_r,
               (double)flpc_len / 1e6);
        printf("RESULT file=%s bytes=%zu points=%u read_reps=%d convert_reps=%d read_ms=%.3f convert_ms=%.3f "
               "read_mbs=%.1f convert_mbs=%.1f ratio=%.2f flpc_bytes=%zu\n",
               base, len, points, nr, nc, med_r * 1e3, med_c * 1e3, mb / med_r, mb / med_c, med_c / med_r, flpc_len);
        fflush(stdout);
    }
    free(tr);
    free(tc);
    return failed;
}
