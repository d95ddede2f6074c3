/* Unit tests for core/aggregate_geo.h: box, polygon, keypoint and cuboid clusters, the span token
 * vote on non-ASCII text, Bradley–Terry, preference and free-text results, pairwise IoU. */
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

#include "core/aggregate_geo.h"

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

static double num(json_t *arr, size_t i) { return json_number_value(json_array_get(arr, i)); }
static json_t *obj(const struct agg_geo_result *r, size_t i) { return json_array_get(json_object_get(r->answer, "objects"), i); }

static void free_answers(struct agg_geo_answer *a, size_t n)
{
    for (size_t i = 0; i < n; i++) json_decref(a[i].answer);
}

/* ---- boxes ---- */

static void test_boxes_missing_and_extra(void **state)
{
    (void)state;
    /* Three workers; the third misses the person and adds a spurious car far away. */
    struct agg_geo_answer a[3] = {
        {J("{\"objects\":[{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[10,10,100,50]},"
           "{\"class\":\"person\",\"type\":\"bbox\",\"bbox\":[200,200,30,80]}]}"), 1},
        {J("{\"objects\":[{\"class\":\"person\",\"type\":\"bbox\",\"bbox\":[202,198,30,80]},"
           "{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[12,8,100,54]}]}"), 1},
        {J("{\"objects\":[{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[8,12,100,46]},"
           "{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[400,300,40,40]}]}"), 1},
    };
    struct agg_geo_result r;
    assert_true(agg_objects(KIND_IMAGE_ANNOTATION, a, 3, NULL, &r));
    assert_string_equal(r.method, "iou_cluster");
    assert_int_equal(json_array_size(json_object_get(r.answer, "objects")), 2);
    assert_int_equal(r.n_items, 2);
    /* The car: every worker, coordinates averaged. */
    json_t *car = obj(&r, 0), *b = json_object_get(car, "bbox");
    assert_string_equal(json_string_value(json_object_get(car, "class")), "car");
    assert_string_equal(json_string_value(json_object_get(car, "type")), "bbox");
    NEAR(num(b, 0), 10, 1e-12);
    NEAR(num(b, 1), 10, 1e-12);
    NEAR(num(b, 2), 100, 1e-12);
    NEAR(num(b, 3), 50, 1e-12);
    double mean_car = (geo_box_iou((double[]){10, 10, 100, 50}, (double[]){10, 10, 100, 50}) +
                       geo_box_iou((double[]){12, 8, 100, 54}, (double[]){10, 10, 100, 50}) +
                       geo_box_iou((double[]){8, 12, 100, 46}, (double[]){10, 10, 100, 50})) / 3;
    NEAR(r.item_confidence[0], mean_car, 1e-12);
    /* The person: two of three, averaged over those two. */
    json_t *person = obj(&r, 1);
    b = json_object_get(person, "bbox");
    assert_string_equal(json_string_value(json_object_get(person, "class")), "person");
    NEAR(num(b, 0), 201, 1e-12);
    NEAR(num(b, 1), 199, 1e-12);
    double iou_p = geo_box_iou((double[]){200, 200, 30, 80}, (double[]){201, 199, 30, 80});
    NEAR(r.item_confidence[1], 2.0 / 3.0 * iou_p, 1e-12);
    /* The spurious car is dropped; it still lowers the task's confidence (1 − 1/3 for it). */
    json_t *d = r.details;
    assert_int_equal(json_integer_value(json_object_get(d, "dropped")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(d, "objects"), 0), "votes")), 3);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(d, "objects"), 1), "votes")), 2);
    NEAR(r.confidence, (mean_car + 2.0 / 3.0 * iou_p + 2.0 / 3.0) / 3, 1e-12);
    agg_geo_result_free(&r);

    /* Requiring all three workers keeps the car only. */
    assert_true(agg_objects(KIND_IMAGE_ANNOTATION, a, 3, &(struct agg_geo_opts){.min_votes = 3}, &r));
    assert_int_equal(r.n_items, 1);
    assert_string_equal(json_string_value(json_object_get(obj(&r, 0), "class")), "car");
    agg_geo_result_free(&r);
    free_answers(a, 3);
}

static void test_boxes_weighted(void **state)
{
    (void)state;
    struct agg_geo_answer a[3] = {
        {J("{\"objects\":[{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[10,10,100,50],\"id\":\"p1\","
           "\"attributes\":{\"occluded\":true,\"colour\":\"red\"}}]}"), 0.9},
        {J("{\"objects\":[{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[20,10,100,50],\"id\":\"p1\","
           "\"attributes\":{\"occluded\":false,\"colour\":\"red\"}}]}"), 0.6},
        {J("{\"objects\":[{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[16,10,100,60],"
           "\"attributes\":{\"occluded\":false}}]}"), 0.5},
    };
    struct agg_geo_result r;
    assert_true(agg_objects(KIND_IMAGE_ANNOTATION, a, 3, NULL, &r));
    json_t *car = obj(&r, 0), *b = json_object_get(car, "bbox");
    NEAR(num(b, 0), (0.9 * 10 + 0.6 * 20 + 0.5 * 16) / 2.0, 1e-12);
    NEAR(num(b, 3), (0.9 * 50 + 0.6 * 50 + 0.5 * 60) / 2.0, 1e-12);
    /* Attributes by weight: false 1.1 beats true 0.9; colour set by 1.5 of 2.0. The id by 1.5. */
    json_t *attrs = json_object_get(car, "attributes");
    assert_true(json_is_false(json_object_get(attrs, "occluded")));
    assert_string_equal(json_string_value(json_object_get(attrs, "colour")), "red");
    assert_string_equal(json_string_value(json_object_get(car, "id")), "p1");
    agg_geo_result_free(&r);

    /* A worker of weight 0 still counts as a vote but moves nothing; all-zero weights count equally. */
    a[0].weight = a[1].weight = a[2].weight = 0;
    assert_true(agg_objects(KIND_IMAGE_ANNOTATION, a, 3, NULL, &r));
    NEAR(num(json_object_get(obj(&r, 0), "bbox"), 0), (10 + 20 + 16) / 3.0, 1e-12);
    agg_geo_result_free(&r);
    free_answers(a, 3);
}

static void test_boxes_classes_and_empty(void **state)
{
    (void)state;
    /* Same place, different classes: never one cluster. */
    struct agg_geo_answer a[2] = {
        {J("{\"objects\":[{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[0,0,10,10]}]}"), 1},
        {J("{\"objects\":[{\"class\":\"truck\",\"type\":\"bbox\",\"bbox\":[0,0,10,10]}]}"), 1},
    };
    struct agg_geo_result r;
    assert_true(agg_objects(KIND_IMAGE_ANNOTATION, a, 2, &(struct agg_geo_opts){.min_votes = 1}, &r));
    assert_int_equal(r.n_items, 2);
    NEAR(r.item_confidence[0], 0.5, 1e-12);
    agg_geo_result_free(&r);
    free_answers(a, 2);

    /* Everyone agrees there is nothing. */
    struct agg_geo_answer e[2] = {{J("{\"objects\":[]}"), 1}, {J("{\"objects\":[]}"), 1}};
    assert_true(agg_objects(KIND_IMAGE_ANNOTATION, e, 2, NULL, &r));
    assert_int_equal(json_array_size(json_object_get(r.answer, "objects")), 0);
    NEAR(r.confidence, 1, 0);
    json_t *j = agg_geo_result_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "method")), "iou_cluster");
    assert_non_null(json_object_get(j, "answer"));
    json_decref(j);
    agg_geo_result_free(&r);
    free_answers(e, 2);

    /* No answers. */
    assert_true(agg_objects(KIND_IMAGE_ANNOTATION, NULL, 0, NULL, &r));
    NEAR(r.confidence, 0, 0);
    agg_geo_result_free(&r);
}

/* ---- polygons and keypoints ---- */

static void test_polygons_aligned_and_medoid(void **state)
{
    (void)state;
    /* The same square drawn from different corners and in both orientations. */
    struct agg_geo_answer a[3] = {
        {J("{\"objects\":[{\"class\":\"roof\",\"type\":\"polygon\",\"points\":[[0,0],[10,0],[10,10],[0,10]]}]}"), 1},
        {J("{\"objects\":[{\"class\":\"roof\",\"type\":\"polygon\",\"points\":[[12,10],[12,0],[2,0],[2,10]]}]}"), 1},
        {J("{\"objects\":[{\"class\":\"roof\",\"type\":\"polygon\",\"points\":[[1,11],[1,1],[11,1],[11,11]]}]}"), 1},
    };
    struct agg_geo_result r;
    assert_true(agg_objects(KIND_IMAGE_ANNOTATION, a, 3, NULL, &r));
    assert_int_equal(r.n_items, 1);
    json_t *pts = json_object_get(obj(&r, 0), "points");
    assert_int_equal(json_array_size(pts), 4);
    /* Aligned to the first: vertex k is the mean of the three corners nearest its corner. */
    double want[4][2] = {{1, 1 / 3.0}, {11, 1 / 3.0}, {11, 31 / 3.0}, {1, 31 / 3.0}};
    for (size_t k = 0; k < 4; k++) {
        NEAR(num(json_array_get(pts, k), 0), want[k][0], 1e-12);
        NEAR(num(json_array_get(pts, k), 1), want[k][1], 1e-12);
    }
    agg_geo_result_free(&r);
    free_answers(a, 3);

    /* Different vertex counts (extra points on the edges): the member with the highest summed IoU
     * to the others (the middle one) is kept as it is. */
    struct agg_geo_answer b[3] = {
        {J("{\"objects\":[{\"class\":\"roof\",\"type\":\"polygon\",\"points\":[[0,0],[10,0],[10,10],[0,10]]}]}"), 1},
        {J("{\"objects\":[{\"class\":\"roof\",\"type\":\"polygon\",\"points\":[[1,0],[6,0],[11,0],[11,10],[1,10]]}]}"), 1},
        {J("{\"objects\":[{\"class\":\"roof\",\"type\":\"polygon\",\"points\":[[2,0],[7,0],[12,0],[12,5],[12,10],[2,10]]}]}"), 1},
    };
    assert_true(agg_objects(KIND_IMAGE_ANNOTATION, b, 3, NULL, &r));
    assert_int_equal(r.n_items, 1);
    assert_true(json_equal(json_object_get(obj(&r, 0), "points"),
                           json_object_get(json_array_get(json_object_get(b[1].answer, "objects"), 0), "points")));
    NEAR(r.item_confidence[0], (1 + 90.0 / 110.0 + 90.0 / 110.0) / 3, 1e-12);
    agg_geo_result_free(&r);
    free_answers(b, 3);
}

static void test_keypoints(void **state)
{
    (void)state;
    struct agg_geo_answer a[3] = {
        {J("{\"objects\":[{\"class\":\"person\",\"type\":\"keypoints\",\"keypoints\":[[100,100,2],[200,100,2],[150,180,1]]}]}"), 1},
        {J("{\"objects\":[{\"class\":\"person\",\"type\":\"keypoints\",\"keypoints\":[[104,100,2],[204,104,2],[0,0,0]]}]}"), 1},
        {J("{\"objects\":[{\"class\":\"person\",\"type\":\"keypoints\",\"keypoints\":[[102,102,2],[202,102,1],[0,0,0]]}]}"), 1},
    };
    struct agg_geo_result r;
    assert_true(agg_objects(KIND_IMAGE_ANNOTATION, a, 3, NULL, &r));
    assert_int_equal(r.n_items, 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(r.details, "objects"), 0), "votes")), 3);
    json_t *kp = json_object_get(obj(&r, 0), "keypoints");
    assert_int_equal(json_array_size(kp), 3);
    /* Point 0: all three, visible. Point 1: all three, visible outweighs occluded 2:1. Point 2: one
     * worker of three, so not labelled. */
    NEAR(num(json_array_get(kp, 0), 0), 102, 1e-12);
    NEAR(num(json_array_get(kp, 0), 1), 302 / 3.0, 1e-12);
    assert_int_equal(json_integer_value(json_array_get(json_array_get(kp, 0), 2)), 2);
    NEAR(num(json_array_get(kp, 1), 0), 202, 1e-12);
    NEAR(num(json_array_get(kp, 1), 1), 102, 1e-12);
    assert_int_equal(json_integer_value(json_array_get(json_array_get(kp, 1), 2)), 2);
    assert_int_equal(json_integer_value(json_array_get(json_array_get(kp, 2), 2)), 0);
    assert_true(r.item_confidence[0] > 0.5 && r.item_confidence[0] <= 1);
    agg_geo_result_free(&r);
    free_answers(a, 3);
}

/* ---- cuboids ---- */

static json_t *cuboid_answer(double x, double y, double z, double l, double w, double h, double yaw)
{
    return json_pack("{s:[{s:s, s:[f,f,f], s:[f,f,f], s:f}]}", "objects", "class", "Car", "center", x, y, z, "size", l,
                     w, h, "yaw", yaw);
}

static void test_cuboids_yaw_near_pi(void **state)
{
    (void)state;
    struct agg_geo_answer a[3] = {
        {cuboid_answer(10, 5, 1, 4, 2, 1.5, 3.10), 1},
        {cuboid_answer(10.2, 5.1, 1.1, 4.2, 2, 1.5, -3.10), 1},
        {cuboid_answer(9.9, 4.9, 0.9, 4.1, 1.9, 1.6, 3.12), 1},
    };
    struct agg_geo_result r;
    assert_true(agg_objects(KIND_LIDAR_CUBOIDS, a, 3, NULL, &r));
    assert_int_equal(r.n_items, 1);
    json_t *o = obj(&r, 0);
    NEAR(num(json_object_get(o, "center"), 0), (10 + 10.2 + 9.9) / 3, 1e-12);
    NEAR(num(json_object_get(o, "center"), 2), 1, 1e-12);
    NEAR(num(json_object_get(o, "size"), 0), (4 + 4.2 + 4.1) / 3, 1e-12);
    NEAR(num(json_object_get(o, "size"), 2), (1.5 + 1.5 + 1.6) / 3, 1e-12);
    /* The circular mean stays near π (an arithmetic mean would give about 1.04). */
    double yaw = json_number_value(json_object_get(o, "yaw"));
    NEAR(yaw, atan2(sin(3.10) + sin(-3.10) + sin(3.12), cos(3.10) + cos(-3.10) + cos(3.12)), 1e-12);
    NEAR(yaw, 3.1344, 1e-3);
    assert_true(r.confidence > 0.8 && r.confidence <= 1);
    agg_geo_result_free(&r);
    free_answers(a, 3);
}

static void test_cuboids_heading_flip(void **state)
{
    (void)state;
    /* yaw and yaw − π are the same box; the two lighter workers drew the other heading. */
    struct agg_geo_answer a[3] = {
        {cuboid_answer(0, 0, 0, 4, 2, 1.5, 0.10), 1.0},
        {cuboid_answer(0, 0, 0, 4, 2, 1.5, 0.10 - M_PI), 0.8},
        {cuboid_answer(0, 0, 0, 4, 2, 1.5, 0.12 - M_PI), 0.8},
    };
    struct agg_geo_result r;
    assert_true(agg_objects(KIND_LIDAR_CUBOIDS, a, 3, NULL, &r));
    assert_int_equal(r.n_items, 1);
    double m = atan2(1.8 * sin(0.10) + 0.8 * sin(0.12), 1.8 * cos(0.10) + 0.8 * cos(0.12));
    /* Aligned they average near 0.1; the flipped side weighs 1.6 of 2.6, so the heading follows it. */
    NEAR(json_number_value(json_object_get(obj(&r, 0), "yaw")), m - M_PI, 1e-12);
    /* Confidence: full support × mean BEV IoU with the merged box (only the 0.02 rad turn differs). */
    struct geo_cuboid merged = {{0, 0, 0}, {4, 2, 1.5}, m - M_PI}, c0 = {{0, 0, 0}, {4, 2, 1.5}, 0.10},
                      c2 = {{0, 0, 0}, {4, 2, 1.5}, 0.12};
    NEAR(r.item_confidence[0], (2 * geo_cuboid_bev_iou(&merged, &c0) + geo_cuboid_bev_iou(&merged, &c2)) / 3, 1e-12);
    agg_geo_result_free(&r);

    /* With the heavier side unflipped, the heading stays. */
    a[1].weight = a[2].weight = 0.4;
    assert_true(agg_objects(KIND_LIDAR_CUBOIDS, a, 3, NULL, &r));
    m = atan2(1.4 * sin(0.10) + 0.4 * sin(0.12), 1.4 * cos(0.10) + 0.4 * cos(0.12));
    NEAR(json_number_value(json_object_get(obj(&r, 0), "yaw")), m, 1e-12);
    agg_geo_result_free(&r);
    free_answers(a, 3);
}

/* ---- spans ---- */

/* The code-point offset of needle in text. */
static json_int_t cp(const char *text, const char *needle)
{
    const char *at = strstr(text, needle);
    if (!at) fail_msg("%s not in %s", needle, text);
    json_int_t n = 0;
    for (const char *p = text; p < at; p++) n += ((unsigned char)*p & 0xC0) != 0x80;
    return n;
}

static json_int_t cp_end(const char *text, const char *needle)
{
    json_int_t n = cp(text, needle);
    for (const char *p = needle; *p; p++) n += ((unsigned char)*p & 0xC0) != 0x80;
    return n;
}

static json_t *span(const char *text, const char *from, const char *to, const char *label)
{
    return json_pack("{s:I, s:I, s:s}", "start", cp(text, from), "end", cp_end(text, to), "label", label);
}

static void test_spans_token_vote_non_ascii(void **state)
{
    (void)state;
    const char *text = "Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m met \xe6\x9d\xb1\xe4\xba\xac friends \xf0\x9f\x8e\x89 at Caf\xc3\xa9 Noir";
    /* A marks only the first character of 東京 (it snaps to the token); B adds a relation; C marks
     * only "Zoë" and nests a LOC inside its ORG (the longer span labels the token). */
    struct agg_geo_answer a[3] = {
        {json_pack("{s:[o,o], s:[]}", "spans", span(text, "Zo", "str\xc3\xb6m", "PER"),
                   json_pack("{s:I, s:I, s:s}", "start", cp(text, "\xe6\x9d\xb1"), "end", cp(text, "\xe6\x9d\xb1") + 1,
                             "label", "LOC"),
                   "relations"), 1},
        {json_pack("{s:[o,o,o], s:[{s:i, s:i, s:s}]}", "spans", span(text, "Zo", "str\xc3\xb6m", "PER"),
                   span(text, "\xe6\x9d\xb1", "\xe4\xba\xac", "LOC"), span(text, "Caf", "Noir", "ORG"), "relations",
                   "from", 0, "to", 1, "label", "lives_in"), 1},
        {json_pack("{s:[o,o,o]}", "spans", span(text, "Zo", "Zo\xc3\xab", "PER"), span(text, "Caf", "Noir", "ORG"),
                   span(text, "Noir", "Noir", "LOC")), 1},
    };
    struct agg_geo_result r;
    assert_true(agg_spans(text, a, 3, &r));
    assert_string_equal(r.method, "token_vote");
    json_t *spans = json_object_get(r.answer, "spans");
    assert_int_equal(json_array_size(spans), 3);
    assert_int_equal(json_array_size(json_object_get(r.answer, "relations")), 0);
    struct {
        const char *from, *to, *label;
        double conf;
    } want[3] = {
        {"Zo", "str\xc3\xb6m", "PER", (1 + 2 / 3.0) / 2},
        {"\xe6\x9d\xb1", "\xe4\xba\xac", "LOC", 2 / 3.0},
        {"Caf", "Noir", "ORG", 2 / 3.0},
    };
    for (size_t i = 0; i < 3; i++) {
        json_t *s = json_array_get(spans, i);
        assert_int_equal(json_integer_value(json_object_get(s, "start")), cp(text, want[i].from));
        assert_int_equal(json_integer_value(json_object_get(s, "end")), cp_end(text, want[i].to));
        assert_string_equal(json_string_value(json_object_get(s, "label")), want[i].label);
        NEAR(r.item_confidence[i], want[i].conf, 1e-12);
    }
    /* "Café" starts at code point 33 (byte 41: ë, Å, ö, é, 東京 and the emoji take more than one byte). */
    assert_int_equal(cp(text, "Caf"), 33);
    /* Tokens anyone labelled: Zoë 1, Ångström, 東京, Café, Noir 2/3 each. */
    NEAR(r.confidence, (1 + 4 * 2 / 3.0) / 5, 1e-12);
    agg_geo_result_free(&r);
    free_answers(a, 3);
}

static void test_spans_bio_boundaries(void **state)
{
    (void)state;
    const char *text = "Paris London  Rome";
    struct agg_geo_answer a[3] = {
        {json_pack("{s:[o,o]}", "spans", span(text, "Paris", "Paris", "LOC"), span(text, "London", "London", "LOC")), 1},
        {json_pack("{s:[o,o]}", "spans", span(text, "Paris", "Paris", "LOC"), span(text, "London", "London", "LOC")), 1},
        {json_pack("{s:[o]}", "spans", span(text, "Paris", "London", "LOC")), 1},
    };
    struct agg_geo_result r;
    assert_true(agg_spans(text, a, 3, &r));
    /* Most voters began a new span at "London": two spans. */
    json_t *spans = json_object_get(r.answer, "spans");
    assert_int_equal(json_array_size(spans), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(spans, 1), "start")), 6);
    agg_geo_result_free(&r);

    /* Now most voters drew one span across both. */
    json_decref(a[1].answer);
    a[1].answer = json_pack("{s:[o]}", "spans", span(text, "Paris", "London", "LOC"));
    assert_true(agg_spans(text, a, 3, &r));
    spans = json_object_get(r.answer, "spans");
    assert_int_equal(json_array_size(spans), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(spans, 0), "end")), 12);
    NEAR(r.item_confidence[0], 1, 0);
    agg_geo_result_free(&r);

    /* A heavy worker alone outweighs two light ones on "Rome"; ties go to no label. */
    struct agg_geo_answer b[3] = {
        {json_pack("{s:[o]}", "spans", span(text, "Rome", "Rome", "LOC")), 0.9},
        {json_pack("{s:[]}", "spans"), 0.4},
        {json_pack("{s:[]}", "spans"), 0.4},
    };
    assert_true(agg_spans(text, b, 3, &r));
    assert_int_equal(json_array_size(json_object_get(r.answer, "spans")), 1);
    NEAR(r.item_confidence[0], 0.9 / 1.7, 1e-12);
    agg_geo_result_free(&r);
    b[0].weight = 0.8;
    assert_true(agg_spans(text, b, 3, &r));
    assert_int_equal(json_array_size(json_object_get(r.answer, "spans")), 0);
    agg_geo_result_free(&r);
    free_answers(a, 3);
    free_answers(b, 3);

    /* No one labels anything: full agreement. */
    struct agg_geo_answer e[2] = {{json_pack("{s:[]}", "spans"), 1}, {json_pack("{s:[]}", "spans"), 1}};
    assert_true(agg_spans(text, e, 2, &r));
    NEAR(r.confidence, 1, 0);
    agg_geo_result_free(&r);
    free_answers(e, 2);
}

/* ---- Bradley–Terry ---- */

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *s) { return (double)(splitmix(s) >> 11) / 9007199254740992.0; }

static void test_bradley_terry_recovers_order(void **state)
{
    (void)state;
    enum { ITEMS = 6, GAMES = 6000 };
    const double theta[ITEMS] = {1.5, -1.0, 0.5, 0.0, 1.0, -0.5}; /* log-strengths, shuffled */
    struct agg_bt_comparison *c = malloc(sizeof *c * GAMES);
    uint64_t seed = 42;
    for (size_t k = 0; k < GAMES; k++) {
        size_t i = splitmix(&seed) % ITEMS, j = splitmix(&seed) % (ITEMS - 1);
        if (j >= i) j++;
        double p = 1 / (1 + exp(theta[j] - theta[i]));
        bool i_wins = uniform(&seed) < p;
        c[k] = (struct agg_bt_comparison){i_wins ? i : j, i_wins ? j : i, 1};
    }
    double p[ITEMS];
    int iterations = 0;
    assert_true(agg_bradley_terry(ITEMS, c, GAMES, NULL, p, &iterations));
    assert_true(iterations > 1 && iterations < 10000);
    /* Rank order, and log-strengths (both centred) within 0.1. */
    for (size_t i = 0; i < ITEMS; i++)
        for (size_t j = 0; j < ITEMS; j++)
            if (theta[i] > theta[j] && !(p[i] > p[j])) fail_msg("item %zu should beat item %zu: %g vs %g", i, j, p[i], p[j]);
    double mean_est = 0, mean_true = 0;
    for (size_t i = 0; i < ITEMS; i++) mean_est += log(p[i]) / ITEMS, mean_true += theta[i] / ITEMS;
    for (size_t i = 0; i < ITEMS; i++) NEAR(log(p[i]) - mean_est, theta[i] - mean_true, 0.1);
    free(c);

    /* Two items, 3 wins to 1: the MLE ratio is 3 (a vanishing prior barely moves it). */
    struct agg_bt_comparison two[] = {{0, 1, 1}, {0, 1, 1}, {0, 1, 1}, {1, 0, 1}};
    assert_true(agg_bradley_terry(2, two, 4, &(struct agg_bt_opts){.prior = 1e-9}, p, NULL));
    NEAR(p[0] / p[1], 3, 1e-6);
    /* An item that never lost stays finite; one never compared stays at 1. */
    struct agg_bt_comparison sweep[] = {{0, 1, 1}, {0, 1, 1}};
    assert_true(agg_bradley_terry(3, sweep, 2, NULL, p, NULL));
    assert_true(isfinite(p[0]) && p[0] > p[1] && p[1] > 0);
    NEAR(p[2], 1, 1e-8);
    /* Out-of-range indexes are refused. */
    struct agg_bt_comparison bad[] = {{0, 5, 1}};
    assert_false(agg_bradley_terry(2, bad, 1, NULL, p, NULL));
}

static json_t *pref(const char *choice, int strength, const char *ratings)
{
    return json_pack("{s:{s:s, s:i}, s:o}", "preference", "choice", choice, "strength", strength, "ratings", J(ratings));
}

static void test_comparisons_per_task(void **state)
{
    (void)state;
    json_t *d7 = J("{\"prompt\":\"p\",\"responses\":[{\"id\":\"a\",\"text\":\"A\"},{\"id\":\"b\",\"text\":\"B\"}]}");
    json_t *d3 = J("{\"prompt\":\"q\",\"responses\":[{\"id\":\"x\",\"text\":\"X\"},{\"id\":\"y\",\"text\":\"Y\"},"
                   "{\"id\":\"z\",\"text\":\"Z\"}]}");
    struct agg_comparison_answer in[5] = {
        {7, d7, pref("a", 6, "{\"a\":{\"helpfulness\":5},\"b\":{\"helpfulness\":2}}"), 1.0},
        {3, d3, pref("tie", 1, "{}"), 1.0},
        {7, d7, pref("a", 4, "{\"a\":{\"helpfulness\":4},\"b\":{\"helpfulness\":3}}"), 0.5},
        {7, d7, pref("b", 2, "{\"a\":{\"helpfulness\":3},\"b\":{\"helpfulness\":4}}"), 0.5},
        {3, d3, pref("tie", 3, "{}"), 1.0},
    };
    struct agg_comparison_task *t;
    size_t nt;
    assert_true(agg_comparisons(in, 5, NULL, &t, &nt));
    assert_int_equal(nt, 2);
    /* Sorted by task: 3 (all ties) then 7. */
    assert_int_equal(t[0].task_id, 3);
    assert_string_equal(t[0].result.method, "bradley_terry");
    json_t *p0 = json_object_get(t[0].result.answer, "preference");
    assert_string_equal(json_string_value(json_object_get(p0, "choice")), "tie");
    assert_int_equal(json_integer_value(json_object_get(p0, "strength")), 2);
    NEAR(t[0].result.confidence, 0.5, 1e-9);

    assert_int_equal(t[1].task_id, 7);
    json_t *p1 = json_object_get(t[1].result.answer, "preference");
    assert_string_equal(json_string_value(json_object_get(p1, "choice")), "a");
    assert_int_equal(json_integer_value(json_object_get(p1, "strength")), 5); /* (6·1 + 4·0.5) / 1.5 = 5.33 */
    json_t *scores = json_object_get(t[1].result.details, "scores");
    double pa = json_real_value(json_object_get(scores, "a")), pb = json_real_value(json_object_get(scores, "b"));
    assert_true(pa > pb);
    NEAR(t[1].result.confidence, pa / (pa + pb), 1e-12);
    /* Ratings: weighted means, weights normalised within the task. */
    json_t *ratings = json_object_get(t[1].result.answer, "ratings");
    NEAR(json_real_value(json_object_get(json_object_get(ratings, "a"), "helpfulness")), 8.5 / 2, 1e-12);
    NEAR(json_real_value(json_object_get(json_object_get(ratings, "b"), "helpfulness")), 5.5 / 2, 1e-12);
    agg_comparison_tasks_free(t, nt);
    for (size_t i = 0; i < 5; i++) json_decref(in[i].answer);
    json_decref(d7);
    json_decref(d3);
}

/* ---- free text ---- */

static void test_free_text(void **state)
{
    (void)state;
    struct agg_geo_answer a[3] = {
        {J("{\"text\":\"Hello\"}"), 0.9}, {J("{\"text\":\"Hello\"}"), 0.5}, {J("{\"text\":\"Hullo\"}"), 0.95}};
    struct agg_geo_result r;
    assert_true(agg_free_text(a, 3, -1, &r));
    assert_string_equal(r.method, "highest_skill");
    assert_string_equal(json_string_value(json_object_get(r.answer, "text")), "Hullo");
    NEAR(r.confidence, 0.95 / 2.35, 1e-12);
    agg_geo_result_free(&r);
    assert_true(agg_free_text(a, 3, 0, &r));
    assert_string_equal(r.method, "reviewer_pick");
    assert_string_equal(json_string_value(json_object_get(r.answer, "text")), "Hello");
    NEAR(r.confidence, 1, 0);
    agg_geo_result_free(&r);
    free_answers(a, 3);
}

/* ---- pairwise IoU ---- */

static void test_pairwise_iou(void **state)
{
    (void)state;
    struct agg_geo_answer a[3] = {
        {J("{\"objects\":[{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[0,0,10,10]}]}"), 1},
        {J("{\"objects\":[{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[5,5,10,10]}]}"), 1},
        {J("{\"objects\":[]}"), 1},
    };
    double v;
    assert_true(agg_pairwise_iou(KIND_IMAGE_ANNOTATION, a, 2, &v));
    NEAR(v, 25.0 / 175.0, 1e-12);
    /* With an empty answer: pairs give 1/7, 0 and 0. */
    assert_true(agg_pairwise_iou(KIND_IMAGE_ANNOTATION, a, 3, &v));
    NEAR(v, 25.0 / 175.0 / 3, 1e-12);
    assert_true(agg_pairwise_iou(KIND_IMAGE_ANNOTATION, a + 2, 1, &v));
    assert_true(isnan(v));
    struct agg_geo_answer e[2] = {{a[2].answer, 1}, {a[2].answer, 1}};
    assert_true(agg_pairwise_iou(KIND_IMAGE_ANNOTATION, e, 2, &v));
    NEAR(v, 1, 0);
    free_answers(a, 3);

    /* Cuboids by BEV IoU: the same footprint at another height still agrees fully. */
    struct agg_geo_answer c[2] = {{cuboid_answer(0, 0, 0, 4, 2, 1.5, 0), 1}, {cuboid_answer(0, 0, 3, 4, 2, 1.5, M_PI), 1}};
    assert_true(agg_pairwise_iou(KIND_LIDAR_CUBOIDS, c, 2, &v));
    NEAR(v, 1, 1e-12);
    free_answers(c, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_boxes_missing_and_extra),
        cmocka_unit_test(test_boxes_weighted),
        cmocka_unit_test(test_boxes_classes_and_empty),
        cmocka_unit_test(test_polygons_aligned_and_medoid),
        cmocka_unit_test(test_keypoints),
        cmocka_unit_test(test_cuboids_yaw_near_pi),
        cmocka_unit_test(test_cuboids_heading_flip),
        cmocka_unit_test(test_spans_token_vote_non_ascii),
        cmocka_unit_test(test_spans_bio_boundaries),
        cmocka_unit_test(test_bradley_terry_recovers_order),
        cmocka_unit_test(test_comparisons_per_task),
        cmocka_unit_test(test_free_text),
        cmocka_unit_test(test_pairwise_iou),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
