/* Unit tests for core/gold.h: every kind's score, pass mark and the explanation the worker sees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "core/gold.h"

#define NEAR(a, b, eps)                                                                                              \
    do {                                                                                                             \
        double a_ = (a), b_ = (b);                                                                                   \
        if (!(fabs(a_ - b_) <= (eps))) fail_msg("%s = %.12g, want %.12g (±%g)", #a, a_, b_, (double)(eps));        \
    } while (0)

static json_t *J(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);
    if (!j) fail_msg("bad test JSON %s: %s", text, err.text);
    return j;
}

/* Scores answer against expected and checks score, pass and explanation. */
static void check(enum project_kind k, const char *schema, const char *expected, const char *answer,
                  const struct gold_params *p, double score, bool passed, const char *explanation)
{
    json_t *s = J(schema), *e = J(expected), *a = J(answer);
    struct gold_result r;
    assert_true(gold_score(k, s, e, a, p, &r));
    if (!r.scorable) fail_msg("%s: not scorable (%s)", answer, r.explanation);
    if (fabs(r.score - score) > 1e-9) fail_msg("%s: score %.12g, want %.12g", answer, r.score, score);
    if (r.passed != passed) fail_msg("%s: passed %d, want %d", answer, r.passed, passed);
    if (strcmp(r.explanation, explanation)) fail_msg("%s:\n  got  %s\n  want %s", answer, r.explanation, explanation);
    json_decref(s);
    json_decref(e);
    json_decref(a);
}

static void test_classification_single(void **state)
{
    (void)state;
    const char *schema = "{\"labels\":[\"positive\",\"negative\"],\"multiple\":false}";
    check(KIND_TEXT_CLASSIFICATION, schema, "{\"label\":\"positive\"}", "{\"label\":\"positive\"}", NULL, 1, true,
          "correct: \"positive\"");
    check(KIND_TEXT_CLASSIFICATION, schema, "{\"label\":\"negative\"}", "{\"label\":\"positive\"}", NULL, 0, false,
          "expected label \"negative\", you chose \"positive\"");
}

static void test_classification_multi(void **state)
{
    (void)state;
    const char *schema = "{\"labels\":[\"a\",\"b\",\"c\"],\"multiple\":true}";
    check(KIND_TEXT_CLASSIFICATION, schema, "{\"labels\":[\"a\",\"b\"]}", "{\"labels\":[\"b\",\"a\"]}", NULL, 1, true,
          "correct: \"a\", \"b\"");
    /* Jaccard {a,b} vs {a,c}: 1 of 3. */
    check(KIND_TEXT_CLASSIFICATION, schema, "{\"labels\":[\"a\",\"b\"]}", "{\"labels\":[\"a\",\"c\"]}", NULL, 1 / 3.0,
          false, "expected labels \"a\", \"b\"; you chose \"a\", \"c\" (missed \"b\"; not expected \"c\")");
    check(KIND_TEXT_CLASSIFICATION, schema, "{\"labels\":[\"a\",\"b\"]}", "{\"labels\":[\"a\",\"c\"]}",
          &(struct gold_params){.pass_score = 0.3}, 1 / 3.0, true,
          "expected labels \"a\", \"b\"; you chose \"a\", \"c\" (missed \"b\"; not expected \"c\")");
    check(KIND_TEXT_CLASSIFICATION, schema, "{\"labels\":[\"a\",\"b\"]}", "{\"labels\":[\"a\"]}", NULL, 0.5, false,
          "expected labels \"a\", \"b\"; you chose \"a\" (missed \"b\")");
    check(KIND_TEXT_CLASSIFICATION, schema, "{\"labels\":[\"a\"]}", "{\"labels\":[\"a\",\"b\",\"c\"]}", NULL, 1 / 3.0,
          false, "expected labels \"a\"; you chose \"a\", \"b\", \"c\" (not expected \"b\", \"c\")");
}

static void test_spans(void **state)
{
    (void)state;
    const char *schema = "{\"entities\":[\"PER\",\"LOC\"]}";
    /* "Łukasz lives in Kraków with Zoë." in code points: Łukasz 0–6, Kraków 16–22, Zoë 28–31. */
    const char *expected = "{\"spans\":[{\"start\":0,\"end\":6,\"label\":\"PER\"},{\"start\":16,\"end\":22,\"label\":\"LOC\"},"
                           "{\"start\":28,\"end\":31,\"label\":\"PER\"}]}";
    const char *answer = "{\"spans\":[{\"start\":16,\"end\":21,\"label\":\"LOC\"},{\"start\":0,\"end\":6,\"label\":\"PER\"}]}";
    /* F1 = 2·1 / (3 + 2). */
    check(KIND_TEXT_SPANS, schema, expected, answer, NULL, 0.4, false,
          "1 of 3 spans matched exactly; missed: LOC at 16\xe2\x80\x93" "22, PER at 28\xe2\x80\x93" "31; extra: LOC at "
          "16\xe2\x80\x93" "21");
    json_t *data = json_pack("{s:s}", "text", "\xc5\x81ukasz lives in Krak\xc3\xb3w with Zo\xc3\xab.");
    check(KIND_TEXT_SPANS, schema, expected, answer, &(struct gold_params){.data = data}, 0.4, false,
          "1 of 3 spans matched exactly; missed: LOC \"Krak\xc3\xb3w\", PER \"Zo\xc3\xab\"; extra: LOC \"Krak\xc3\xb3\"");
    json_decref(data);
    check(KIND_TEXT_SPANS, schema, expected, expected, NULL, 1, true, "all 3 spans matched exactly");
    check(KIND_TEXT_SPANS, schema, "{\"spans\":[]}", "{\"spans\":[]}", NULL, 1, true, "correct: no spans");
    /* The same span twice in the answer matches once. */
    check(KIND_TEXT_SPANS, schema, "{\"spans\":[{\"start\":0,\"end\":6,\"label\":\"PER\"}]}",
          "{\"spans\":[{\"start\":0,\"end\":6,\"label\":\"PER\"},{\"start\":0,\"end\":6,\"label\":\"PER\"}]}", NULL,
          2 / 3.0, false, "1 of 1 span matched exactly; extra: PER at 0\xe2\x80\x93" "6");
}

static const char *image_schema = "{\"classes\":[{\"name\":\"car\",\"tools\":[\"bbox\",\"polygon\"]},"
                                  "{\"name\":\"person\",\"tools\":[\"bbox\",\"keypoints\"],"
                                  "\"skeleton\":{\"points\":[\"a\",\"b\",\"c\"]}}]}";

static void test_boxes(void **state)
{
    (void)state;
    const char *expected = "{\"objects\":[{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[10,10,100,50]},"
                           "{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[300,10,80,40]},"
                           "{\"class\":\"person\",\"type\":\"bbox\",\"bbox\":[200,200,30,80]}]}";
    check(KIND_IMAGE_ANNOTATION, image_schema, expected, expected, NULL, 1, true, "all 3 boxes matched (IoU \xe2\x89\xa5 0.5)");
    /* Both cars; the person drawn 15 px off (IoU 1/3) is a miss and an extra. */
    const char *answer = "{\"objects\":[{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[305,12,80,40]},"
                         "{\"class\":\"person\",\"type\":\"bbox\",\"bbox\":[215,200,30,80]},"
                         "{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[12,10,100,50]}]}";
    check(KIND_IMAGE_ANNOTATION, image_schema, expected, answer, NULL, 2 / 3.0, false,
          "2 of 3 boxes matched (IoU \xe2\x89\xa5 0.5); missed: person (best IoU 0.33); extra: person");
    /* At a threshold of 0.3 it matches. */
    check(KIND_IMAGE_ANNOTATION, image_schema, expected, answer, &(struct gold_params){.iou_threshold = 0.3}, 1, true,
          "all 3 boxes matched (IoU \xe2\x89\xa5 0.3)");
    /* A box of the wrong class is not a match. */
    check(KIND_IMAGE_ANNOTATION, image_schema, "{\"objects\":[{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[0,0,10,10]}]}",
          "{\"objects\":[{\"class\":\"person\",\"type\":\"bbox\",\"bbox\":[0,0,10,10]}]}", NULL, 0, false,
          "0 of 1 box matched (IoU \xe2\x89\xa5 0.5); missed: car; extra: person");
    check(KIND_IMAGE_ANNOTATION, image_schema, "{\"objects\":[{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[0,0,10,10]}]}",
          "{\"objects\":[{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[1,0,10,10]}]}", NULL, 1, true,
          "the box matched (IoU \xe2\x89\xa5 0.5)");
    check(KIND_IMAGE_ANNOTATION, image_schema, "{\"objects\":[]}", "{\"objects\":[]}", NULL, 1, true, "correct: no objects");
    check(KIND_IMAGE_ANNOTATION, image_schema, "{\"objects\":[]}",
          "{\"objects\":[{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[0,0,10,10]},"
          "{\"class\":\"person\",\"type\":\"bbox\",\"bbox\":[20,0,10,10]}]}",
          NULL, 0, false, "no objects expected, you drew 2: car, person");
    check(KIND_IMAGE_ANNOTATION, image_schema, expected, "{\"objects\":[]}", NULL, 0, false,
          "0 of 3 boxes matched (IoU \xe2\x89\xa5 0.5); missed: car, car, person");
}

static void test_polygons_and_keypoints(void **state)
{
    (void)state;
    /* A concave U; moved right by 1 its IoU is 1/6. */
    const char *u = "{\"objects\":[{\"class\":\"car\",\"type\":\"polygon\",\"points\":[[0,0],[3,0],[3,3],[2,3],[2,1],[1,1],[1,3],[0,3]]}]}";
    const char *u1 = "{\"objects\":[{\"class\":\"car\",\"type\":\"polygon\",\"points\":[[1,0],[4,0],[4,3],[3,3],[3,1],[2,1],[2,3],[1,3]]}]}";
    check(KIND_IMAGE_ANNOTATION, image_schema, u, u, NULL, 1, true, "the polygon matched (IoU \xe2\x89\xa5 0.5)");
    check(KIND_IMAGE_ANNOTATION, image_schema, u, u1, NULL, 0, false,
          "0 of 1 polygon matched (IoU \xe2\x89\xa5 0.5); missed: car (best IoU 0.17); extra: car");
    /* Keypoints by OKS against the expected: one point of three missing gives 2/3. */
    const char *kp = "{\"objects\":[{\"class\":\"person\",\"type\":\"keypoints\",\"keypoints\":[[100,100,2],[200,100,2],[150,180,2]]}]}";
    const char *kp2 = "{\"objects\":[{\"class\":\"person\",\"type\":\"keypoints\",\"keypoints\":[[100,100,2],[200,100,2],[0,0,0]]}]}";
    check(KIND_IMAGE_ANNOTATION, image_schema, kp, kp2, NULL, 1, true, "the keypoint set matched (OKS \xe2\x89\xa5 0.5)");
    check(KIND_IMAGE_ANNOTATION, image_schema, kp, kp2, &(struct gold_params){.iou_threshold = 0.7}, 0, false,
          "0 of 1 keypoint set matched (OKS \xe2\x89\xa5 0.7); missed: person (best OKS 0.67); extra: person");
    /* Mixed types name objects and both measures. */
    const char *mixed = "{\"objects\":[{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[0,0,10,10]},"
                        "{\"class\":\"person\",\"type\":\"keypoints\",\"keypoints\":[[100,100,2],[200,100,2],[150,180,2]]}]}";
    check(KIND_IMAGE_ANNOTATION, image_schema, mixed, kp, NULL, 2 / 3.0, false,
          "1 of 2 objects matched (IoU/OKS \xe2\x89\xa5 0.5); missed: car");
}

static void test_cuboids(void **state)
{
    (void)state;
    const char *schema = "{\"classes\":[{\"name\":\"Car\"}]}";
    const char *expected = "{\"objects\":[{\"class\":\"Car\",\"center\":[0,0,0],\"size\":[4,2,1.5],\"yaw\":0}]}";
    /* Moved 1 m along its length: 3D IoU 3/5. */
    const char *moved = "{\"objects\":[{\"class\":\"Car\",\"center\":[1,0,0],\"size\":[4,2,1.5],\"yaw\":0}]}";
    check(KIND_LIDAR_CUBOIDS, schema, expected, moved, NULL, 1, true, "the cuboid matched (3D IoU \xe2\x89\xa5 0.5)");
    check(KIND_LIDAR_CUBOIDS, schema, expected, moved, &(struct gold_params){.iou_threshold = 0.7}, 0, false,
          "0 of 1 cuboid matched (3D IoU \xe2\x89\xa5 0.7); missed: Car (best 3D IoU 0.60); extra: Car");
    /* The heading flipped by π is the same box; raised by its full height it shares no volume. */
    check(KIND_LIDAR_CUBOIDS, schema, expected,
          "{\"objects\":[{\"class\":\"Car\",\"center\":[0,0,0],\"size\":[4,2,1.5],\"yaw\":3.141592653589793}]}",
          &(struct gold_params){.iou_threshold = 0.7}, 1, true, "the cuboid matched (3D IoU \xe2\x89\xa5 0.7)");
    check(KIND_LIDAR_CUBOIDS, schema, expected,
          "{\"objects\":[{\"class\":\"Car\",\"center\":[0,0,1.5],\"size\":[4,2,1.5],\"yaw\":0}]}", NULL, 0, false,
          "0 of 1 cuboid matched (3D IoU \xe2\x89\xa5 0.5); missed: Car; extra: Car");
}

static void test_comparison(void **state)
{
    (void)state;
    const char *schema = "{\"allow_tie\":true,\"criteria\":[]}";
    const char *a = "{\"preference\":{\"choice\":\"a\",\"strength\":3}}";
    const char *b = "{\"preference\":{\"choice\":\"b\",\"strength\":5}}";
    const char *tie = "{\"preference\":{\"choice\":\"tie\",\"strength\":1}}";
    check(KIND_LLM_COMPARISON, schema, a, a, NULL, 1, true, "correct: you preferred \"a\"");
    check(KIND_LLM_COMPARISON, schema, a, b, NULL, 0, false, "expected \"a\" to be preferred, you chose \"b\"");
    check(KIND_LLM_COMPARISON, schema, a, tie, NULL, 0.5, false,
          "expected \"a\" to be preferred, you chose a tie (half credit)");
    check(KIND_LLM_COMPARISON, schema, a, tie, &(struct gold_params){.pass_score = 0.5}, 0.5, true,
          "expected \"a\" to be preferred, you chose a tie (half credit)");
    check(KIND_LLM_COMPARISON, schema, a, tie, &(struct gold_params){.tie_no_credit = true}, 0, false,
          "expected \"a\" to be preferred, you chose a tie (no credit)");
    check(KIND_LLM_COMPARISON, schema, tie, a, NULL, 0.5, false, "expected a tie, you preferred \"a\" (half credit)");
    check(KIND_LLM_COMPARISON, schema, tie, tie, NULL, 1, true, "correct: a tie");
}

static void test_not_scorable(void **state)
{
    (void)state;
    json_t *s = J("{\"min_chars\":1,\"max_chars\":100}"), *e = J("{\"text\":\"hello\"}");
    struct gold_result r;
    assert_true(gold_score(KIND_FREE_TEXT, s, e, e, NULL, &r));
    assert_false(r.scorable);
    assert_false(r.passed);
    assert_string_equal(r.explanation, "free-text answers are not scored automatically");
    json_decref(s);
    json_decref(e);

    /* An expected answer that cannot be read is not scorable either, and is not an error. */
    s = J("{\"labels\":[\"x\",\"y\"],\"multiple\":false}");
    e = J("{}");
    json_t *a = J("{\"label\":\"x\"}");
    assert_true(gold_score(KIND_TEXT_CLASSIFICATION, s, e, a, NULL, &r));
    assert_false(r.scorable);
    assert_string_equal(r.explanation, "this gold task's expected answer cannot be compared");
    assert_true(gold_score(KIND_IMAGE_ANNOTATION, s, e, a, NULL, &r));
    assert_false(r.scorable);
    assert_true(gold_score(KIND_TEXT_CLASSIFICATION, s, NULL, a, NULL, &r));
    assert_false(r.scorable);
    json_decref(s);
    json_decref(e);
    json_decref(a);
}

static bool valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int more = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2 : (*p & 0xF8) == 0xF0 ? 3 : -1;
        if (more < 0) return false;
        p++;
        for (; more; more--, p++)
            if ((*p & 0xC0) != 0x80) return false;
    }
    return true;
}

static void test_long_explanations_are_cut(void **state)
{
    (void)state;
    /* 40 missed boxes of a class with a long non-ASCII name. */
    char name[201] = "";
    for (int i = 0; i < 25; i++) strcat(name, "\xc5\xbc\xc3\xb3\xc5\x82\xc4\x87"); /* żółć */
    json_t *objs = json_array();
    for (int i = 0; i < 40; i++)
        json_array_append_new(objs, json_pack("{s:s, s:s, s:[i,i,i,i]}", "class", name, "type", "bbox", "bbox", i * 20, 0, 10, 10));
    json_t *e = json_pack("{s:o}", "objects", objs), *a = J("{\"objects\":[]}"), *s = J("{}");
    struct gold_result r;
    assert_true(gold_score(KIND_IMAGE_ANNOTATION, s, e, a, NULL, &r));
    assert_true(r.scorable);
    NEAR(r.score, 0, 0);
    size_t len = strlen(r.explanation);
    assert_true(len < GOLD_EXPLANATION_MAX && len > 400);
    assert_true(valid_utf8(r.explanation));
    assert_string_equal(r.explanation + len - 3, "\xe2\x80\xa6");
    assert_memory_equal(r.explanation, "0 of 40 boxes matched", 21);

    /* gold_explain into a small buffer, cut inside "żółć". */
    json_t *ls = J("{\"labels\":[\"\xc5\xbc\xc3\xb3\xc5\x82\xc4\x87\",\"x\"]}"), *le = J("{\"label\":\"\xc5\xbc\xc3\xb3\xc5\x82\xc4\x87\"}"),
           *la = J("{\"label\":\"x\"}");
    char buf[22];
    gold_explain(KIND_TEXT_CLASSIFICATION, ls, le, la, NULL, buf, sizeof buf);
    assert_true(valid_utf8(buf));
    assert_true(strlen(buf) < sizeof buf);
    assert_string_equal(buf, "expected label \"\xc5\xbc\xe2\x80\xa6");
    char big[200];
    assert_string_equal(gold_explain(KIND_TEXT_CLASSIFICATION, ls, le, la, NULL, big, sizeof big),
                        "expected label \"\xc5\xbc\xc3\xb3\xc5\x82\xc4\x87\", you chose \"x\"");
    json_decref(ls), json_decref(le), json_decref(la);
    json_decref(e), json_decref(a), json_decref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classification_single),
        cmocka_unit_test(test_classification_multi),
        cmocka_unit_test(test_spans),
        cmocka_unit_test(test_boxes),
        cmocka_unit_test(test_polygons_and_keypoints),
        cmocka_unit_test(test_cuboids),
        cmocka_unit_test(test_comparison),
        cmocka_unit_test(test_not_scorable),
        cmocka_unit_test(test_long_explanations_are_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
