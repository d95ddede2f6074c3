/* Unit tests for the streaming ZIP writer (util/zipstream.h): archives read back with libzip and,
 * when installed, checked with `unzip -t`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zip.h>

#include "util/buf.h"
#include "util/zipstream.h"

static int to_buf(void *ctx, const void *p, size_t n) { return buf_add(ctx, p, n); }

/* Opens the archive in b with libzip (the buffer stays owned by b). */
static zip_t *open_mem(buf *b)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(b->data, b->len, 0, &ze);
    assert_non_null(src);
    zip_t *za = zip_open_from_source(src, ZIP_CHECKCONS | ZIP_RDONLY, &ze);
    if (!za) {
        fprintf(stderr, "libzip: %s\n", zip_error_strerror(&ze));
        zip_source_free(src);
    }
    zip_error_fini(&ze);
    return za;
}

static void assert_member(zip_t *za, zip_int64_t i, const char *name, const char *content, size_t len)
{
    assert_string_equal(zip_get_name(za, (zip_uint64_t)i, 0), name);
    zip_stat_t st;
    assert_int_equal(zip_stat_index(za, (zip_uint64_t)i, 0, &st), 0);
    assert_int_equal(st.size, len);
    zip_file_t *f = zip_fopen_index(za, (zip_uint64_t)i, 0);
    assert_non_null(f);
    char *got = malloc(len + 1);
    assert_non_null(got);
    assert_int_equal(zip_fread(f, got, len + 1), (zip_int64_t)len);
    assert_memory_equal(got, content, len);
    free(got);
    zip_fclose(f);
}

/* Runs `unzip -t` on the archive when the command exists. */
static void unzip_test(const buf *b)
{
    if (access("/usr/bin/unzip", X_OK)) return;
    char path[] = "/tmp/zipw-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b->data, b->len), (ssize_t)b->len);
    close(fd);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "/usr/bin/unzip -tq %s >/dev/null", path);
    int rc = system(cmd);
    unlink(path);
    assert_int_equal(rc, 0);
}

static void test_zipw_roundtrip(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 1 << 24);
    zipw *z = zipw_new(to_buf, &b, 1700000000);
    assert_non_null(z);
    assert_int_equal(zipw_begin_file(z, "classes.txt"), 0);
    assert_int_equal(zipw_write(z, "car\nperson\n", 11), 0);
    assert_int_equal(zipw_end_file(z), 0);
    assert_int_equal(zipw_begin_file(z, "labels/empty.txt"), 0); /* empty member */
    assert_int_equal(zipw_begin_file(z, "labels/caf\xc3\xa9.txt"), 0); /* begin ends the open member */
    static char big[200000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (char)(i * 7 + i / 251);
    for (size_t i = 0; i < sizeof big; i += 10000) assert_int_equal(zipw_write(z, big + i, 10000), 0);
    assert_true(zipw_has(z, "classes.txt"));
    assert_false(zipw_has(z, "labels/other.txt"));
    assert_int_equal(zipw_finish(z), 0);
    assert_string_equal(zipw_error(z), "");
    assert_int_equal(zipw_offset(z), b.len);
    zipw_free(z);

    zip_t *za = open_mem(&b);
    assert_non_null(za);
    assert_int_equal(zip_get_num_entries(za, 0), 3);
    assert_member(za, 0, "classes.txt", "car\nperson\n", 11);
    assert_member(za, 1, "labels/empty.txt", "", 0);
    assert_member(za, 2, "labels/caf\xc3\xa9.txt", big, sizeof big);
    zip_close(za);
    unzip_test(&b);
    buf_free(&b);
}

static void test_zipw_empty_archive(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 1024);
    zipw *z = zipw_new(to_buf, &b, 0);
    assert_int_equal(zipw_finish(z), 0);
    assert_int_equal(b.len, 22); /* just the end record */
    assert_int_equal(zipw_finish(z), -1); /* finished twice */
    zipw_free(z);
    zip_t *za = open_mem(&b);
    assert_non_null(za);
    assert_int_equal(zip_get_num_entries(za, 0), 0);
    zip_close(za);
    buf_free(&b);
}

static void test_zipw_bad_names(void **state)
{
    (void)state;
    static const char *const bad[] = {"", "/etc/passwd", "../x", "a/../b", "a/..", "a\\b", NULL};
    for (const char *const *n = bad; *n; n++) {
        buf b;
        buf_init(&b, 1024);
        zipw *z = zipw_new(to_buf, &b, 0);
        assert_int_equal(zipw_begin_file(z, *n), -1);
        assert_non_null(strstr(zipw_error(z), "bad member name"));
        assert_int_equal(zipw_begin_file(z, "ok.txt"), -1); /* the failure is sticky */
        zipw_free(z);
        buf_free(&b);
    }
    buf b;
    buf_init(&b, 1024);
    zipw *z = zipw_new(to_buf, &b, 0);
    assert_int_equal(zipw_begin_file(z, "a..b/..c"), 0); /* dots inside names are fine */
    assert_int_equal(zipw_begin_file(z, "x"), 0);
    assert_int_equal(zipw_begin_file(z, "x"), -1);
    assert_non_null(strstr(zipw_error(z), "duplicate"));
    assert_int_equal(zipw_write(z, "a", 1), -1);
    zipw_free(z);
    buf_free(&b);
}

static int failing_sink(void *ctx, const void *p, size_t n)
{
    (void)p;
    size_t *left = ctx;
    if (n > *left) return -1;
    *left -= n;
    return 0;
}

static void test_zipw_sink_failure(void **state)
{
    (void)state;
    size_t left = 40;
    zipw *z = zipw_new(failing_sink, &left, 0);
    assert_int_equal(zipw_begin_file(z, "a.txt"), 0); /* 35 bytes */
    assert_int_equal(zipw_write(z, "0123456789", 10), -1);
    assert_string_equal(zipw_error(z), "the output failed");
    assert_int_equal(zipw_finish(z), -1);
    zipw_free(z);
    left = 0;
    z = zipw_new(failing_sink, &left, 0);
    assert_int_equal(zipw_write(z, "x", 1), -1); /* nothing open */
    assert_string_equal(zipw_error(z), "no member is open");
    zipw_free(z);
}

/* Counts bytes only: checks the 4 GiB cap without building 4 GiB. */
static int count_sink(void *ctx, const void *p, size_t n)
{
    (void)p;
    *(uint64_t *)ctx += n;
    return 0;
}

static void test_zipw_size_cap(void **state)
{
    (void)state;
    uint64_t total = 0;
    zipw *z = zipw_new(count_sink, &total, 0);
    assert_int_equal(zipw_begin_file(z, "huge.bin"), 0);
    size_t chunk = 1u << 26;
    char *zeros = calloc(1, chunk);
    assert_non_null(zeros);
    int rc = 0;
    uint64_t written = 0;
    while (!(rc = zipw_write(z, zeros, chunk))) written += chunk;
    free(zeros);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(zipw_error(z), "4 GiB"));
    assert_true(written <= ZIPW_MAX_BYTES && written + chunk > ZIPW_MAX_BYTES - 100);
    zipw_free(z);
}

static void test_zipw_many_entries_zip64_end(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 1 << 26);
    zipw *z = zipw_new(to_buf, &b, 1700000000);
    char name[32];
    for (int i = 0; i < 70000; i++) {
        snprintf(name, sizeof name, "f%d", i);
        assert_int_equal(zipw_begin_file(z, name), 0);
        assert_int_equal(zipw_write(z, name, strlen(name)), 0);
    }
    assert_int_equal(zipw_finish(z), 0);
    zipw_free(z);
    zip_t *za = open_mem(&b);
    assert_non_null(za);
    assert_int_equal(zip_get_num_entries(za, 0), 70000);
    assert_member(za, 69999, "f69999", "f69999", 6);
    zip_close(za);
    unzip_test(&b);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zipw_roundtrip),
        cmocka_unit_test(test_zipw_empty_archive),
        cmocka_unit_test(test_zipw_bad_names),
        cmocka_unit_test(test_zipw_sink_failure),
        cmocka_unit_test(test_zipw_size_cap),
        cmocka_unit_test(test_zipw_many_entries_zip64_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
