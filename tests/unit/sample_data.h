/* The real sample files of ../shared/data, read in place (KITTI and nuScenes are non-commercial: never
 * copied into the repository). Include after <cmocka.h>. A missing folder fails the test: these files
 * are the point of the tests that use them, so skipping would hide a broken setup. */
#ifndef FL_TEST_SAMPLE_DATA_H
#define FL_TEST_SAMPLE_DATA_H
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool sample_is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* $MESON_SOURCE_ROOT/../shared/data, else the first ../shared/data above the working directory. */
static const char *data_dir(void)
{
    static char path[4096];
    const char *root = getenv("MESON_SOURCE_ROOT");
    if (root && snprintf(path, sizeof path, "%s/../shared/data", root) < (int)sizeof path && sample_is_dir(path))
        return path;
    char cwd[2048];
    if (!getcwd(cwd, sizeof cwd)) fail_msg("getcwd failed");
    for (;;) {
        snprintf(path, sizeof path, "%s/../shared/data", cwd);
        if (sample_is_dir(path)) return path;
        char *slash = strrchr(cwd, '/');
        if (!slash || slash == cwd) break;
        *slash = 0;
    }
    fail_msg("../shared/data not found from MESON_SOURCE_ROOT or above %s: the sample files are missing", cwd);
    return NULL;
}

/* The whole file data_dir()/rel, malloc'd. */
static unsigned char *read_data(const char *rel, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", data_dir(), rel);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open sample %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    assert_true(n > 0);
    unsigned char *b = malloc((size_t)n);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* "subdir/<the one file ending in suffix>" (sample names may carry timestamps). */
static void sample_find(const char *subdir, const char *suffix, char *out, size_t n)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", data_dir(), subdir);
    DIR *d = opendir(dir);
    if (!d) fail_msg("cannot open %s", dir);
    struct dirent *e;
    size_t sl = strlen(suffix);
    out[0] = 0;
    while ((e = readdir(d)))
        if (strlen(e->d_name) > sl && !strcmp(e->d_name + strlen(e->d_name) - sl, suffix))
            snprintf(out, n, "%s/%s", subdir, e->d_name);
    closedir(d);
    if (!out[0]) fail_msg("no %s in %s", suffix, dir);
}

#endif
