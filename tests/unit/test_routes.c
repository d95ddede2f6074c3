/* Unit tests for the route table and route matching (http/routes.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "http/routes.h"

static const char *const known_methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};

struct found {
    const struct route *rt;
    int64_t id;
    const char *param;
    int known;
    char pbuf[256];
};

static const struct route *find(const char *method, const char *path, struct found *f)
{
    f->id = -12345;
    f->param = NULL;
    f->known = -1;
    f->rt = route_find(method, path, &f->id, &f->param, f->pbuf, sizeof f->pbuf, &f->known);
    return f->rt;
}

static bool starts_with(const char *s, const char *prefix) { return !strncmp(s, prefix, strlen(prefix)); }

static void test_table_sorted_no_duplicates(void **state)
{
    (void)state;
    assert_true(route_count > 0);
    for (size_t i = 1; i < route_count; i++) {
        const struct route *a = &route_table[i - 1], *b = &route_table[i];
        int c = strcmp(a->pattern, b->pattern);
        if (c == 0) c = strcmp(a->method, b->method);
        if (c >= 0)
            fail_msg("route_table out of order or duplicated at %zu: %s %s then %s %s", i, a->method, a->pattern,
                     b->method, b->pattern);
    }
    for (size_t i = 0; i < route_count; i++)
        for (size_t j = i + 1; j < route_count; j++)
            if (!strcmp(route_table[i].method, route_table[j].method) &&
                !strcmp(route_table[i].pattern, route_table[j].pattern))
                fail_msg("duplicate route %s %s", route_table[i].method, route_table[i].pattern);
}

static void test_table_entries_well_formed(void **state)
{
    (void)state;
    for (size_t i = 0; i < route_count; i++) {
        const struct route *rt = &route_table[i];
        assert_non_null(rt->method);
        assert_non_null(rt->pattern);
        assert_non_null(rt->handler);
        assert_int_equal(rt->pattern[0], '/');
        bool method_ok = false;
        for (size_t m = 0; m < sizeof known_methods / sizeof *known_methods; m++)
            method_ok |= !strcmp(rt->method, known_methods[m]);
        if (!method_ok) fail_msg("route %s %s: unknown method", rt->method, rt->pattern);
        /* role mask only uses defined role bits */
        assert_int_equal(rt->roles & ~(unsigned)ROLES_SIGNED_IN, 0);
        /* placeholders are {id}, {media_id} (one segment) or {path} (the rest, last) */
        for (const char *p = strchr(rt->pattern, '{'); p; p = strchr(p + 1, '{')) {
            if (strncmp(p, "{id}", 4) && strncmp(p, "{media_id}", 10) && strncmp(p, "{path}", 6))
                fail_msg("route %s %s: unknown placeholder", rt->method, rt->pattern);
            assert_int_equal(p[-1], '/');
            const char *end = strchr(p, '}');
            assert_true(end[1] == '\0' || (end[1] == '/' && strncmp(p, "{path}", 6)));
        }
    }
}

static void test_api_roles(void **state)
{
    (void)state;
    int n_api = 0, n_public = 0;
    /* signing in; the public registries of automated quality rules (FW-26) and of wage benchmarks with their
     * change history (FW-23); the payment provider's webhook, authenticated by its HMAC signature */
    static const char *const public_routes[][2] = {
        {"POST", "/api/v1/auth/login"},     {"POST", "/api/v1/auth/register"},
        {"POST", "/api/v1/escrow/webhook"}, {"GET", "/api/v1/quality-rules"},
        {"GET", "/api/v1/wage-benchmarks"}, {"GET", "/api/v1/wage-benchmarks/history"},
        /* the wage-table changes announced and not yet in force, applied or withdrawn (FW-23) */
        {"GET", "/api/v1/wage-changes"},
        /* the public region page: every country's state and history (FW-15) */
        {"GET", "/api/v1/regions"},         {"GET", "/api/v1/regions/history"},
        /* the login-free contact page (FW-17); the ticket routes check the ticket-scoped bearer themselves */
        {"POST", "/api/v1/contact"},        {"POST", "/api/v1/contact/verify"},
        {"GET", "/api/v1/contact/ticket"},  {"POST", "/api/v1/contact/ticket/messages"},
        {"GET", "/api/v1/contact/attachments/{id}"},
        /* the public transparency page: every automated rule and its change log (FW-26) */
        {"GET", "/api/v1/transparency"},
        /* the published risk-score rules (FW-25, FW-26) */
        {"GET", "/api/v1/risk/rules"},
        /* the emailed link of an email re-verification step-up (FW-25): the one-time token is the credential */
        {"POST", "/api/v1/email-verification/confirm"},
    };
    for (size_t i = 0; i < route_count; i++) {
        const struct route *rt = &route_table[i];
        if (!starts_with(rt->pattern, "/api/v1/")) continue;
        n_api++;
        bool is_public = false;
        for (size_t k = 0; k < sizeof public_routes / sizeof *public_routes; k++)
            if (!strcmp(rt->method, public_routes[k][0]) && !strcmp(rt->pattern, public_routes[k][1])) is_public = true;
        if (is_public) {
            n_public++;
            if (rt->roles != ROLES_PUBLIC) fail_msg("%s %s should be public", rt->method, rt->pattern);
        } else if (rt->roles == ROLES_PUBLIC) {
            fail_msg("%s %s has an empty role mask (public)", rt->method, rt->pattern);
        }
    }
    assert_true(n_api > 10);
    assert_int_equal(n_public, (int)(sizeof public_routes / sizeof *public_routes));
}

static void test_post_has_max_body(void **state)
{
    (void)state;
    int n_post = 0;
    for (size_t i = 0; i < route_count; i++) {
        const struct route *rt = &route_table[i];
        if (strcmp(rt->method, "POST")) continue;
        n_post++;
        if (rt->max_body == 0) fail_msg("POST %s has max_body 0", rt->pattern);
    }
    assert_true(n_post > 0);
}

static void test_every_route_is_found(void **state)
{
    (void)state;
    /* Each pattern, with its placeholders filled in, is found under its own method. */
    for (size_t i = 0; i < route_count; i++) {
        const struct route *rt = &route_table[i];
        char path[256] = "";
        size_t o = 0;
        for (const char *p = rt->pattern; *p;) {
            if (!strncmp(p, "{id}", 4)) {
                o += (size_t)snprintf(path + o, sizeof path - o, "77");
                p += 4;
            } else if (!strncmp(p, "{path}", 6)) {
                o += (size_t)snprintf(path + o, sizeof path - o, "x.js");
                p += 6;
            } else if (!strncmp(p, "{media_id}", 10)) {
                o += (size_t)snprintf(path + o, sizeof path - o, "x.js");
                p += 10;
            } else {
                path[o++] = *p++;
                path[o] = '\0';
            }
        }
        struct found f;
        if (find(rt->method, path, &f) != rt) fail_msg("%s %s not found as %s", rt->method, path, rt->pattern);
        if (strstr(rt->pattern, "{id}")) assert_int_equal(f.id, 77);
        if (strstr(rt->pattern, "{path}") || strstr(rt->pattern, "{media_id}")) assert_string_equal(f.param, "x.js");
    }
}

static void test_find_id(void **state)
{
    (void)state;
    struct found f;
    assert_non_null(find("POST", "/api/v1/projects/12/claim", &f));
    assert_string_equal(f.rt->method, "POST");
    assert_string_equal(f.rt->pattern, "/api/v1/projects/{id}/claim");
    assert_int_equal(f.id, 12);

    assert_non_null(find("GET", "/api/v1/projects/12", &f));
    assert_string_equal(f.rt->pattern, "/api/v1/projects/{id}");
    assert_int_equal(f.id, 12);

    assert_non_null(find("GET", "/api/v1/projects/0", &f));
    assert_int_equal(f.id, 0);

    assert_non_null(find("DELETE", "/api/v1/api-keys/987654321", &f));
    assert_string_equal(f.rt->pattern, "/api/v1/api-keys/{id}");
    assert_int_equal(f.id, 987654321);

    assert_non_null(find("POST", "/api/v1/assignments/5/submit", &f));
    assert_string_equal(f.rt->pattern, "/api/v1/assignments/{id}/submit");
    assert_int_equal(f.id, 5);

    /* 18 digits is the longest id accepted */
    assert_non_null(find("GET", "/api/v1/projects/123456789012345678", &f));
    assert_int_equal(f.id, 123456789012345678LL);
}

static void test_find_non_decimal_id(void **state)
{
    (void)state;
    struct found f;
    static const char *const bad[] = {
        "/api/v1/projects/abc",    "/api/v1/projects/12a",  "/api/v1/projects/-1",  "/api/v1/projects/+1",
        "/api/v1/projects/1.5",    "/api/v1/projects/0x10", "/api/v1/projects/ 1",
        "/api/v1/projects/1234567890123456789", /* 19 digits: would overflow int64 soon after */
        "/api/v1/projects/99999999999999999999999",
        "/api/v1/projects/abc/claim",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (find("GET", bad[i], &f)) fail_msg("GET %s matched %s", bad[i], f.rt->pattern);
        if (f.known != 0) fail_msg("GET %s: path_known %d, want 0", bad[i], f.known);
        if (find("POST", bad[i], &f)) fail_msg("POST %s matched %s", bad[i], f.rt->pattern);
        assert_int_equal(f.known, 0);
    }
}

static void test_find_unknown_paths(void **state)
{
    (void)state;
    struct found f;
    static const char *const unknown[] = {
        "",
        "/nope",
        "/api/v1",
        "/api/v1/",
        "/api/v1/projects/",    /* empty id */
        "/api/v1/projects//claim",
        "/api/v1/projects/12/", /* trailing slash */
        "/api/v1/projects/12/claim/",
        "/api/v1/projects/12/claimx",
        "/api/v1/projectsx",
        "/api/v1/PROJECTS",
        "/healthz/",
        "/static/",            /* {path} needs at least one character */
        "/static",
    };
    for (size_t i = 0; i < sizeof unknown / sizeof *unknown; i++) {
        for (size_t m = 0; m < sizeof known_methods / sizeof *known_methods; m++) {
            if (find(known_methods[m], unknown[i], &f))
                fail_msg("%s '%s' matched %s", known_methods[m], unknown[i], f.rt->pattern);
            if (f.known != 0) fail_msg("%s '%s': path_known %d, want 0", known_methods[m], unknown[i], f.known);
        }
    }
}

static void test_find_wrong_method(void **state)
{
    (void)state;
    struct found f;
    assert_null(find("DELETE", "/api/v1/projects", &f));
    assert_int_equal(f.known, 1);
    assert_null(find("PUT", "/api/v1/projects/3", &f));
    assert_int_equal(f.known, 1);
    assert_null(find("GET", "/api/v1/projects/3/claim", &f));
    assert_int_equal(f.known, 1);
    assert_null(find("GET", "/api/v1/auth/login", &f));
    assert_int_equal(f.known, 1);
    assert_null(find("POST", "/healthz", &f));
    assert_int_equal(f.known, 1);
    /* HEAD is GET without a body, never POST */
    assert_null(find("HEAD", "/api/v1/auth/login", &f));
    assert_int_equal(f.known, 1);
    /* methods are case-sensitive */
    assert_null(find("get", "/healthz", &f));
    assert_int_equal(f.known, 1);
}

static void test_find_head(void **state)
{
    (void)state;
    struct found f;
    assert_non_null(find("HEAD", "/api/v1/projects", &f));
    assert_string_equal(f.rt->method, "GET");
    assert_string_equal(f.rt->pattern, "/api/v1/projects");

    assert_non_null(find("HEAD", "/healthz", &f));
    assert_string_equal(f.rt->method, "GET");

    assert_non_null(find("HEAD", "/api/v1/projects/44", &f));
    assert_string_equal(f.rt->pattern, "/api/v1/projects/{id}");
    assert_int_equal(f.id, 44);

    assert_non_null(find("HEAD", "/static/app.css", &f));
    assert_string_equal(f.param, "app.css");

    /* every GET route answers HEAD */
    for (size_t i = 0; i < route_count; i++) {
        const struct route *rt = &route_table[i];
        if (strcmp(rt->method, "GET") || strchr(rt->pattern, '{')) continue;
        assert_ptr_equal(find("HEAD", rt->pattern, &f), rt);
    }
}

static void test_find_static_file(void **state)
{
    (void)state;
    struct found f;
    assert_non_null(find("GET", "/static/app.css", &f));
    assert_string_equal(f.rt->pattern, "/static/{path}");
    assert_non_null(f.param);
    assert_string_equal(f.param, "app.css");
    assert_ptr_equal(f.param, f.pbuf); /* copied into the caller's buffer */

    assert_non_null(find("GET", "/static/x", &f));
    assert_string_equal(f.param, "x");

    /* {path} takes the rest of the path, sub-folders included */
    assert_non_null(find("GET", "/static/editors/lidar.js", &f));
    assert_string_equal(f.param, "editors/lidar.js");

    assert_null(find("POST", "/static/app.css", &f));
    assert_int_equal(f.known, 1);

    /* A segment that does not fit the caller's buffer is not matched (no overflow). */
    char pbuf[8];
    const char *param = NULL;
    int64_t id = 0;
    int known = -1;
    assert_null(route_find("GET", "/static/longer-than-eight.css", &id, &param, pbuf, sizeof pbuf, &known));
    assert_null(param);
    assert_non_null(route_find("GET", "/static/1234567", &id, &param, pbuf, sizeof pbuf, &known));
    assert_string_equal(param, "1234567");
}

static void test_find_exact(void **state)
{
    (void)state;
    struct found f;
    assert_non_null(find("GET", "/", &f));
    assert_string_equal(f.rt->pattern, "/");
    assert_non_null(find("POST", "/api/v1/auth/login", &f));
    assert_int_equal(f.rt->roles, ROLES_PUBLIC);
    assert_non_null(find("GET", "/api/v1/me", &f));
    assert_int_equal(f.rt->roles, ROLES_SIGNED_IN);
    assert_non_null(find("POST", "/api/v1/projects", &f));
    assert_string_equal(f.rt->method, "POST");
    assert_non_null(find("GET", "/api/v1/projects", &f));
    assert_string_equal(f.rt->method, "GET");
}

static void test_routes_write_json(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    assert_non_null(mem);
    routes_write_json(mem);
    assert_int_equal(fclose(mem), 0);

    json_error_t jerr;
    json_t *arr = json_loads(text, 0, &jerr);
    if (!arr) fail_msg("routes JSON does not parse: %s", jerr.text);
    assert_true(json_is_array(arr));
    assert_int_equal(json_array_size(arr), route_count);
    for (size_t i = 0; i < route_count; i++) {
        json_t *r = json_array_get(arr, i);
        assert_string_equal(json_string_value(json_object_get(r, "method")), route_table[i].method);
        assert_string_equal(json_string_value(json_object_get(r, "pattern")), route_table[i].pattern);
        assert_int_equal(json_integer_value(json_object_get(r, "max_body")), route_table[i].max_body);
        json_t *roles = json_object_get(r, "roles");
        assert_true(json_is_array(roles));
        assert_true(json_array_size(roles) > 0);
        if (route_table[i].roles == ROLES_PUBLIC) {
            assert_int_equal(json_array_size(roles), 1);
            assert_string_equal(json_string_value(json_array_get(roles, 0)), "public");
        } else {
            unsigned mask = 0;
            size_t k;
            json_t *v;
            json_array_foreach(roles, k, v) {
                unsigned bit = role_bit(json_string_value(v));
                assert_int_not_equal(bit, 0);
                mask |= bit;
            }
            assert_int_equal(mask, route_table[i].roles);
        }
    }
    json_decref(arr);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_sorted_no_duplicates),
        cmocka_unit_test(test_table_entries_well_formed),
        cmocka_unit_test(test_api_roles),
        cmocka_unit_test(test_post_has_max_body),
        cmocka_unit_test(test_every_route_is_found),
        cmocka_unit_test(test_find_id),
        cmocka_unit_test(test_find_non_decimal_id),
        cmocka_unit_test(test_find_unknown_paths),
        cmocka_unit_test(test_find_wrong_method),
        cmocka_unit_test(test_find_head),
        cmocka_unit_test(test_find_static_file),
        cmocka_unit_test(test_find_exact),
        cmocka_unit_test(test_routes_write_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
