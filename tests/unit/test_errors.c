/* Unit tests for the error table (http/errors.h) and its generated reference, docs/errors.md. */
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

#include "http/errors.h"

static void test_table_entries(void **state)
{
    (void)state;
    assert_true(ERR__COUNT > ERR_NONE + 1);
    for (int e = ERR_NONE + 1; e < ERR__COUNT; e++) {
        const struct err_info *i = err_info((err_id)e);
        assert_non_null(i);
        assert_non_null(i->name);
        assert_non_null(i->title);
        if (!i->name[0] || !i->title[0]) fail_msg("error %d has an empty name or title", e);
        if (i->status < 400 || i->status > 599) fail_msg("%s: status %d is not 4xx/5xx", i->name, i->status);
        if (i->code <= 0) fail_msg("%s: code %d", i->name, i->code);
        /* names are C identifiers in upper case (they appear in the API as `name`) */
        for (const char *p = i->name; *p; p++)
            if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
                fail_msg("%s: bad character in name", i->name);
        for (int f = ERR_NONE + 1; f < e; f++) {
            const struct err_info *j = err_info((err_id)f);
            if (j->code == i->code) fail_msg("%s and %s share code %d", j->name, i->name, i->code);
            if (!strcmp(j->name, i->name)) fail_msg("name %s appears twice", i->name);
        }
    }
}

static void test_known_entries(void **state)
{
    (void)state;
    const struct err_info *i = err_info(ERR_NOT_FOUND);
    assert_string_equal(i->name, "NOT_FOUND");
    assert_int_equal(i->status, 404);
    i = err_info(ERR_METHOD_NOT_ALLOWED);
    assert_string_equal(i->name, "METHOD_NOT_ALLOWED");
    assert_int_equal(i->status, 405);
    i = err_info(ERR_BAD_JSON);
    assert_int_equal(i->status, 400);
    i = err_info(ERR_INTERNAL);
    assert_string_equal(i->name, "INTERNAL");
    assert_int_equal(i->status, 500);
}

static void test_out_of_range_maps_to_internal(void **state)
{
    (void)state;
    const struct err_info *internal = err_info(ERR_INTERNAL);
    assert_ptr_equal(err_info(ERR_NONE), internal);
    assert_ptr_equal(err_info(ERR__COUNT), internal);
    assert_ptr_equal(err_info((err_id)(ERR__COUNT + 100)), internal);
}

/* Reads a whole file; NULL when it cannot be opened. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *data = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *d = realloc(data, cap);
            assert_non_null(d);
            data = d;
        }
        size_t r = fread(data + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0) break;
    }
    fclose(f);
    data[n] = '\0';
    *len = n;
    return data;
}

/* The repository root: $MESON_SOURCE_ROOT, else the nearest ancestor of the cwd holding docs/errors.md. */
static bool find_doc(char *out, size_t outlen)
{
    const char *root = getenv("MESON_SOURCE_ROOT");
    if (root && *root) {
        snprintf(out, outlen, "%s/docs/errors.md", root);
        if (access(out, R_OK) == 0) return true;
    }
    char dir[4096];
    if (!getcwd(dir, sizeof dir)) return false;
    for (;;) {
        snprintf(out, outlen, "%s/docs/errors.md", dir);
        if (access(out, R_OK) == 0) return true;
        char *slash = strrchr(dir, '/');
        if (!slash) return false;
        if (slash == dir) {
            if (dir[1] == '\0') return false;
            dir[1] = '\0';
        } else {
            *slash = '\0';
        }
    }
}

static void test_doc_matches(void **state)
{
    (void)state;
    char *gen = NULL;
    size_t gen_len = 0;
    FILE *mem = open_memstream(&gen, &gen_len);
    assert_non_null(mem);
    errors_write_doc(mem);
    assert_int_equal(fclose(mem), 0);

    /* every error appears in the generated text */
    for (int e = ERR_NONE + 1; e < ERR__COUNT; e++) {
        const struct err_info *i = err_info((err_id)e);
        char row[512];
        snprintf(row, sizeof row, "| %d | `%s` | %d | %s |\n", i->code, i->name, i->status, i->title);
        if (!strstr(gen, row)) fail_msg("generated doc lacks the row for %s", i->name);
    }

    char path[4200];
    if (!find_doc(path, sizeof path)) fail_msg("docs/errors.md not found (set MESON_SOURCE_ROOT)");
    size_t file_len = 0;
    char *file = read_file(path, &file_len);
    assert_non_null(file);
    if (file_len != gen_len || memcmp(file, gen, gen_len)) {
        size_t k = 0;
        while (k < file_len && k < gen_len && file[k] == gen[k]) k++;
        fail_msg("%s is stale: it differs from `fairlabel errors-doc` at byte %zu; regenerate it with "
                 "./build/fairlabel errors-doc > docs/errors.md",
                 path, k);
    }
    free(file);
    free(gen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_entries),
        cmocka_unit_test(test_known_entries),
        cmocka_unit_test(test_out_of_range_maps_to_internal),
        cmocka_unit_test(test_doc_matches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
