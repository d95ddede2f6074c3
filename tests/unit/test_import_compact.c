/* Unit tests for the NDJSON import's fast paths (core/import_formats.h). imp_compact_member: whenever it
 * returns a member's text, that text must be byte for byte what json_dumps(JSON_COMPACT) writes for the parsed
 * member, since the import stores one in place of the other. imp_simple_line: whenever it accepts a line,
 * jansson and task_line_check must accept it too, with the same external_id and priority and that data text.
 * Hand-written cases, then random lines (random spacing, escapes, numbers, bytes) compared against jansson. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/import_formats.h"
#include "core/validate.h"
#include "util/buf.h"

/* 1: the fast path answered and agrees with jansson; 0: it declined; fails the test on a disagreement. */
static int check_line(const char *line, size_t n, const char *name)
{
    json_error_t jerr;
    json_t *root = json_loadb(line, n, JSON_REJECT_DUPLICATES, &jerr);
    if (!root || !json_is_object(root)) {
        json_decref(root);
        return -1; /* the import rejects such a line before asking */
    }
    size_t len = 0;
    const char *got = imp_compact_member(line, n, name, &len);
    int rc = 0;
    json_t *v = json_object_get(root, name);
    if (got) {
        assert_non_null(v);
        char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        assert_non_null(want);
        if (strlen(want) != len || memcmp(want, got, len))
            fail_msg("fast path %.*s, jansson %s (line %.*s)", (int)len, got, want, (int)n, line);
        free(want);
        rc = 1;
    }
    json_decref(root);
    return rc;
}

static int check(const char *line) { return check_line(line, strlen(line), "data"); }

static void test_compact_cases(void **state)
{
    (void)state;
    /* stored as received */
    assert_int_equal(check("{\"external_id\":\"b1\",\"data\":{\"text\":\"Review 1: fine.\"}}"), 1);
    assert_int_equal(check("  {\"data\":{\"text\":\"x\"} , \"external_id\" : \"a\" }\r"), 1);
    assert_int_equal(check("{\"data\":{\"text\":\"caf\xc3\xa9 \xf0\x9f\x98\x80 a/b\"}}"), 1);
    assert_int_equal(check("{\"data\":{\"text\":\"q\\\"b\\\\s\\b\\f\\n\\r\\t\"}}"), 1);
    assert_int_equal(check("{\"data\":{\"a\":[1,-2,0,9223372036854775807,-9223372036854775808,true,false,null],"
                           "\"b\":{},\"c\":[],\"d\":[[{}]]}}"),
                     1);
    assert_int_equal(check("{\"predictions\":{\"x\":1.5},\"data\":{\"image\":{\"url\":\"https://e.org/a.png\","
                           "\"width\":640,\"height\":480}}}"),
                     1);
    assert_int_equal(check("{\"data\":\"just a string\"}"), 1);
    assert_int_equal(check("{\"data\":12}"), 1);
    assert_int_equal(check("{\"x\":{\"data\":1},\"data\":2}"), 1);
    assert_int_equal(check("{\"d\\u0061t\":1,\"data\":2}") == 1, 0); /* an escaped key: declined */
    /* declined: jansson would write them otherwise */
    assert_int_equal(check("{\"data\":{\"text\": \"x\"}}"), 0);
    assert_int_equal(check("{\"data\":{\"text\":\"x\"\n}}"), 0);
    assert_int_equal(check("{\"data\":[1, 2]}"), 0);
    assert_int_equal(check("{\"data\":{\"n\":0.1}}"), 0);
    assert_int_equal(check("{\"data\":{\"n\":1.0}}"), 0);
    assert_int_equal(check("{\"data\":{\"n\":1e2}}"), 0);
    assert_int_equal(check("{\"data\":{\"n\":1E2}}"), 0);
    assert_int_equal(check("{\"data\":{\"n\":-0}}"), 0);
    assert_int_equal(check("{\"data\":{\"text\":\"\\u00e9\"}}"), 0);
    assert_int_equal(check("{\"data\":{\"text\":\"\\u001F\"}}"), 0);
    assert_int_equal(check("{\"data\":{\"text\":\"a\\/b\"}}"), 0);
    assert_int_equal(check("{\"data\":{\"t\\u0065xt\":\"x\"}}"), 0);
    assert_int_equal(check("{\"external_id\":\"a\"}"), 0);
    assert_int_equal(check("{}"), 0);
    /* not for a line the parser refused, but it must still stay within the bytes */
    size_t len;
    const char *bad[] = {"{\"data\":", "{\"data\":{\"text\":\"x", "{\"data\":tru", "{\"data\":[1,2", "{\"data\"", "{", "",
                         "{\"data\":}", "[\"data\",1]", "{\"data\":\"a\\"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_null(imp_compact_member(bad[i], strlen(bad[i]), "data", &len));
    /* the bytes after n are never read */
    const char *cut = "{\"data\":{\"a\":1}}";
    assert_null(imp_compact_member(cut, strlen(cut) - 2, "data", &len));
    assert_non_null(imp_compact_member(cut, strlen(cut), "data", &len));
    assert_int_equal(len, 7);
}

/* ---- random lines ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static void put(buf *b, const char *s) { assert_int_equal(buf_add(b, s, strlen(s)), 0); }

static void ws(buf *b, bool spaced)
{
    static const char *const w[] = {" ", "\t", "\n", "\r", "  "};
    if (spaced && rnd(4) == 0) put(b, w[rnd(5)]);
}

static void random_string(buf *b, bool spaced)
{
    static const char *const pieces[] = {"a", "Z", "0", " ", "/", "\\/", "\\\"", "\\\\", "\\b", "\\f", "\\n", "\\r",
                                         "\\t", "\\u00e9", "\\u001F", "\\u001f", "\\u0041", "\\ud83d\\ude00", "\xc3\xa9",
                                         "\xf0\x9f\x98\x80", "\xe2\x80\xa8", "\x7f", "data", "\\u0000"};
    size_t n = rnd(6);
    put(b, "\"");
    for (size_t i = 0; i < n; i++) {
        const char *p = pieces[rnd(sizeof pieces / sizeof *pieces)];
        if (!spaced && (p[0] == '\\' && (p[1] == 'u' || p[1] == '/'))) p = "x";
        put(b, p);
    }
    put(b, "\"");
}

static void random_value(buf *b, int depth, bool spaced)
{
    static const char *const nums[] = {"0", "7", "-3", "120", "-0", "0.5", "1.0", "30.1", "1e2", "-2E-3", "0.1",
                                       "9223372036854775807", "-9223372036854775808", "1.5e300"};
    switch (depth > 3 ? rnd(4) : rnd(6)) {
    case 0: random_string(b, spaced); break;
    case 1: {
        const char *n = nums[rnd(sizeof nums / sizeof *nums)];
        if (!spaced && (strpbrk(n, ".eE") || !strcmp(n, "-0"))) n = "42";
        put(b, n);
        break;
    }
    case 2: put(b, rnd(2) ? "true" : "false"); break;
    case 3: put(b, "null"); break;
    case 4: {
        size_t n = rnd(4);
        put(b, "[");
        for (size_t i = 0; i < n; i++) {
            if (i) put(b, ",");
            ws(b, spaced);
            random_value(b, depth + 1, spaced);
            ws(b, spaced);
        }
        put(b, "]");
        break;
    }
    default: {
        size_t n = rnd(4);
        put(b, "{");
        for (size_t i = 0; i < n; i++) {
            if (i) put(b, ",");
            ws(b, spaced);
            char key[16];
            snprintf(key, sizeof key, "\"k%zu\"", i); /* distinct keys: duplicates are refused */
            put(b, key);
            ws(b, spaced);
            put(b, ":");
            ws(b, spaced);
            random_value(b, depth + 1, spaced);
        }
        put(b, "}");
    }
    }
}

static void test_compact_random(void **state)
{
    (void)state;
    int fast[2] = {0, 0}, total[2] = {0, 0};
    for (int i = 0; i < 200000; i++) {
        bool spaced = i % 2;
        buf b;
        buf_init(&b, 1 << 20);
        ws(&b, spaced);
        put(&b, "{");
        if (rnd(2)) {
            put(&b, "\"external_id\":");
            random_value(&b, 2, true);
            put(&b, ",");
        }
        ws(&b, spaced);
        put(&b, "\"data\"");
        ws(&b, spaced);
        put(&b, ":");
        ws(&b, spaced);
        random_value(&b, 0, spaced);
        ws(&b, spaced);
        if (rnd(2)) {
            put(&b, ",\"predictions\":");
            random_value(&b, 1, true);
        }
        put(&b, "}");
        int rc = check_line(b.data, b.len, "data");
        if (rc >= 0) {
            total[spaced]++;
            fast[spaced] += rc;
        }
        buf_free(&b);
    }
    /* Every value written without spaces, reals, -0, \u or \/ must take the fast path. */
    assert_true(total[0] > 95000);
    assert_int_equal(fast[0], total[0]);
    assert_true(fast[1] > 0 && fast[1] < total[1]);
    print_message("compact lines: %d of %d on the fast path; spaced lines: %d of %d\n", fast[0], total[0], fast[1],
                  total[1]);
}

/* ---- imp_simple_line ---- */

static json_t *text_schema;

/* 1: accepted (and checked against the general path), 0: declined. */
static int simple_n(const char *line, size_t n, enum project_kind kind)
{
    struct imp_simple_task st;
    if (!imp_simple_line(line, n, kind, &st)) return 0;
    json_t *root = NULL;
    struct verr e;
    if (!task_line_parse(line, n, &root, &e))
        fail_msg("fast path took a line jansson refuses (%s): %.*s", e.detail, (int)n, line);
    struct task_line t;
    if (!task_line_check(kind, text_schema, root, &t, &e))
        fail_msg("fast path took a line the check refuses (%s %s): %.*s", e.field, e.detail, (int)n, line);
    assert_null(t.predictions);
    assert_null(t.gold_answer);
    assert_int_equal(t.gold, 0);
    assert_int_equal(t.priority, st.priority);
    if (!t.external_id) {
        assert_null(st.external_id);
    } else {
        assert_non_null(st.external_id);
        assert_int_equal(strlen(t.external_id), st.external_id_len);
        assert_memory_equal(t.external_id, st.external_id, st.external_id_len);
    }
    char *want = json_dumps(t.data, JSON_COMPACT);
    assert_non_null(want);
    if (strlen(want) != st.data_len || memcmp(want, st.data, st.data_len))
        fail_msg("fast path data %.*s, jansson %s", (int)st.data_len, st.data, want);
    free(want);
    /* no media reference to fill in: data holds no object */
    const char *key;
    json_t *v;
    json_object_foreach(t.data, key, v) assert_false(json_is_object(v) || json_is_array(v));
    json_decref(root);
    return 1;
}

static int simple(const char *line, enum project_kind kind) { return simple_n(line, strlen(line), kind); }

static void test_simple_cases(void **state)
{
    (void)state;
    enum project_kind tc = KIND_TEXT_CLASSIFICATION;
    assert_int_equal(simple("{\"external_id\":\"b1\",\"data\":{\"text\":\"Review 1: fine.\"}}", tc), 1);
    assert_int_equal(simple(" { \"data\" : {\"text\":\"caf\xc3\xa9 \\\"q\\\" \\n\",\"n\":-12,\"ok\":true,\"x\":null} ,"
                            "\"priority\": -1000, \"external_id\":null }\t",
                            tc),
                     1);
    assert_int_equal(simple("{\"data\":{\"text\":\"x\"},\"priority\":null}", KIND_TEXT_SPANS), 1);
    assert_int_equal(simple("{\"data\":{}}", KIND_FREE_TEXT), 1);
    assert_int_equal(simple("{\"data\":{\"a\":\"b\"}}", KIND_FREE_TEXT), 1);
    /* declined: the general path decides (and may refuse) */
    const char *declined[] = {
        "{\"data\":{}}",                                          /* no text */
        "{\"data\":{\"text\":\"\"}}",                             /* empty text */
        "{\"data\":{\"text\":1}}",                                /* not a string */
        "{\"data\":{\"text\":\"x\",\"text\":\"y\"}}",             /* twice */
        "{\"data\":{\"text\":\"x\"},\"data\":{\"text\":\"y\"}}",  /* twice */
        "{\"data\":{\"text\":\"x\"},\"predictions\":null}",       /* another member */
        "{\"data\":{\"text\":\"x\"},\"gold\":null}",
        "{\"data\":{\"text\":\"x\"},\"extra\":1}",
        "{\"data\":{\"text\":\"x\"},\"priority\":1001}",          /* out of range */
        "{\"data\":{\"text\":\"x\"},\"priority\":1.0}",           /* not an integer */
        "{\"data\":{\"text\":\"x\"},\"priority\":\"1\"}",
        "{\"data\":{\"text\":\"x\"},\"priority\":01}",            /* not JSON */
        "{\"data\":{\"text\":\"x\"},\"external_id\":\"\"}",       /* too short */
        "{\"data\":{\"text\":\"x\"},\"external_id\":1}",
        "{\"data\":{\"text\":\"x\"},\"external_id\":\"a\\u0000\"}",
        "{\"data\":{\"text\":\"x\\u00e9\"}}",                     /* not compact */
        "{\"data\":{\"text\":\"x\"}, }",                          /* not JSON */
        "{\"data\":{\"text\":\"x\"}} x",
        "{\"data\":{\"text\":\"x\",\"n\":1.5}}",
        "{\"data\":{\"text\":\"x\",\"n\":-0}}",
        "{\"data\":{\"text\":\"x\",\"o\":{}}}",                   /* nested: may name media */
        "{\"data\":{\"text\":\"x\",\"a\":[]}}",
        "{\"data\":{\"text\":\"x\" }}",                           /* not compact */
        "{\"data\":{\"text\":\"\xc0\xaf\"}}",                     /* overlong */
        "{\"data\":{\"text\":\"\xed\xa0\x80\"}}",                 /* surrogate */
        "{\"data\":{\"text\":\"\xf4\x90\x80\x80\"}}",             /* above U+10FFFF */
        "{\"data\":{\"text\":\"\xe2\x82\"}}",                     /* cut short */
        "{\"data\":{\"text\":\"a\tb\"}}",                         /* raw control character */
        "{\"d\\u0061ta\":{\"text\":\"x\"}}",
        "[{\"data\":{\"text\":\"x\"}}]",
        "{\"data\":{\"text\":\"x\"}",
        "",
    };
    for (size_t i = 0; i < sizeof declined / sizeof *declined; i++)
        if (simple(declined[i], tc)) fail_msg("took %s", declined[i]);
    assert_int_equal(simple("{\"data\":{\"text\":\"x\"}}", KIND_IMAGE_ANNOTATION), 0);
    assert_int_equal(simple("{\"data\":{\"text\":\"x\"}}", KIND_LLM_COMPARISON), 0);
    /* the text's length in characters: 100000 of them, then one more */
    buf b;
    buf_init(&b, 1 << 22);
    put(&b, "{\"data\":{\"text\":\"\\n");
    for (int i = 1; i < TASK_TEXT_MAX_CHARS; i++) put(&b, i % 2 ? "\xf0\x9f\x98\x80" : "a");
    put(&b, "\"}}");
    assert_int_equal(simple_n(b.data, b.len, tc), 1);
    b.len -= 3;
    put(&b, "a\"}}");
    assert_int_equal(simple_n(b.data, b.len, tc), 0);
    buf_free(&b);
}

static void random_simple_string(buf *b, bool text)
{
    static const char *const pieces[] = {"a", "Z", " ", "/", "\\/", "\\\"", "\\\\", "\\b", "\\f", "\\n", "\\r", "\\t",
                                         "\\u00e9", "\\u0000", "\xc3\xa9", "\xf0\x9f\x98\x80", "\x7f", "\xc0\xaf",
                                         "\xed\xa0\x80", "\xf4\x8f\xbf\xbf", "\xf4\x90\x80\x80", "\xe2\x82", "\x80", "\t",
                                         "\xff", "\xe0\xa0\x80", "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf"};
    size_t n = text ? rnd(4) : rnd(3);
    put(b, "\"");
    for (size_t i = 0; i < n; i++) put(b, rnd(3) ? "ab" : pieces[rnd(sizeof pieces / sizeof *pieces)]);
    put(b, "\"");
}

static void random_scalar(buf *b)
{
    static const char *const v[] = {"0", "-7", "120", "-0", "1.5", "1e2", "007", "-", "true", "false", "null",
                                    "nul", "123456789012345678", "1234567890123456789", "{}", "[]", "{\"a\":1}", "\"s\""};
    if (rnd(3) == 0)
        random_simple_string(b, false);
    else
        put(b, v[rnd(sizeof v / sizeof *v)]);
}

static void sp(buf *b)
{
    if (rnd(8) == 0) put(b, rnd(2) ? " " : "\t");
}

static void random_simple_line(buf *b)
{
    static const char *const keys[] = {"text", "text", "source", "n", "t\\u0065xt", "a b", ""};
    static const char *const prio[] = {"0", "5", "-1000", "1000", "1001", "-1001", "null", "-0", "2.0", "\"3\"", "07"};
    const char *top[6];
    size_t ntop = 0;
    top[ntop++] = "data";
    if (rnd(2)) top[ntop++] = "external_id";
    if (rnd(3) == 0) top[ntop++] = "priority";
    if (rnd(10) == 0) top[ntop++] = rnd(2) ? "predictions" : "data";
    for (size_t i = ntop; i > 1; i--) { /* shuffle */
        size_t j = rnd((unsigned)i);
        const char *x = top[i - 1];
        top[i - 1] = top[j];
        top[j] = x;
    }
    sp(b);
    put(b, "{");
    for (size_t i = 0; i < ntop; i++) {
        if (i) put(b, ",");
        sp(b);
        put(b, "\"");
        put(b, top[i]);
        put(b, "\":");
        sp(b);
        if (!strcmp(top[i], "data")) {
            size_t n = rnd(4);
            put(b, "{");
            for (size_t k = 0; k < n; k++) {
                if (k) put(b, ",");
                if (rnd(20) == 0) sp(b);
                put(b, "\"");
                put(b, keys[rnd(sizeof keys / sizeof *keys)]);
                put(b, "\":");
                if (rnd(4))
                    random_simple_string(b, true);
                else
                    random_scalar(b);
            }
            put(b, "}");
        } else if (!strcmp(top[i], "external_id")) {
            if (rnd(5) == 0)
                random_scalar(b);
            else
                random_simple_string(b, false);
        } else if (!strcmp(top[i], "priority")) {
            put(b, prio[rnd(sizeof prio / sizeof *prio)]);
        } else {
            put(b, "null");
        }
        sp(b);
    }
    put(b, "}");
    sp(b);
    if (rnd(3) == 0) { /* one byte changed, added or dropped */
        static const char bytes[] = "\"\\{}[],: 0e.-a\x80\xc0\xed\xf4\x01";
        size_t at = rnd((unsigned)b->len + 1);
        char ch = bytes[rnd(sizeof bytes - 1)];
        switch (rnd(3)) {
        case 0:
            if (at < b->len) b->data[at] = ch;
            break;
        case 1:
            if (!buf_add(b, "", 1)) {
                memmove(b->data + at + 1, b->data + at, b->len - 1 - at);
                b->data[at] = ch;
            }
            break;
        default:
            if (at < b->len) {
                memmove(b->data + at, b->data + at + 1, b->len - at - 1);
                b->len--;
            }
        }
    }
}

static void test_simple_random(void **state)
{
    (void)state;
    static const enum project_kind kinds[] = {KIND_TEXT_CLASSIFICATION, KIND_TEXT_SPANS, KIND_FREE_TEXT};
    int taken = 0, valid = 0;
    for (int i = 0; i < 300000; i++) {
        buf b;
        buf_init(&b, 1 << 20);
        random_simple_line(&b);
        enum project_kind k = kinds[rnd(3)];
        taken += simple_n(b.data, b.len, k);
        json_t *root = NULL;
        struct verr e;
        struct task_line t;
        if (task_line_parse(b.data, b.len, &root, &e) && task_line_check(k, text_schema, root, &t, &e)) valid++;
        json_decref(root);
        buf_free(&b);
    }
    print_message("simple lines: %d of %d valid ones on the fast path\n", taken, valid);
    assert_true(taken > valid / 4);
}

static int setup(void **state)
{
    (void)state;
    text_schema = json_loads("{\"labels\":[\"a\",\"b\"],\"multiple\":false}", 0, NULL);
    return text_schema ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    json_decref(text_schema);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compact_cases),
        cmocka_unit_test(test_compact_random),
        cmocka_unit_test(test_simple_cases),
        cmocka_unit_test(test_simple_random),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
