/* Kind schemas, task data and answers: valid and invalid cases for every kind, each error pointing
 * at the right field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/schema.h"

static json_t *J(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);
    if (!j) fail_msg("bad test JSON %s: %s", text, err.text);
    return j;
}

/* Checks schema_check; want_field NULL means it must pass. Returns the normalised schema or NULL. */
static json_t *schema_case(enum project_kind k, const char *schema, const char *want_field)
{
    json_t *s = J(schema);
    struct verr e = {0};
    json_t *norm = schema_check(k, s, &e);
    json_decref(s);
    if (!want_field && !norm) fail_msg("%s schema %s rejected: %s", kind_name(k), schema, e.detail);
    if (want_field && norm) fail_msg("%s schema %s accepted", kind_name(k), schema);
    if (want_field && strcmp(e.field, want_field))
        fail_msg("%s schema %s: field %s, want %s (%s)", kind_name(k), schema, e.field, want_field, e.detail);
    return norm;
}

static void answer_case(enum project_kind k, json_t *schema, const char *data, const char *answer, const char *want_field)
{
    json_t *d = J(data), *a = J(answer);
    struct verr e = {0};
    bool ok = task_data_check(k, schema, d, &e);
    if (!ok) fail_msg("%s data %s rejected: %s", kind_name(k), data, e.detail);
    ok = answer_check(k, schema, d, a, "/answer", &e);
    if (!want_field && !ok) fail_msg("%s answer %s rejected: %s", kind_name(k), answer, e.detail);
    if (want_field && ok) fail_msg("%s answer %s accepted", kind_name(k), answer);
    if (want_field && strcmp(e.field, want_field))
        fail_msg("%s answer %s: field %s, want %s (%s)", kind_name(k), answer, e.field, want_field, e.detail);
    json_decref(d);
    json_decref(a);
}

static void data_case(enum project_kind k, json_t *schema, const char *data, const char *want_field)
{
    json_t *d = J(data);
    struct verr e = {0};
    bool ok = task_data_check(k, schema, d, &e);
    if (!want_field && !ok) fail_msg("%s data %s rejected: %s", kind_name(k), data, e.detail);
    if (want_field && ok) fail_msg("%s data %s accepted", kind_name(k), data);
    if (want_field && strcmp(e.field, want_field))
        fail_msg("%s data %s: field %s, want %s (%s)", kind_name(k), data, e.field, want_field, e.detail);
    json_decref(d);
}

static void test_kinds(void **state)
{
    (void)state;
    enum project_kind k;
    for (int i = 0; i < KIND__COUNT; i++) {
        assert_true(kind_parse(kind_name((enum project_kind)i), &k));
        assert_int_equal(k, i);
    }
    assert_false(kind_parse("image_boxes", &k));
    assert_false(kind_parse(NULL, &k));
}

static void test_spans(void **state)
{
    (void)state;
    enum project_kind K = KIND_TEXT_SPANS;
    schema_case(K, "{\"entities\":[]}", "/schema/entities");
    schema_case(K, "{\"entities\":[\"PER\",\"PER\"]}", "/schema/entities/1");
    schema_case(K, "{\"entities\":[\"PER\"],\"colour\":1}", "/schema/colour");
    json_t *s = schema_case(K, "{\"entities\":[\"PER\",\"ORG\"],\"relations\":[\"works_for\"]}", NULL);
    assert_true(json_is_false(json_object_get(s, "allow_overlap"))); /* default filled in */
    /* "Zoë 🙂 works at ACME": code points, not bytes or UTF-16 units. 🙂 is one code point. */
    const char *data = "{\"text\":\"Zo\\u00eb \\ud83d\\ude42 works at ACME\"}";
    answer_case(K, s, data, "{\"spans\":[{\"start\":0,\"end\":3,\"label\":\"PER\"},{\"start\":15,\"end\":19,\"label\":\"ORG\"}],"
                            "\"relations\":[{\"from\":0,\"to\":1,\"label\":\"works_for\"}]}", NULL);
    answer_case(K, s, data, "{\"spans\":[{\"start\":15,\"end\":20,\"label\":\"ORG\"}]}", "/answer/spans/0/end");
    answer_case(K, s, data, "{\"spans\":[{\"start\":3,\"end\":3,\"label\":\"ORG\"}]}", "/answer/spans/0/end");
    answer_case(K, s, data, "{\"spans\":[{\"start\":-1,\"end\":3,\"label\":\"ORG\"}]}", "/answer/spans/0/start");
    answer_case(K, s, data, "{\"spans\":[{\"start\":0,\"end\":3,\"label\":\"LOC\"}]}", "/answer/spans/0/label");
    answer_case(K, s, data, "{\"spans\":[{\"start\":0,\"end\":5,\"label\":\"PER\"},{\"start\":4,\"end\":6,\"label\":\"ORG\"}]}",
                "/answer/spans/1");
    answer_case(K, s, data, "{\"spans\":[{\"start\":0,\"end\":3,\"label\":\"PER\"}],\"relations\":[{\"from\":0,\"to\":0,\"label\":\"works_for\"}]}",
                "/answer/relations/0/to");
    answer_case(K, s, data, "{\"spans\":[{\"start\":0,\"end\":3,\"label\":\"PER\"}],\"relations\":[{\"from\":0,\"to\":1,\"label\":\"works_for\"}]}",
                "/answer/relations/0/to");
    json_decref(s);
    s = schema_case(K, "{\"entities\":[\"PER\",\"ORG\"],\"allow_overlap\":true}", NULL);
    answer_case(K, s, data, "{\"spans\":[{\"start\":0,\"end\":5,\"label\":\"PER\"},{\"start\":4,\"end\":6,\"label\":\"ORG\"}]}", NULL);
    json_decref(s);
}

static void test_image(void **state)
{
    (void)state;
    enum project_kind K = KIND_IMAGE_ANNOTATION;
    schema_case(K, "{\"classes\":[{\"name\":\"car\",\"tools\":[\"box\"]}]}", "/schema/classes/0/tools/0");
    schema_case(K, "{\"classes\":[{\"name\":\"p\",\"tools\":[\"keypoints\"]}]}", "/schema/classes/0/skeleton");
    schema_case(K, "{\"classes\":[{\"name\":\"car\",\"tools\":[\"bbox\"],\"attributes\":[{\"name\":\"c\",\"type\":\"enum\"}]}]}",
                "/schema/classes/0/attributes/0/values");
    json_t *s = schema_case(K,
        "{\"classes\":[{\"name\":\"car\",\"tools\":[\"bbox\",\"polygon\"],\"attributes\":[{\"name\":\"occluded\",\"type\":\"bool\"},"
        "{\"name\":\"colour\",\"type\":\"enum\",\"values\":[\"red\",\"blue\"]}]},"
        "{\"name\":\"person\",\"tools\":[\"keypoints\"],\"skeleton\":{\"points\":[\"head\",\"foot\"],\"edges\":[[0,1]]}}]}", NULL);
    data_case(K, s, "{\"image\":{\"url\":\"https://example.org/a.png\"}}", "/data/image");
    data_case(K, s, "{\"image\":{\"url\":\"http://example.org/a.png\",\"width\":10,\"height\":10}}", "/data/image/url");
    data_case(K, s, "{\"image\":{\"media_id\":\"abc\",\"width\":10,\"height\":10}}", "/data/image/media_id");
    const char *data = "{\"image\":{\"url\":\"https://example.org/a.png\",\"width\":640,\"height\":480}}";
    answer_case(K, s, data, "{\"objects\":[{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[10,20,100,50],\"attributes\":{\"occluded\":true,\"colour\":\"red\"}},"
                            "{\"class\":\"car\",\"type\":\"polygon\",\"points\":[[0,0],[10,0],[10,10],[0,10]]},"
                            "{\"class\":\"person\",\"type\":\"keypoints\",\"keypoints\":[[5,5,2],[0,0,0]]}]}", NULL);
    answer_case(K, s, data, "{\"objects\":[{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[600,20,100,50]}]}", "/answer/objects/0/bbox");
    answer_case(K, s, data, "{\"objects\":[{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[1,2,0,5]}]}", "/answer/objects/0/bbox");
    answer_case(K, s, data, "{\"objects\":[{\"class\":\"car\",\"type\":\"keypoints\",\"keypoints\":[]}]}", "/answer/objects/0/type");
    answer_case(K, s, data, "{\"objects\":[{\"class\":\"truck\",\"type\":\"bbox\",\"bbox\":[1,2,3,4]}]}", "/answer/objects/0/class");
    answer_case(K, s, data, "{\"objects\":[{\"class\":\"car\",\"type\":\"polygon\",\"points\":[[0,0],[10,0]]}]}", "/answer/objects/0/points");
    /* a bow tie crosses itself */
    answer_case(K, s, data, "{\"objects\":[{\"class\":\"car\",\"type\":\"polygon\",\"points\":[[0,0],[10,10],[10,0],[0,10]]}]}",
                "/answer/objects/0/points/2");
    answer_case(K, s, data, "{\"objects\":[{\"class\":\"car\",\"type\":\"polygon\",\"points\":[[0,0],[700,0],[10,10]]}]}",
                "/answer/objects/0/points/1");
    answer_case(K, s, data, "{\"objects\":[{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[1,2,3,4],\"attributes\":{\"colour\":\"green\"}}]}",
                "/answer/objects/0/attributes/colour");
    answer_case(K, s, data, "{\"objects\":[{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[1,2,3,4],\"attributes\":{\"size\":1}}]}",
                "/answer/objects/0/attributes/size");
    answer_case(K, s, data, "{\"objects\":[{\"class\":\"person\",\"type\":\"keypoints\",\"keypoints\":[[5,5,2]]}]}",
                "/answer/objects/0/keypoints");
    answer_case(K, s, data, "{\"objects\":[{\"class\":\"person\",\"type\":\"keypoints\",\"keypoints\":[[5,5,3],[1,1,1]]}]}",
                "/answer/objects/0/keypoints/0");
    json_decref(s);
}

static void test_polygon_simple(void **state)
{
    (void)state;
    double square[] = {0, 0, 4, 0, 4, 4, 0, 4};
    double bowtie[] = {0, 0, 4, 4, 4, 0, 0, 4};
    double concave[] = {0, 0, 4, 0, 2, 1, 4, 4, 0, 4};
    double spike[] = {0, 0, 4, 0, 2, 0, 2, 4}; /* an edge doubles back along another */
    assert_true(polygon_is_simple(square, 4));
    assert_false(polygon_is_simple(bowtie, 4));
    assert_true(polygon_is_simple(concave, 5));
    assert_false(polygon_is_simple(spike, 4));
    assert_false(polygon_is_simple(square, 2));
}

static void test_lidar(void **state)
{
    (void)state;
    enum project_kind K = KIND_LIDAR_CUBOIDS;
    schema_case(K, "{\"classes\":[{\"name\":\"Car\",\"tools\":[\"bbox\"]}]}", "/schema/classes/0/tools");
    json_t *s = schema_case(K, "{\"classes\":[{\"name\":\"Car\"},{\"name\":\"Pedestrian\"}]}", NULL);
    const char *id = "0000000000000000000000000000000000000000000000000000000000000abc";
    char data[256];
    snprintf(data, sizeof data, "{\"pointcloud\":{\"media_id\":\"%s\"}}", id);
    data_case(K, s, "{\"pointcloud\":{}}", "/data/pointcloud/media_id");
    answer_case(K, s, data, "{\"objects\":[{\"class\":\"Car\",\"center\":[10.5,-2,0.8],\"size\":[4.2,1.8,1.5],\"yaw\":0.3}]}", NULL);
    answer_case(K, s, data, "{\"objects\":[{\"class\":\"Car\",\"center\":[10.5,-2],\"size\":[4.2,1.8,1.5],\"yaw\":0.3}]}",
                "/answer/objects/0/center");
    answer_case(K, s, data, "{\"objects\":[{\"class\":\"Car\",\"center\":[1,2,3],\"size\":[4.2,0,1.5],\"yaw\":0.3}]}",
                "/answer/objects/0/size");
    answer_case(K, s, data, "{\"objects\":[{\"class\":\"Car\",\"center\":[1,2,3],\"size\":[1,1,1],\"yaw\":4}]}",
                "/answer/objects/0/yaw");
    answer_case(K, s, data, "{\"objects\":[{\"class\":\"Van\",\"center\":[1,2,3],\"size\":[1,1,1],\"yaw\":0}]}",
                "/answer/objects/0/class");
    json_decref(s);
}

static void test_comparison(void **state)
{
    (void)state;
    enum project_kind K = KIND_LLM_COMPARISON;
    json_t *s = schema_case(K, "{\"allow_tie\":false,\"criteria\":[\"helpful\",\"honest\"],\"rationale_min_chars\":10}", NULL);
    const char *data = "{\"prompt\":\"Say hi\",\"responses\":[{\"id\":\"a\",\"text\":\"Hi\"},{\"id\":\"b\",\"text\":\"Hello\"}]}";
    data_case(K, s, "{\"prompt\":\"p\",\"responses\":[{\"id\":\"a\",\"text\":\"x\"}]}", "/data/responses");
    data_case(K, s, "{\"prompt\":\"p\",\"responses\":[{\"id\":\"a\",\"text\":\"x\"},{\"id\":\"a\",\"text\":\"y\"}]}",
              "/data/responses/1/id");
    const char *ratings = "\"ratings\":{\"a\":{\"helpful\":4,\"honest\":5},\"b\":{\"helpful\":2,\"honest\":5}}";
    char a[512];
    snprintf(a, sizeof a, "{\"preference\":{\"choice\":\"a\",\"strength\":6},%s,\"rationale\":\"A is warmer and shorter.\"}", ratings);
    answer_case(K, s, data, a, NULL);
    snprintf(a, sizeof a, "{\"preference\":{\"choice\":\"tie\",\"strength\":4},%s,\"rationale\":\"Both are equally fine.\"}", ratings);
    answer_case(K, s, data, a, "/answer/preference/choice");
    snprintf(a, sizeof a, "{\"preference\":{\"choice\":\"a\",\"strength\":8},%s,\"rationale\":\"A is warmer and shorter.\"}", ratings);
    answer_case(K, s, data, a, "/answer/preference/strength");
    snprintf(a, sizeof a, "{\"preference\":{\"choice\":\"a\",\"strength\":2},%s,\"rationale\":\"short\"}", ratings);
    answer_case(K, s, data, a, "/answer/rationale");
    answer_case(K, s, data, "{\"preference\":{\"choice\":\"a\",\"strength\":2},\"ratings\":{\"a\":{\"helpful\":4,\"honest\":5},"
                            "\"b\":{\"helpful\":0,\"honest\":5}},\"rationale\":\"long enough text\"}",
                "/answer/ratings/b/helpful");
    json_decref(s);
}

static void test_free_text(void **state)
{
    (void)state;
    enum project_kind K = KIND_FREE_TEXT;
    schema_case(K, "{\"min_chars\":10,\"max_chars\":5}", "/schema/max_chars");
    json_t *s = schema_case(K, "{\"min_chars\":2,\"max_chars\":5}", NULL);
    answer_case(K, s, "{}", "{\"text\":\"h\\u00e9llo\"}", NULL); /* 5 code points, 6 bytes */
    answer_case(K, s, "{}", "{\"text\":\"h\"}", "/answer/text");
    answer_case(K, s, "{}", "{\"text\":\"hello!\"}", "/answer/text");
    answer_case(K, s, "{}", "{\"text\":\"ok\",\"x\":1}", "/answer/x");
    json_decref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds),      cmocka_unit_test(test_spans),      cmocka_unit_test(test_image),
        cmocka_unit_test(test_polygon_simple), cmocka_unit_test(test_lidar), cmocka_unit_test(test_comparison),
        cmocka_unit_test(test_free_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
