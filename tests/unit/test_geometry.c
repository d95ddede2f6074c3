/* Unit tests for core/geometry.h (IoU of boxes, concave polygons, rotated rectangles, cuboids,
 * keypoints) and core/hungarian.h (assignments on square and rectangular matrices). */
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

#include "core/geometry.h"
#include "core/hungarian.h"

#define NEAR(a, b, eps)                                                                                              \
    do {                                                                                                             \
        double a_ = (a), b_ = (b);                                                                                   \
        if (!(fabs(a_ - b_) <= (eps))) fail_msg("%s = %.12g, want %.12g (±%g)", #a, a_, b_, (double)(eps));        \
    } while (0)

#define N(pts) (sizeof(pts) / sizeof(pts)[0] / 2)

static void test_box_iou(void **state)
{
    (void)state;
    double a[4] = {0, 0, 10, 10};
    NEAR(geo_box_iou(a, a), 1, 1e-15);
    NEAR(geo_box_iou(a, (double[]){5, 5, 10, 10}), 25.0 / 175.0, 1e-15);
    NEAR(geo_box_iou(a, (double[]){2, 2, 5, 5}), 0.25, 1e-15);
    NEAR(geo_box_iou(a, (double[]){10, 0, 10, 10}), 0, 0); /* touching edges */
    NEAR(geo_box_iou(a, (double[]){30, 30, 1, 1}), 0, 0);
    NEAR(geo_box_iou((double[]){0, 0, 0, 0}, (double[]){0, 0, 0, 0}), 0, 0);
}

/* An L: [0,4]×[0,1] ∪ [0,1]×[1,4], area 7. */
static const double L[] = {0, 0, 4, 0, 4, 1, 1, 1, 1, 4, 0, 4};
/* A U: [0,3]×[0,1] ∪ [0,1]×[1,3] ∪ [2,3]×[1,3], area 7. */
static const double U[] = {0, 0, 3, 0, 3, 3, 2, 3, 2, 1, 1, 1, 1, 3, 0, 3};

static void shifted(const double *in, size_t n, double dx, double dy, double *out)
{
    for (size_t i = 0; i < n; i++) out[2 * i] = in[2 * i] + dx, out[2 * i + 1] = in[2 * i + 1] + dy;
}

static void reversed(const double *in, size_t n, double *out)
{
    for (size_t i = 0; i < n; i++) out[2 * i] = in[2 * (n - 1 - i)], out[2 * i + 1] = in[2 * (n - 1 - i) + 1];
}

static void test_polygon_area(void **state)
{
    (void)state;
    double sq[] = {0, 0, 2, 0, 2, 2, 0, 2}, rev[8];
    NEAR(geo_polygon_signed_area(sq, 4), 4, 0);
    reversed(sq, 4, rev);
    NEAR(geo_polygon_signed_area(rev, 4), -4, 0);
    NEAR(geo_polygon_area(rev, 4), 4, 0);
    NEAR(geo_polygon_area(L, N(L)), 7, 0);
    NEAR(geo_polygon_area(U, N(U)), 7, 0);
}

static void test_concave_intersections(void **state)
{
    (void)state;
    /* L with the square [0,2]²: [0,2]×[0,1] ∪ [0,1]×[1,2] = 3. */
    double sq[] = {0, 0, 2, 0, 2, 2, 0, 2};
    NEAR(geo_polygon_intersection_area(L, N(L), sq, 4), 3, 1e-12);
    NEAR(geo_polygon_iou(L, N(L), sq, 4), 3.0 / 8.0, 1e-12);
    /* A bar across the U's arms meets it in two pieces of 0.5. */
    double bar[] = {-1, 2, 4, 2, 4, 2.5, -1, 2.5};
    NEAR(geo_polygon_intersection_area(U, N(U), bar, 4), 1, 1e-12);
    /* U and U moved right by 1: only the bottoms overlap ([1,3]×[0,1]); the arms touch along lines. */
    double u1[16], u2[16], rev[16];
    shifted(U, 8, 1, 0, u1);
    NEAR(geo_polygon_intersection_area(U, 8, u1, 8), 2, 1e-12);
    NEAR(geo_polygon_iou(U, 8, u1, 8), 2.0 / 12.0, 1e-12);
    /* Moved by 2: bottoms [2,3]×[0,1] and the coinciding arm [2,3]×[1,3] (shared edges) = 3. */
    shifted(U, 8, 2, 0, u2);
    NEAR(geo_polygon_intersection_area(U, 8, u2, 8), 3, 1e-12);
    reversed(u2, 8, rev);
    NEAR(geo_polygon_intersection_area(rev, 8, U, 8), 3, 1e-12);
    /* Identical polygons, and ones that only share an edge. */
    NEAR(geo_polygon_iou(U, 8, U, 8), 1, 1e-12);
    double right[] = {2, 0, 4, 0, 4, 2, 2, 2};
    NEAR(geo_polygon_intersection_area(sq, 4, right, 4), 0, 0);
    /* The diamond |x − 1.5| + |y − 1.5| ≤ 1 (area 2) over the U's notch {1 < x < 2, y > 1}: in the
     * notch, at d = |x − 1.5| it spans y from 1 to 2.5 − d, so ∫₁² (1.5 − d) dx = 1.25 falls in the
     * notch and 0.75 in the U. */
    double diamond[] = {1.5, 0.5, 2.5, 1.5, 1.5, 2.5, 0.5, 1.5};
    NEAR(geo_polygon_intersection_area(U, 8, diamond, 4), 0.75, 1e-12);
}

/* Points inside a polygon by the even-odd rule, for the grid cross-check. */
static bool inside(const double *p, size_t n, double x, double y)
{
    bool in = false;
    for (size_t i = 0, j = n - 1; i < n; j = i++) {
        double xi = p[2 * i], yi = p[2 * i + 1], xj = p[2 * j], yj = p[2 * j + 1];
        if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) in = !in;
    }
    return in;
}

static void star(double cx, double cy, double r_out, double r_in, int spikes, double rot, double *out)
{
    for (int k = 0; k < 2 * spikes; k++) {
        double a = rot + M_PI * k / spikes, r = k % 2 ? r_in : r_out;
        out[2 * k] = cx + r * cos(a), out[2 * k + 1] = cy + r * sin(a);
    }
}

static void test_concave_stars_against_grid(void **state)
{
    (void)state;
    double a[28], b[36]; /* 7 and 9 spikes: 14 and 18 points */
    star(50, 50, 40, 15, 7, 0.1, a);
    star(60, 45, 35, 12, 9, 0.7, b);
    double exact = geo_polygon_intersection_area(a, 14, b, 18);
    /* Midpoint sampling on a 1000² grid over [0, 100]². */
    long hits = 0;
    for (int i = 0; i < 1000; i++)
        for (int j = 0; j < 1000; j++) {
            double x = (i + 0.5) * 0.1, y = (j + 0.5) * 0.1;
            hits += inside(a, 14, x, y) && inside(b, 18, x, y);
        }
    double sampled = (double)hits * 0.01;
    if (fabs(exact - sampled) > 0.01 * exact) fail_msg("star ∩ star: exact %g, sampled %g", exact, sampled);
    assert_true(exact > 100);
}

static void test_convex_matches_general(void **state)
{
    (void)state;
    for (int k = 3; k <= 12; k++) {
        double a[24], b[24];
        for (int i = 0; i < k; i++) {
            a[2 * i] = 10 * cos(2 * M_PI * i / k), a[2 * i + 1] = 10 * sin(2 * M_PI * i / k);
            b[2 * i] = 3 + 8 * cos(0.3 + 2 * M_PI * i / k), b[2 * i + 1] = 1 + 8 * sin(0.3 + 2 * M_PI * i / k);
        }
        double g = geo_polygon_intersection_area(a, (size_t)k, b, (size_t)k);
        NEAR(geo_convex_intersection_area(a, (size_t)k, b, (size_t)k), g, 1e-9);
        double rb[24];
        reversed(b, (size_t)k, rb);
        NEAR(geo_convex_intersection_area(a, (size_t)k, rb, (size_t)k), g, 1e-9);
    }
}

static void test_rotated_rectangles(void **state)
{
    (void)state;
    /* A 2×2 square and itself turned 45°: a regular octagon of area 8(√2 − 1); IoU 1/√2. */
    struct geo_rect sq = {0, 0, 2, 2, 0}, sq45 = {0, 0, 2, 2, M_PI / 4};
    NEAR(geo_rect_intersection_area(&sq, &sq45), 8 * (sqrt(2) - 1), 1e-12);
    NEAR(geo_rect_iou(&sq, &sq45), 1 / sqrt(2), 1e-12);
    /* 4×2 against itself at 0, 90 and 180 degrees. */
    struct geo_rect r = {0, 0, 4, 2, 0}, r90 = {0, 0, 4, 2, M_PI / 2}, r180 = {0, 0, 4, 2, M_PI};
    NEAR(geo_rect_iou(&r, &r), 1, 1e-12);
    NEAR(geo_rect_intersection_area(&r, &r90), 4, 1e-12);
    NEAR(geo_rect_iou(&r, &r90), 4.0 / 12.0, 1e-12);
    NEAR(geo_rect_iou(&r, &r180), 1, 1e-12);
    /* Shifted along the heading by 1: 3×2 of overlap. */
    struct geo_rect shifted_r = {1, 0, 4, 2, 0};
    NEAR(geo_rect_iou(&r, &shifted_r), 6.0 / 10.0, 1e-12);
    /* The same shift along a 45° heading. */
    struct geo_rect a45 = {0, 0, 4, 2, M_PI / 4}, b45 = {cos(M_PI / 4), sin(M_PI / 4), 4, 2, M_PI / 4};
    NEAR(geo_rect_iou(&a45, &b45), 0.6, 1e-12);
    /* Far apart. */
    struct geo_rect far = {100, 0, 4, 2, 0.3};
    NEAR(geo_rect_iou(&r, &far), 0, 0);
    /* Corners run counter-clockwise. */
    double c[8];
    geo_rect_corners(&a45, c);
    assert_true(geo_polygon_signed_area(c, 4) > 0);
    NEAR(geo_polygon_area(c, 4), 8, 1e-12);
}

static void test_cuboids(void **state)
{
    (void)state;
    struct geo_cuboid a = {{0, 0, 0}, {4, 2, 2}, 0}, up = {{0, 0, 1}, {4, 2, 2}, 0};
    NEAR(geo_cuboid_bev_iou(&a, &up), 1, 1e-12);
    NEAR(geo_cuboid_iou_3d(&a, &up), 8.0 / 24.0, 1e-12);
    struct geo_cuboid both = {{1, 0, 1}, {4, 2, 2}, 0};
    NEAR(geo_cuboid_iou_3d(&a, &both), 6.0 / 26.0, 1e-12);
    struct geo_cuboid turned = {{0, 0, 0}, {4, 2, 2}, M_PI / 2};
    NEAR(geo_cuboid_bev_iou(&a, &turned), 1.0 / 3.0, 1e-12);
    NEAR(geo_cuboid_iou_3d(&a, &turned), 8.0 / 24.0, 1e-12);
    struct geo_cuboid flipped = {{0, 0, 0}, {4, 2, 2}, -M_PI};
    NEAR(geo_cuboid_iou_3d(&a, &flipped), 1, 1e-12);
    struct geo_cuboid above = {{0, 0, 2}, {4, 2, 2}, 0}; /* touching faces */
    NEAR(geo_cuboid_iou_3d(&a, &above), 0, 0);
}

static void test_keypoints(void **state)
{
    (void)state;
    double a[] = {0, 0, 2, 100, 100, 2, 50, 50, 0};
    NEAR(geo_oks(a, a, 3), 1, 0);
    NEAR(geo_keypoint_similarity(a, a, 3), 1, 0);
    double b[] = {10, 0, 2, 100, 100, 1, 0, 0, 0};
    /* Against a: s² = 100·100, κ = 0.1, so the moved point gives exp(−100 / (2·10⁴·0.01)). Against b
     * (box 90 × 100): exp(−100 / 180). The symmetric form scales both by the joint box, 100 × 100. */
    NEAR(geo_oks(a, b, 3), (exp(-0.5) + 1) / 2, 1e-12);
    NEAR(geo_oks(b, a, 3), (exp(-100.0 / 180.0) + 1) / 2, 1e-12);
    NEAR(geo_keypoint_similarity(a, b, 3), (exp(-0.5) + 1) / 2, 1e-12);
    /* c shares point 0 with a; each labels one point the other lacks. */
    double c[] = {0, 0, 2, 0, 0, 0, 50, 50, 2};
    NEAR(geo_oks(a, c, 3), 0.5, 1e-12);
    NEAR(geo_keypoint_similarity(a, c, 3), 0.5, 1e-12);
    /* A worker who labels fewer points: OKS against the fuller one is low, the other way high. */
    double d[] = {0, 0, 2, 0, 0, 0, 0, 0, 0};
    NEAR(geo_oks(a, d, 3), 0.5, 1e-12);
    NEAR(geo_oks(d, a, 3), 1, 1e-12);
    NEAR(geo_keypoint_similarity(a, d, 3), 0.75, 1e-12);
    /* A lone point is scaled by GEO_OKS_MIN_AREA. */
    double e[] = {3, 4, 2, 0, 0, 0, 0, 0, 0};
    NEAR(geo_oks(d, e, 3), exp(-25.0 / (2 * GEO_OKS_MIN_AREA * 0.01)), 1e-12);
    double none[] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
    NEAR(geo_oks(none, none, 3), 1, 0);
    NEAR(geo_oks(none, a, 3), 0, 0);
    NEAR(geo_keypoint_similarity(none, none, 3), 1, 0);
}

static void test_wrap_angle(void **state)
{
    (void)state;
    NEAR(geo_wrap_angle(3 * M_PI / 2), -M_PI / 2, 1e-12);
    NEAR(geo_wrap_angle(-3 * M_PI / 2), M_PI / 2, 1e-12);
    NEAR(geo_wrap_angle(0.5), 0.5, 1e-15);
    NEAR(geo_wrap_angle(7 * M_PI + 0.1), -M_PI + 0.1, 1e-12);
}

/* ---- Hungarian ---- */

static void test_hungarian_square(void **state)
{
    (void)state;
    double cost[] = {4, 1, 3, 2, 0, 5, 3, 2, 2};
    long m[3];
    double total;
    assert_true(hungarian_min_cost(cost, 3, 3, m, &total));
    NEAR(total, 5, 0);
    assert_int_equal(m[0], 1);
    assert_int_equal(m[1], 0);
    assert_int_equal(m[2], 2);
}

static void test_hungarian_rectangular(void **state)
{
    (void)state;
    double wide[] = {1, 2, 3, 2, 4, 6};
    long m[3];
    double total;
    assert_true(hungarian_min_cost(wide, 2, 3, m, &total));
    NEAR(total, 4, 0);
    assert_int_equal(m[0], 1);
    assert_int_equal(m[1], 0);
    double tall[] = {1, 2, 2, 4, 3, 6};
    assert_true(hungarian_min_cost(tall, 3, 2, m, &total));
    NEAR(total, 4, 0);
    assert_int_equal(m[0], 1);
    assert_int_equal(m[1], 0);
    assert_int_equal(m[2], -1);
    /* Empty sides. */
    assert_true(hungarian_min_cost(NULL, 0, 3, m, &total));
    assert_true(hungarian_min_cost(wide, 2, 0, m, &total));
    assert_int_equal(m[0], -1);
    double bad[] = {1, NAN};
    assert_false(hungarian_min_cost(bad, 1, 2, m, &total));
}

static void test_hungarian_max_score_threshold(void **state)
{
    (void)state;
    double iou[] = {0.9, 0.6, 0.6, 0.0};
    long m[2];
    double total;
    assert_int_equal(hungarian_max_score(iou, 2, 2, 0.5, m, &total), 2);
    assert_int_equal(m[0], 1);
    assert_int_equal(m[1], 0);
    NEAR(total, 1.2, 1e-12);
    /* Above 0.7 only the 0.9 pair counts. */
    assert_int_equal(hungarian_max_score(iou, 2, 2, 0.7, m, &total), 1);
    assert_int_equal(m[0], 0);
    assert_int_equal(m[1], -1);
    /* A row with no overlap stays unmatched even without a threshold. */
    double sparse[] = {0.4, 0, 0, 0, 0, 0};
    assert_int_equal(hungarian_max_score(sparse, 2, 3, 0, m, &total), 1);
    assert_int_equal(m[0], 0);
    assert_int_equal(m[1], -1);
}

/* Smallest total over every injective map of the smaller side, by enumeration. */
static double brute(const double *c, size_t rows, size_t cols, size_t r, bool *used)
{
    if (r == rows) return 0;
    double best = INFINITY;
    if (rows > cols) { /* some rows stay unmatched: skipping row r is allowed while enough remain */
        size_t matched = 0;
        for (size_t j = 0; j < cols; j++) matched += used[j];
        if (rows - r > cols - matched) best = brute(c, rows, cols, r + 1, used);
    }
    for (size_t j = 0; j < cols; j++) {
        if (used[j]) continue;
        used[j] = true;
        double v = c[r * cols + j] + brute(c, rows, cols, r + 1, used);
        used[j] = false;
        if (v < best) best = v;
    }
    return best;
}

static void test_hungarian_against_brute_force(void **state)
{
    (void)state;
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int trial = 0; trial < 300; trial++) {
        size_t rows = 1 + (size_t)(trial % 6), cols = 1 + (size_t)((trial / 6) % 7);
        double c[64];
        for (size_t k = 0; k < rows * cols; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            c[k] = (double)(x % 1000) / 10.0;
        }
        long m[8];
        double total;
        bool used[8] = {0};
        assert_true(hungarian_min_cost(c, rows, cols, m, &total));
        NEAR(total, brute(c, rows, cols, 0, used), 1e-9);
        /* A valid one-to-one assignment of the smaller side. */
        size_t assigned = 0;
        bool taken[8] = {0};
        for (size_t r = 0; r < rows; r++) {
            if (m[r] < 0) continue;
            assert_false(taken[m[r]]);
            taken[m[r]] = true;
            assigned++;
        }
        assert_int_equal(assigned, rows < cols ? rows : cols);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_box_iou),
        cmocka_unit_test(test_polygon_area),
        cmocka_unit_test(test_concave_intersections),
        cmocka_unit_test(test_concave_stars_against_grid),
        cmocka_unit_test(test_convex_matches_general),
        cmocka_unit_test(test_rotated_rectangles),
        cmocka_unit_test(test_cuboids),
        cmocka_unit_test(test_keypoints),
        cmocka_unit_test(test_wrap_angle),
        cmocka_unit_test(test_hungarian_square),
        cmocka_unit_test(test_hungarian_rectangular),
        cmocka_unit_test(test_hungarian_max_score_threshold),
        cmocka_unit_test(test_hungarian_against_brute_force),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
