/* Unit tests for input validation (core/validate.h) and the code lists (core/country.h). */
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

#include "core/country.h"
#include "core/schema.h"
#include "core/validate.h"

/* ---- helpers ---- */

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
    if (!j) fail_msg("test JSON does not parse: %s: %s", text, jerr.text);
    return j;
}

static const char good_project[] =
    "{\"name\":\"Sentiment\",\"instructions\":\"Pick the sentiment\",\"kind\":\"text_classification\","
    "\"labels\":[\"positive\",\"negative\",\"neutral\"],\"reward_micros\":50000,\"currency\":\"USD\","
    "\"estimated_seconds\":30,\"overlap\":3}";

/* The good project with one member set to value (raw JSON), or removed when value is NULL. */
static json_t *project_with(const char *key, const char *value)
{
    json_t *body = parse(good_project);
    if (value)
        json_object_set_new(body, key, parse(value));
    else
        json_object_del(body, key);
    return body;
}

static void project_fails(const char *key, const char *value, const char *want_field)
{
    json_t *body = project_with(key, value);
    struct project_input p;
    struct verr e;
    memset(&e, 0, sizeof e);
    if (validate_project_input(body, &p, &e))
        fail_msg("project with %s=%s was accepted", key, value ? value : "(missing)");
    if (strcmp(e.field, want_field))
        fail_msg("project with %s=%s: field '%s', want '%s' (%s)", key, value ? value : "(missing)", e.field,
                 want_field, e.detail);
    if (!e.detail[0]) fail_msg("project with %s=%s: empty detail", key, value ? value : "(missing)");
    json_decref(body);
}

static void project_ok(const char *key, const char *value)
{
    json_t *body = project_with(key, value);
    struct project_input p;
    struct verr e;
    memset(&e, 0, sizeof e);
    if (!validate_project_input(body, &p, &e))
        fail_msg("project with %s=%s rejected: %s: %s", key, value ? value : "(missing)", e.field, e.detail);
    json_decref(body);
}

/* ---- email ---- */

static bool email_ok(const char *in, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s", in);
    return email_normalize(out);
}

static void test_email_normalize(void **state)
{
    (void)state;
    char e[300];
    assert_true(email_ok("Alice@Example.COM", e, sizeof e));
    assert_string_equal(e, "alice@example.com");
    assert_true(email_ok("bob.smith+tag@mail.example.co.ke", e, sizeof e));
    assert_string_equal(e, "bob.smith+tag@mail.example.co.ke");
    assert_true(email_ok("a@b.c", e, sizeof e));
    assert_string_equal(e, "a@b.c");

    static const char *const bad[] = {
        "",        "a@b",      "no-at",     "x@@y.z",   "a b@c.d", " a@b.cd", "a@b.cd ", "a@b .cd",
        "a\t@b.cd", "@b.cd",   "a@.cd",     "a@b.cd.",  "a@b.c@d.e", "a,b@c.d", "a<b@c.d", "a;b@c.d",
        "\"a\"@b.cd", "a@",    "@",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (email_ok(bad[i], e, sizeof e)) fail_msg("email '%s' accepted", bad[i]);

    /* length limit: 254 characters at most */
    char longe[300];
    memset(longe, 'a', sizeof longe);
    memcpy(longe + 254 - 6, "@b.com", 7); /* exactly 254 */
    assert_int_equal(strlen(longe), 254);
    assert_true(email_normalize(longe));
    memset(longe, 'a', sizeof longe);
    memcpy(longe + 255 - 6, "@b.com", 7); /* 255 */
    assert_false(email_normalize(longe));
}

/* ---- country / currency ---- */

static void test_country_codes(void **state)
{
    (void)state;
    static const char *const good[] = {"KE", "NG", "PK", "US", "GB", "IN", "AD", "ZW", "BR", "PH"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        if (!country_code_valid(good[i])) fail_msg("country %s rejected", good[i]);
    static const char *const bad[] = {"ke", "Ke", "XX", "KEN", "K", "", "UK", "ZZ", "E ", " K", "AA", "K1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (country_code_valid(bad[i])) fail_msg("country '%s' accepted", bad[i]);
    assert_false(country_code_valid(NULL));
}

static void test_currency_codes(void **state)
{
    (void)state;
    static const char *const good[] = {"USD", "EUR", "KES", "NGN", "PKR", "INR", "GBP", "AED", "ZWL", "PHP"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        if (!currency_code_valid(good[i])) fail_msg("currency %s rejected", good[i]);
    static const char *const bad[] = {"usd", "Usd", "XXX", "US", "USDD", "", "ABC", "KE", "U D", "SD "};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (currency_code_valid(bad[i])) fail_msg("currency '%s' accepted", bad[i]);
    assert_false(currency_code_valid(NULL));
}

static void test_role_names(void **state)
{
    (void)state;
    assert_true(role_name_valid("admin"));
    assert_true(role_name_valid("worker"));
    assert_true(role_name_valid("requester"));
    assert_false(role_name_valid("Admin"));
    assert_false(role_name_valid("root"));
    assert_false(role_name_valid(""));
    assert_false(role_name_valid(NULL));
}

static void test_utf8_length(void **state)
{
    (void)state;
    assert_int_equal(utf8_length(""), 0);
    assert_int_equal(utf8_length("abc"), 3);
    assert_int_equal(utf8_length("h\xc3\xa9llo"), 5);     /* é */
    assert_int_equal(utf8_length("\xe2\x9c\x93"), 1);     /* ✓ */
    assert_int_equal(utf8_length("\xf0\x9f\x98\x80!"), 2); /* 😀! */
}

/* ---- project input ---- */

static void test_project_good(void **state)
{
    (void)state;
    json_t *body = parse(good_project);
    struct project_input p;
    struct verr e;
    assert_true(validate_project_input(body, &p, &e));
    assert_string_equal(p.name, "Sentiment");
    assert_string_equal(p.instructions, "Pick the sentiment");
    assert_int_equal(p.kind, KIND_TEXT_CLASSIFICATION);
    assert_string_equal(p.currency, "USD");
    assert_int_equal(p.reward_micros, 50000);
    assert_int_equal(p.estimated_seconds, 30);
    assert_int_equal(p.overlap, 3);
    assert_int_equal(p.lease_seconds, 600); /* default */
    assert_true(json_equal(json_object_get(p.schema, "labels"), json_object_get(body, "labels")));
    assert_ptr_equal(p.schema, json_object_get(body, "schema")); /* owned by the body */

    char *schema = project_schema_json(&p);
    assert_non_null(schema);
    assert_string_equal(schema, "{\"labels\":[\"positive\",\"negative\",\"neutral\"],\"multiple\":false}");
    free(schema);
    json_decref(body);

    /* optional members */
    body = project_with("lease_seconds", "90");
    assert_true(validate_project_input(body, &p, &e));
    assert_int_equal(p.lease_seconds, 90);
    json_decref(body);
    body = project_with("lease_seconds", "null");
    assert_true(validate_project_input(body, &p, &e));
    assert_int_equal(p.lease_seconds, 600);
    json_decref(body);
    body = project_with("instructions", NULL);
    assert_true(validate_project_input(body, &p, &e));
    assert_string_equal(p.instructions, "");
    json_decref(body);
    body = project_with("instructions", "null");
    assert_true(validate_project_input(body, &p, &e));
    assert_string_equal(p.instructions, "");
    json_decref(body);
}

static void test_project_bounds_ok(void **state)
{
    (void)state;
    project_ok("overlap", "1");
    project_ok("overlap", "15");
    project_ok("reward_micros", "0");
    project_ok("reward_micros", "1000000000000");
    project_ok("estimated_seconds", "1");
    project_ok("estimated_seconds", "86400");
    project_ok("lease_seconds", "2");
    project_ok("lease_seconds", "86400");
    project_ok("currency", "\"KES\"");
    project_ok("labels", "[\"a\",\"b\"]");
    project_ok("labels", "[\"A\",\"a\"]"); /* case matters */
    project_ok("name", "\"x\"");

    /* 200 characters, counted as characters not bytes */
    char name[2 + 200 * 2 + 1];
    size_t o = 0;
    name[o++] = '"';
    for (int i = 0; i < 200; i++) {
        name[o++] = '\xc3';
        name[o++] = '\xa9';
    }
    name[o++] = '"';
    name[o] = '\0';
    project_ok("name", name);

    /* 50 labels */
    char labels[50 * 8 + 8];
    o = 0;
    labels[o++] = '[';
    for (int i = 0; i < 50; i++) o += (size_t)snprintf(labels + o, sizeof labels - o, "%s\"l%d\"", i ? "," : "", i);
    labels[o++] = ']';
    labels[o] = '\0';
    project_ok("labels", labels);
}

static void test_project_bad_fields(void **state)
{
    (void)state;
    /* name */
    project_fails("name", NULL, "/name");
    project_fails("name", "\"\"", "/name");
    project_fails("name", "42", "/name");
    project_fails("name", "null", "/name");
    project_fails("name", "\"a\\u0000b\"", "/name");
    char longname[205];
    memset(longname, 'n', sizeof longname);
    longname[0] = '"';
    longname[202] = '"';
    longname[203] = '\0'; /* 201 characters */
    project_fails("name", longname, "/name");

    /* kind */
    project_fails("kind", NULL, "/kind");
    project_fails("kind", "\"image_boxes\"", "/kind");
    project_fails("kind", "\"\"", "/kind");
    project_fails("kind", "7", "/kind");

    /* labels */
    project_fails("labels", NULL, "/labels");
    project_fails("labels", "\"a,b\"", "/labels");
    project_fails("labels", "{}", "/labels");
    project_fails("labels", "[]", "/labels");
    project_fails("labels", "[\"only\"]", "/labels");
    project_fails("labels", "[\"a\",\"a\"]", "/labels/1");
    project_fails("labels", "[\"a\",\"b\",\"c\",\"b\"]", "/labels/3");
    project_fails("labels", "[1,\"b\"]", "/labels/0");
    project_fails("labels", "[\"a\",null]", "/labels/1");
    project_fails("labels", "[\"a\",\"\"]", "/labels/1");
    project_fails("labels", "[\"a\",\"x\\u0000y\"]", "/labels/1");
    char labels[60 * 8 + 8];
    size_t o = 0;
    labels[o++] = '[';
    for (int i = 0; i < 51; i++) o += (size_t)snprintf(labels + o, sizeof labels - o, "%s\"l%d\"", i ? "," : "", i);
    labels[o++] = ']';
    labels[o] = '\0';
    project_fails("labels", labels, "/labels");
    char longlabel[110];
    memset(longlabel, 'l', sizeof longlabel);
    memcpy(longlabel, "[\"a\",\"", 6);
    longlabel[6 + 101] = '"';
    longlabel[6 + 102] = ']';
    longlabel[6 + 103] = '\0'; /* second label has 101 characters */
    project_fails("labels", longlabel, "/labels/1");

    /* reward */
    project_fails("reward_micros", NULL, "/reward_micros");
    project_fails("reward_micros", "1.5", "/reward_micros");
    project_fails("reward_micros", "\"100\"", "/reward_micros");
    project_fails("reward_micros", "-1", "/reward_micros");
    project_fails("reward_micros", "1000000000001", "/reward_micros");
    project_fails("reward_micros", "true", "/reward_micros");

    /* currency */
    project_fails("currency", NULL, "/currency");
    project_fails("currency", "\"usd\"", "/currency");
    project_fails("currency", "\"XXX\"", "/currency");
    project_fails("currency", "\"US\"", "/currency");
    project_fails("currency", "\"USDT\"", "/currency");
    project_fails("currency", "840", "/currency");

    /* estimated_seconds */
    project_fails("estimated_seconds", NULL, "/estimated_seconds");
    project_fails("estimated_seconds", "0", "/estimated_seconds");
    project_fails("estimated_seconds", "86401", "/estimated_seconds");

    /* overlap */
    project_fails("overlap", NULL, "/overlap");
    project_fails("overlap", "0", "/overlap");
    project_fails("overlap", "16", "/overlap");
    project_fails("overlap", "-3", "/overlap");
    project_fails("overlap", "2.0", "/overlap");

    /* lease_seconds */
    project_fails("lease_seconds", "1", "/lease_seconds");
    project_fails("lease_seconds", "86401", "/lease_seconds");
    project_fails("lease_seconds", "\"600\"", "/lease_seconds");

    /* instructions */
    project_fails("instructions", "[]", "/instructions");

    /* unknown members */
    project_fails("colour", "\"blue\"", "/colour");
    project_fails("Name", "\"x\"", "/Name");
}

static void test_project_not_object(void **state)
{
    (void)state;
    static const char *const bodies[] = {"[]", "\"x\"", "1", "null"};
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        json_t *b = parse(bodies[i]);
        struct project_input p;
        struct verr e;
        assert_false(validate_project_input(b, &p, &e));
        assert_string_equal(e.field, "");
        json_decref(b);
    }
    struct project_input p;
    struct verr e;
    assert_false(validate_project_input(NULL, &p, &e));
}

/* ---- task lines ---- */

/* The import path for a text_classification project: parse, then check against its schema. */
static bool validate_task_line(const char *line, size_t len, json_t **root, json_t **data, const char **xid,
                               struct verr *e)
{
    json_t *schema = json_pack("{s:[s,s], s:b}", "labels", "a", "b", "multiple", 0);
    struct task_line t;
    bool ok = task_line_parse(line, len, root, e) && task_line_check(KIND_TEXT_CLASSIFICATION, schema, *root, &t, e);
    if (ok) {
        *data = t.data;
        *xid = t.external_id;
    }
    json_decref(schema);
    return ok;
}

static bool task_line(const char *line, json_t **root, json_t **data, const char **xid, struct verr *e)
{
    memset(e, 0, sizeof *e);
    *root = NULL;
    *data = NULL;
    *xid = NULL;
    return validate_task_line(line, strlen(line), root, data, xid, e);
}

static void test_task_line_good(void **state)
{
    (void)state;
    json_t *root, *data;
    const char *xid;
    struct verr e;
    assert_true(task_line("{\"data\":{\"text\":\"hello\"}}", &root, &data, &xid, &e));
    assert_non_null(root);
    assert_true(json_is_object(data));
    assert_string_equal(json_string_value(json_object_get(data, "text")), "hello");
    assert_null(xid);
    json_decref(root); /* data belongs to root (callers only release root) */

    assert_true(task_line("{\"external_id\":\"row-17\",\"data\":{\"text\":\"h\\u00e9\",\"lang\":\"fr\"}}", &root,
                          &data, &xid, &e));
    assert_non_null(xid);
    assert_string_equal(xid, "row-17");
    assert_string_equal(json_string_value(json_object_get(data, "lang")), "fr");
    json_decref(root);

    assert_true(task_line("  {\"data\":{\"text\":\"x\"},\"external_id\":null}  ", &root, &data, &xid, &e));
    assert_null(xid);
    json_decref(root);

    /* only len bytes are read: the line need not be NUL-terminated */
    const char good[] = "{\"data\":{\"text\":\"a\"}}";
    const char buf[] = "{\"data\":{\"text\":\"a\"}}{garbage";
    json_t *r2 = NULL, *d2 = NULL;
    const char *x2 = NULL;
    assert_true(validate_task_line(buf, sizeof good - 1, &r2, &d2, &x2, &e));
    json_decref(r2);

    /* external_id of exactly 200 bytes */
    char line[400];
    int o = snprintf(line, sizeof line, "{\"data\":{\"text\":\"t\"},\"external_id\":\"");
    memset(line + o, 'e', 200);
    snprintf(line + o + 200, sizeof line - (size_t)o - 200, "\"}");
    assert_true(task_line(line, &root, &data, &xid, &e));
    assert_int_equal(strlen(xid), 200);
    json_decref(root);
}

static void task_line_fails(const char *line, const char *want_field)
{
    json_t *root, *data;
    const char *xid;
    struct verr e;
    if (task_line(line, &root, &data, &xid, &e)) fail_msg("task line accepted: %s", line);
    if (strcmp(e.field, want_field))
        fail_msg("task line %s: field '%s', want '%s' (%s)", line, e.field, want_field, e.detail);
    if (!e.detail[0]) fail_msg("task line %s: empty detail", line);
    json_decref(root);
}

static void test_task_line_bad(void **state)
{
    (void)state;
    task_line_fails("", "");
    task_line_fails("not json", "");
    task_line_fails("{\"data\":{\"text\":\"x\"}", "");
    task_line_fails("{\"data\":{\"text\":\"x\"}} trailing", "");
    task_line_fails("[1,2]", "");
    task_line_fails("\"text\"", "");
    task_line_fails("42", "");
    task_line_fails("null", "");
    task_line_fails("{\"data\":{\"text\":\"a\"},\"data\":{\"text\":\"b\"}}", ""); /* duplicate key */
    task_line_fails("{}", "/data");
    task_line_fails("{\"external_id\":\"x\"}", "/data");
    task_line_fails("{\"data\":\"text\"}", "/data");
    task_line_fails("{\"data\":[\"text\"]}", "/data");
    task_line_fails("{\"data\":null}", "/data");
    task_line_fails("{\"data\":{}}", "/data/text");
    task_line_fails("{\"data\":{\"txt\":\"x\"}}", "/data/text");
    task_line_fails("{\"data\":{\"text\":\"\"}}", "/data/text");
    task_line_fails("{\"data\":{\"text\":5}}", "/data/text");
    task_line_fails("{\"data\":{\"text\":null}}", "/data/text");
    task_line_fails("{\"data\":{\"text\":[\"x\"]}}", "/data/text");
    /* \u0000 is refused by the parser itself (no JSON_ALLOW_NUL), so the whole line is the field */
    task_line_fails("{\"data\":{\"text\":\"a\\u0000b\"}}", "");
    task_line_fails("{\"data\":{\"text\":\"x\"},\"label\":\"a\"}", "/label");
    task_line_fails("{\"data\":{\"text\":\"x\"},\"external_id\":\"\"}", "/external_id");
    task_line_fails("{\"data\":{\"text\":\"x\"},\"external_id\":17}", "/external_id");
    task_line_fails("{\"data\":{\"text\":\"x\"},\"external_id\":\"a\\u0000\"}", "");

    /* external_id of 201 bytes */
    char line[400];
    int o = snprintf(line, sizeof line, "{\"data\":{\"text\":\"t\"},\"external_id\":\"");
    memset(line + o, 'e', 201);
    snprintf(line + o + 201, sizeof line - (size_t)o - 201, "\"}");
    task_line_fails(line, "/external_id");
}

static void test_task_line_text_limit(void **state)
{
    (void)state;
    size_t cap = TASK_TEXT_MAX_CHARS + 64;
    char *line = malloc(cap);
    assert_non_null(line);
    int o = snprintf(line, cap, "{\"data\":{\"text\":\"");
    memset(line + o, 'w', TASK_TEXT_MAX_CHARS);
    snprintf(line + o + TASK_TEXT_MAX_CHARS, cap - (size_t)o - TASK_TEXT_MAX_CHARS, "\"}}");
    json_t *root, *data;
    const char *xid;
    struct verr e;
    assert_true(task_line(line, &root, &data, &xid, &e));
    json_decref(root);

    o = snprintf(line, cap, "{\"data\":{\"text\":\"");
    memset(line + o, 'w', TASK_TEXT_MAX_CHARS + 1);
    snprintf(line + o + TASK_TEXT_MAX_CHARS + 1, cap - (size_t)o - TASK_TEXT_MAX_CHARS - 1, "\"}}");
    task_line_fails(line, "/data/text");
    free(line);
}

/* ---- answers ---- */

static const char schema[] = "{\"labels\":[\"a\",\"b\"]}";

static void check_answer(const char *answer_json, const char *schema_json, const char *want_field)
{
    json_t *a = answer_json ? parse(answer_json) : NULL;
    struct verr e;
    memset(&e, 0, sizeof e);
    json_t *schema = json_loads(schema_json, 0, NULL), *data = json_pack("{s:s}", "text", "t");
    bool ok = answer_check(KIND_TEXT_CLASSIFICATION, schema, data, a, "/answer", &e);
    json_decref(schema);
    json_decref(data);
    if (!want_field) {
        if (!ok) fail_msg("answer %s rejected: %s: %s", answer_json, e.field, e.detail);
    } else {
        if (ok) fail_msg("answer %s accepted", answer_json ? answer_json : "(NULL)");
        if (strcmp(e.field, want_field))
            fail_msg("answer %s: field '%s', want '%s' (%s)", answer_json, e.field, want_field, e.detail);
        if (!e.detail[0]) fail_msg("answer %s: empty detail", answer_json);
    }
    json_decref(a);
}

static void test_answer(void **state)
{
    (void)state;
    check_answer("{\"label\":\"a\"}", schema, NULL);
    check_answer("{\"label\":\"b\"}", schema, NULL);
    check_answer("{\"label\":\"c\"}", schema, "/answer/label");
    check_answer("{\"label\":\"A\"}", schema, "/answer/label");
    check_answer("{\"label\":\"\"}", schema, "/answer/label");
    check_answer("{\"label\":1}", schema, "/answer/label");
    check_answer("{\"label\":null}", schema, "/answer/label");
    check_answer("{\"label\":[\"a\"]}", schema, "/answer/label");
    check_answer("{}", schema, "/answer/label");
    check_answer("{\"label\":\"a\",\"confidence\":1}", schema, "/answer/confidence");
    check_answer("{\"lable\":\"a\"}", schema, "/answer/lable");
    check_answer("\"a\"", schema, "/answer");
    check_answer("[\"a\"]", schema, "/answer");
    check_answer("null", schema, "/answer");
    check_answer(NULL, schema, "/answer");

    /* multiple choice */
    static const char multi[] = "{\"labels\":[\"a\",\"b\",\"c\"],\"multiple\":true}";
    check_answer("{\"labels\":[\"a\",\"c\"]}", multi, NULL);
    check_answer("{\"labels\":[]}", multi, "/answer/labels");
    check_answer("{\"labels\":[\"a\",\"a\"]}", multi, "/answer/labels/1");
    check_answer("{\"labels\":[\"z\"]}", multi, "/answer/labels/0");
    check_answer("{\"label\":\"a\"}", multi, "/answer/label");

    /* a schema built by project_schema_json round-trips */
    json_t *body = parse(good_project);
    struct project_input p;
    struct verr e;
    assert_true(validate_project_input(body, &p, &e));
    char *s = project_schema_json(&p);
    check_answer("{\"label\":\"neutral\"}", s, NULL);
    check_answer("{\"label\":\"a\"}", s, "/answer/label");
    free(s);
    json_decref(body);
}

/* ---- field getters ---- */

static void test_field_getters(void **state)
{
    (void)state;
    json_t *o = parse("{\"s\":\"abc\",\"i\":5,\"n\":null,\"f\":1.5}");
    struct verr e;
    const char *s;
    int64_t i;
    assert_true(json_req_string(o, "s", 1, 3, &s, &e));
    assert_string_equal(s, "abc");
    assert_false(json_req_string(o, "s", 4, 10, &s, &e));
    assert_string_equal(e.field, "/s");
    assert_false(json_req_string(o, "s", 0, 2, &s, &e));
    assert_false(json_req_string(o, "missing", 0, 2, &s, &e));
    assert_string_equal(e.field, "/missing");
    assert_true(json_opt_string(o, "missing", 10, "dflt", &s, &e));
    assert_string_equal(s, "dflt");
    assert_true(json_opt_string(o, "n", 10, "dflt", &s, &e));
    assert_string_equal(s, "dflt");
    assert_false(json_opt_string(o, "i", 10, "dflt", &s, &e));
    assert_string_equal(e.field, "/i");

    assert_true(json_req_int(o, "i", 5, 5, &i, &e));
    assert_int_equal(i, 5);
    assert_false(json_req_int(o, "i", 6, 9, &i, &e));
    assert_string_equal(e.field, "/i");
    assert_false(json_req_int(o, "f", 0, 9, &i, &e));
    assert_string_equal(e.field, "/f");
    assert_true(json_opt_int(o, "n", 0, 9, 7, &i, &e));
    assert_int_equal(i, 7);
    assert_true(json_opt_int(o, "missing", 0, 9, 8, &i, &e));
    assert_int_equal(i, 8);

    static const char *const allowed[] = {"s", "i", "n", "f", NULL};
    static const char *const fewer[] = {"s", "i", "n", NULL};
    assert_true(json_only_keys(o, allowed, "", &e));
    assert_false(json_only_keys(o, fewer, "/obj", &e));
    assert_string_equal(e.field, "/obj/f");
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_email_normalize),
        cmocka_unit_test(test_country_codes),
        cmocka_unit_test(test_currency_codes),
        cmocka_unit_test(test_role_names),
        cmocka_unit_test(test_utf8_length),
        cmocka_unit_test(test_project_good),
        cmocka_unit_test(test_project_bounds_ok),
        cmocka_unit_test(test_project_bad_fields),
        cmocka_unit_test(test_project_not_object),
        cmocka_unit_test(test_task_line_good),
        cmocka_unit_test(test_task_line_bad),
        cmocka_unit_test(test_task_line_text_limit),
        cmocka_unit_test(test_answer),
        cmocka_unit_test(test_field_getters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
